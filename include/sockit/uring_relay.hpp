// sockit/uring_relay.hpp: public, Linux only (elsewhere this header declares nothing). A TCP port
// forwarder on io_uring completions: each connection accepted is connected onwards to one target by
// the ring (the connect bounded by a linked timeout), and each direction's bytes are received into
// a shared ring of provided buffers and sent on from the buffer they landed in, completed by the
// ring; everything asked for between two waits goes to the kernel in the one io_uring_enter that
// waits. `sockit relay --engine uring`'s TCP path; the readiness relay (splice through a pipe per
// direction, on the event loop) is the other.
#pragma once

#ifdef __linux__

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <system_error>
#include <vector>

#include "sockit/endpoint.hpp"
#include "sockit/result.hpp"
#include "sockit/socket.hpp"

namespace sockit {

// One relayed connection as a report shows it.
struct uring_relay_connection {
  enum class phase : std::uint8_t {
    connecting,   // accepted; the connect to the target is under way
    open,         // bytes flow both ways
    half_closed,  // one side sent FIN (passed on); the other direction goes on
    draining,     // stop(): nothing more is read, what is held is delivered, then FIN both ways
  };
  std::uint64_t id = 0;  // 1, 2, ... in accept order (or uring_relay_options::next_id's)
  endpoint client;
  phase state = phase::connecting;
  std::uint64_t bytes_up = 0;    // client -> target, delivered (sent to the target)
  std::uint64_t bytes_down = 0;  // target -> client, delivered
  std::chrono::steady_clock::time_point started;  // accepted
};

// How a connection ended.
enum class uring_relay_outcome : std::uint8_t {
  clean,          // both sides sent FIN and everything was delivered
  reset,          // an error on either side: both sockets were closed with a reset (SO_LINGER 0)
  target_failed,  // the target refused, reset or did not answer in time: the client was reset
  stopped,        // closed by the graceful stop (after its FINs, or at the drain's deadline)
};

struct uring_relay_stats {
  std::uint64_t accepted = 0;         // connections taken from the listener
  std::uint64_t refused = 0;          // closed at once: max_connections open, or no descriptor left (shed)
  std::uint64_t target_failures = 0;  // outcome::target_failed
  std::uint64_t resets = 0;           // outcome::reset
  std::uint64_t closed = 0;           // ended, whatever the outcome (refused ones not counted)
  std::uint64_t bytes_up = 0;         // delivered, all connections
  std::uint64_t bytes_down = 0;
};

struct uring_relay_options {
  endpoint target;
  // Run on each socket to the target before its connect (socket options, a source address).
  socket_prepare target_prepare;
  std::chrono::milliseconds connect_timeout{10000};
  std::size_t max_connections = 0;       // open at once; more are closed as accepted. 0: no limit
  std::size_t buffer_bytes = 64 * 1024;  // each provided buffer (at most 1 MiB)
  // The shared pool (a power of two), 1 MiB by default: small enough to stay in the caches as it
  // cycles (16 MiB cost a bulk stream 1.5x the CPU per byte, docs/benchmarks.md).
  unsigned buffers = 16;
  std::size_t hold_bytes = 256 * 1024;   // per direction, received and not yet sent: above it, not read
  // Numbers the connections (several relays sharing a sequence); empty: 1, 2, ... of this relay.
  std::function<std::uint64_t()> next_id;
  // Runs on the relay's thread when a connection has ended (both its sockets closed), with its
  // last row and, for reset and target_failed, the error (the target's for target_failed).
  std::function<void(const uring_relay_connection&, uring_relay_outcome, std::error_code)> on_end;
  // Runs on the relay's thread when a connection is refused, with the client's address, how many
  // are open, and why: {} for max_connections, EMFILE or ENFILE when no descriptor was left (the
  // connection is then taken with a descriptor kept in reserve and closed, as the loop's acceptor
  // sheds, instead of waiting in the backlog). Both callbacks run after the batch of completions
  // that decided them, outside the relay's lock (they may call stats() or stop()); a refused
  // client is closed once its callback has returned.
  std::function<void(const endpoint&, std::size_t, std::error_code)> on_refused;
};

// Both sockets of a connection get TCP_NODELAY: a relay adds no Nagle delay of its own.
// Memory is bounded: a direction reads only while what it holds is under hold_bytes, and all
// directions share the pool; a direction that finds the pool empty waits until a send gives a
// buffer back. So a peer that never reads holds at most hold_bytes plus one buffer of the other
// side's bytes, and cannot stall the other connections.
class uring_relay {
 public:
  // Takes a listening socket. Fails as uring_stream_server::available() says (this kernel or
  // process cannot run it), or with invalid_argument for options out of range.
  static result<uring_relay> open(socket listener, const uring_relay_options& opts);
  static std::error_code available() noexcept;

  uring_relay(uring_relay&&) noexcept;
  uring_relay& operator=(uring_relay&&) noexcept;
  ~uring_relay();

  // Relays on the calling thread until stop(), then drains: no more accepts, nothing more is
  // read, what is held is delivered and each side gets its FIN; connections close as their FINs
  // are sent, and at `drain_timeout` whatever remains is closed. Returns the totals. Runs once; a
  // second call gives std::errc::bad_file_descriptor.
  result<uring_relay_stats> run(std::chrono::milliseconds drain_timeout);

  // Thread-safe, any time (before run() too).
  void stop() noexcept;
  // After stop(): closes every connection now, held bytes or not (a second Ctrl+C). Thread-safe.
  void abort() noexcept;

  // Thread-safe: the totals so far, and the connections open now in id order.
  uring_relay_stats stats() const;
  std::vector<uring_relay_connection> connections() const;
  std::size_t open_connections() const noexcept;

 private:
  struct state;
  explicit uring_relay(std::unique_ptr<state> s) noexcept;
  std::unique_ptr<state> s_;
};

}  // namespace sockit

#endif  // __linux__
