// sockit/uring_echo.hpp: public, Linux only (elsewhere this header declares nothing). A TCP echo
// server on io_uring completions rather than readiness: one multishot accept that puts each
// connection straight into the ring's file table (no descriptor lookups per operation), one
// multishot receive per connection into a shared ring of provided buffers, and the echo sent from
// the buffer it arrived in, completed by the ring; all submissions ride in the one system call that
// waits. The event_loop's `uring` engine is the other way to use a ring (readiness, for everything
// built on the loop); this is `sockit echo --engine uring`'s TCP side, as iocp_echo_server is on
// Windows, with the same interface.
#pragma once

#ifdef __linux__

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "sockit/result.hpp"
#include "sockit/socket.hpp"

namespace sockit {

struct uring_echo_stats {
  std::uint64_t accepted = 0;   // connections taken from the listener
  std::uint64_t bytes_in = 0;   // received from clients and echoed or being echoed
  std::uint64_t bytes_out = 0;  // echoed back (a connection that dies drops what it had not sent)
  std::uint64_t closed = 0;     // connections closed; equals `accepted` once run() returned
  std::uint64_t dropped = 0;    // connections shed at once: the file table (RLIMIT_NOFILE) was full
};

struct uring_echo_options {
  std::size_t buffer_bytes = 16 * 1024;  // each provided buffer, and a connection's own when it has one
  unsigned buffers = 1024;               // the shared pool (a power of two): 16 MiB by default
  std::size_t hold_bytes = 64 * 1024;    // unsent echo above which a connection stops receiving
};

// Memory is bounded by design. Echoes wait in the pool's buffers; a connection whose unsent echo
// passes hold_bytes (its peer does not read) has its receive cancelled until the echo drains to
// half of that. A multishot receive may land more buffers before its cancel (the kernel retries up
// to 32 receives per wake-up, and a round already queued runs first), and when the
// pool runs dry, a connection that finds it empty serves itself from one buffer of its own, one
// receive or one send at a time (the IOCP model). So, at any moment, bytes_in - bytes_out <=
// buffers * buffer_bytes + open connections * buffer_bytes, and a peer that never reads cannot
// stall the others.
class uring_echo_server {
 public:
  // Takes a listening socket. Fails with operation_not_supported when the kernel lacks what the
  // server uses (multishot receive and accept into the file table: Linux 6.0), or with
  // io_uring_setup's error when this process cannot open a ring at all.
  static result<uring_echo_server> open(socket listener, const uring_echo_options& opts = {});
  // {} when open() can succeed on this kernel and in this process; otherwise the error it gives.
  static std::error_code available() noexcept;

  uring_echo_server(uring_echo_server&&) noexcept;
  uring_echo_server& operator=(uring_echo_server&&) noexcept;
  ~uring_echo_server();

  // Serves on the calling thread (the ring is made there, for the kernel's single-issuer
  // shortcuts) until stop(). Then drains: no more accepts, receives are cancelled (bytes that
  // still arrived are echoed), echoes in flight finish; each connection is then shut for writing
  // and closed once its peer closes, and at `drain_timeout` whatever remains is closed anyway.
  // Returns the totals. Runs once; a second call gives std::errc::bad_file_descriptor.
  result<uring_echo_stats> run(std::chrono::milliseconds drain_timeout);

  // Thread-safe, any time (before run() too).
  void stop() noexcept;

  // The totals so far; thread-safe (the counters are atomic), for progress lines and tests.
  uring_echo_stats stats() const noexcept;
  // Connections open now; thread-safe.
  std::size_t open_connections() const noexcept;

 private:
  struct state;
  explicit uring_echo_server(std::unique_ptr<state> s) noexcept;
  std::unique_ptr<state> s_;
};

}  // namespace sockit

#endif  // __linux__
