// What the relay reports: a row per connection (TCP) or session (UDP) open at the time of the
// report, and the totals of the run so far. Each loop fills its own; the report sums them.
// Private to the CLI.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sockit/endpoint.hpp"

namespace sockit::cli {

struct relay_row {
  std::uint64_t id = 0;
  endpoint client;
  std::string state;  // TCP: connecting, open, half-closed (a side sent FIN), draining; UDP: active
  std::string path;   // TCP: splice, copy or timed (client -> target / target -> client if different)
  std::uint64_t bytes_up = 0;    // client -> target, delivered
  std::uint64_t bytes_down = 0;  // target -> client, delivered
  std::uint64_t datagrams_up = 0, datagrams_down = 0;  // UDP
  double seconds = 0;  // since accepted / since the session's first datagram
};

struct relay_totals {
  std::uint64_t connections = 0;      // TCP accepted / UDP sessions opened
  std::uint64_t active = 0;           // open now
  std::uint64_t refused = 0;          // TCP: over --max-conns or shed; UDP: datagrams from new clients over --max-sessions
  std::uint64_t target_failures = 0;  // TCP: the target refused, reset or did not answer the connect
  std::uint64_t resets = 0;           // TCP: ended by an error on either side (passed on as a reset)
  std::uint64_t expired = 0;          // UDP: sessions closed after --idle
  std::uint64_t bytes_up = 0, bytes_down = 0;
  std::uint64_t datagrams_up = 0, datagrams_down = 0;  // UDP, delivered
  std::uint64_t dropped = 0;  // UDP: datagrams lost (--loss), or dropped (queue or socket full, target unreachable)
};

struct relay_snapshot {
  relay_totals totals;
  std::vector<relay_row> rows;
};

void add_snapshot(relay_snapshot& sum, const relay_snapshot& part);

}  // namespace sockit::cli
