// sockit/uring_stream_server.hpp: public, Linux only (elsewhere this header declares nothing). A TCP echo
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
#include <functional>
#include <memory>
#include <span>
#include <system_error>

#include "sockit/buffer.hpp"
#include "sockit/endpoint.hpp"
#include "sockit/result.hpp"
#include "sockit/socket.hpp"

namespace sockit {

// What a uring_stream_server does with one connection's bytes when it is not an echo: made when the
// connection is accepted, destroyed when it closes, called on the serving thread only.
class stream_session {
 public:
  struct step {
    std::size_t consumed = 0;  // bytes of `in` used up; the rest is given again, with what follows
    bool finish = false;       // receive no more: send what is queued, FIN, then read to the peer's close
  };
  virtual ~stream_session() = default;
  // `in`: what earlier calls left unconsumed, then the bytes just received. Replies are appended to
  // `out` and sent in order after what is queued. The session bounds what it leaves unconsumed
  // (a frame's largest size, say): the server keeps all of it.
  virtual step on_data(std::span<const std::byte> in, buffer& out) = 0;
  // The connection is gone: {} after the peer's close or a finish, else why (a reset, the drain's
  // deadline: timed_out).
  virtual void on_close(std::error_code ec) noexcept { (void)ec; }
};

// Makes the session of a connection just accepted from `peer`.
using stream_session_factory = std::function<std::unique_ptr<stream_session>(const endpoint& peer)>;

struct uring_stream_stats {
  std::uint64_t accepted = 0;   // connections taken from the listener
  std::uint64_t bytes_in = 0;   // received from clients and echoed or being echoed
  std::uint64_t bytes_out = 0;  // echoed back (a connection that dies drops what it had not sent)
  std::uint64_t closed = 0;     // connections closed; equals `accepted` once run() returned
  std::uint64_t dropped = 0;    // connections shed at once: the file table (RLIMIT_NOFILE) was full
};

struct uring_stream_options {
  std::size_t buffer_bytes = 16 * 1024;  // each provided buffer, and a connection's own when it has one
  unsigned buffers = 1024;               // the shared pool (a power of two): 16 MiB by default
  std::size_t hold_bytes = 64 * 1024;    // unsent output above which a connection stops receiving
  // Empty: echo. Otherwise each connection's session answers; accepts are then one at a time
  // (a multishot accept reports no peer address).
  stream_session_factory sessions;
  // After a session's finish: how long to wait for the peer's close before closing anyway.
  std::chrono::milliseconds finish_timeout{2000};
};

// Memory is bounded by design. Echoes wait in the pool's buffers; a connection whose unsent echo
// passes hold_bytes (its peer does not read) has its receive cancelled until the echo drains to
// half of that. A multishot receive may land more buffers before its cancel (the kernel retries up
// to 32 receives per wake-up, and a round already queued runs first), and when the
// pool runs dry, a connection that finds it empty serves itself from one buffer of its own, one
// receive or one send at a time (the IOCP model). So, at any moment, bytes_in - bytes_out <=
// buffers * buffer_bytes + open connections * buffer_bytes, and a peer that never reads cannot
// stall the others. With sessions, a receive's bytes go to the session at once; its replies wait
// in the connection's output, held to hold_bytes in the same way (plus what the receives already
// under way make the session write); what a multishot receive lands before its cancel waits
// unanswered in the connection, and a connection held once receives one buffer at a time from
// then on, so that a peer that never reads ends up holding about one receive of input.
class uring_stream_server {
 public:
  // Takes a listening socket. Fails with operation_not_supported when the kernel lacks what the
  // server uses (multishot receive and accept into the file table: Linux 6.0), or with
  // io_uring_setup's error when this process cannot open a ring at all.
  static result<uring_stream_server> open(socket listener, const uring_stream_options& opts = {});
  // {} when open() can succeed on this kernel and in this process; otherwise the error it gives.
  static std::error_code available() noexcept;

  uring_stream_server(uring_stream_server&&) noexcept;
  uring_stream_server& operator=(uring_stream_server&&) noexcept;
  ~uring_stream_server();

  // Serves on the calling thread (the ring is made there, for the kernel's single-issuer
  // shortcuts) until stop(). Then drains: no more accepts, receives are cancelled (bytes that
  // still arrived are echoed, or given to the sessions), output in flight finishes; each connection is then shut for writing
  // and closed once its peer closes, and at `drain_timeout` whatever remains is closed anyway.
  // Returns the totals. Runs once; a second call gives std::errc::bad_file_descriptor.
  result<uring_stream_stats> run(std::chrono::milliseconds drain_timeout);

  // Thread-safe, any time (before run() too).
  void stop() noexcept;

  // The totals so far; thread-safe (the counters are atomic), for progress lines and tests.
  uring_stream_stats stats() const noexcept;
  // Connections open now; thread-safe.
  std::size_t open_connections() const noexcept;

 private:
  struct state;
  explicit uring_stream_server(std::unique_ptr<state> s) noexcept;
  std::unique_ptr<state> s_;
};

}  // namespace sockit

#endif  // __linux__
