// sockit/iocp_echo.hpp: public, Windows only (elsewhere this header declares nothing). A TCP echo
// server built on completions rather than readiness, the chapter's IOCP server: AcceptEx with
// accepts posted ahead, one overlapped WSARecv or WSASend per connection at a time, results
// collected in batches from one I/O completion port. The event_loop's `iocp` engine is the other
// way to use a completion port (readiness, for everything built on the loop); this is the
// completion model in its plainest form, for `sockit echo --engine iocp --tcp` on Windows.
#pragma once

#ifdef _WIN32

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "sockit/result.hpp"
#include "sockit/socket.hpp"

namespace sockit {

struct iocp_echo_stats {
  std::uint64_t accepted = 0;   // connections taken from the listener
  std::uint64_t bytes_in = 0;   // received from clients
  std::uint64_t bytes_out = 0;  // echoed back (a connection that dies drops what it had not sent)
  std::uint64_t closed = 0;     // connections closed; equals `accepted` once run() returned
};

struct iocp_echo_options {
  int accepts_posted = 16;                // AcceptEx calls kept outstanding
  std::size_t buffer_bytes = 16 * 1024;   // per connection, its only buffer
};

// Memory is bounded by design: a connection owns one buffer and has one operation outstanding,
// a receive or the send that echoes it, never both. A peer that never reads leaves its echo
// pending, so the server stops receiving from it (TCP then stops the peer's sends); other
// connections are not affected. So, at any moment, bytes_in - bytes_out <= open connections *
// buffer_bytes.
class iocp_echo_server {
 public:
  // Takes a listening socket (non-blocking or not: overlapped calls ignore the mode) and binds it to
  // a new completion port. Fails if AcceptEx cannot be loaded for it.
  static result<iocp_echo_server> open(socket listener, const iocp_echo_options& opts = {});

  iocp_echo_server(iocp_echo_server&&) noexcept;
  iocp_echo_server& operator=(iocp_echo_server&&) noexcept;
  ~iocp_echo_server();

  // Serves on the calling thread until stop(). Then drains: no more accepts, a receive in flight
  // is cancelled (bytes that still arrived with it are echoed), an echo in flight is let finish;
  // each connection is closed when it has nothing left to send, and at `drain_timeout` whatever
  // remains is closed anyway. Returns the totals. Runs once; a second call gives
  // std::errc::bad_file_descriptor.
  result<iocp_echo_stats> run(std::chrono::milliseconds drain_timeout);

  // Thread-safe, any time (before run() too): posts a stop to the completion port.
  void stop() noexcept;

  // The totals so far; thread-safe (the counters are atomic), for progress lines and tests.
  iocp_echo_stats stats() const noexcept;
  // Connections open now; thread-safe.
  std::size_t open_connections() const noexcept;

 private:
  struct state;
  explicit iocp_echo_server(std::unique_ptr<state> s) noexcept;
  std::unique_ptr<state> s_;
};

}  // namespace sockit

#endif  // _WIN32
