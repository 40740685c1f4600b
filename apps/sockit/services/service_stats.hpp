// What one listening service (one name, one protocol) has done: the rows of serve's totals table.
#pragma once

#include <cstdint>
#include <string>

#include "sockit/endpoint.hpp"

namespace sockit::cli {

struct service_stats {
  std::string service;  // "echo", "discard"...
  std::string proto;    // "tcp" or "udp"
  endpoint local;       // where it listens (the real port when 0 was asked)
  std::string unix_at;  // "unix:/path" or "unix:@name" on a Unix socket (local is then empty)
  std::uint64_t connections = 0;  // TCP: accepted
  std::uint64_t datagrams = 0;    // UDP: received
  std::uint64_t bytes_in = 0;
  std::uint64_t bytes_out = 0;
  // TCP: connections refused over --max-connections; UDP: replies withheld by the guard
  // (privileged source port, our own port, rate limit) or dropped because the socket was full.
  std::uint64_t dropped = 0;
  std::uint64_t errors = 0;  // connections that ended in an error other than a reset; socket errors
  // The listening socket's options as the kernel has them (applied_json), for --json's listening
  // event: "[]" when none was given.
  std::string socket_options = "[]";

  // Where it listens, as the listening line and the report print it.
  std::string where() const { return unix_at.empty() ? local.to_string() : unix_at; }
};

}  // namespace sockit::cli
