// sockit/uring_streams.hpp: public, Linux only (elsewhere this header declares nothing). A set of
// connected stream sockets driven by io_uring completions, for clients that keep many streams
// busy at once (`sockit bench --engine uring`): each stream has one multishot receive into a
// shared ring of provided buffers, its sends are completed by the ring, and everything asked for
// between two waits goes to the kernel in the one io_uring_enter that waits. The streams sit in
// the ring's file table: no operation looks a descriptor up.
#pragma once

#ifdef __linux__

#include <chrono>
#include <cstddef>
#include <memory>
#include <span>
#include <system_error>
#include <vector>

#include "sockit/result.hpp"
#include "sockit/socket.hpp"

namespace sockit {

struct uring_streams_options {
  std::size_t buffer_bytes = 16 * 1024;  // each provided buffer (at most 1 MiB)
  unsigned buffers = 256;                // how many (a power of two, at most 32768)
};

class uring_streams {
 public:
  // What wait() reports, on its thread, stream by index.
  class events {
   public:
    virtual ~events() = default;
    // Bytes received, in order; valid during the call only.
    virtual void on_data(std::size_t stream, std::span<const std::byte> bytes) = 0;
    // One piece of a send() went, whole (MSG_WAITALL: the ring resumes a short send itself).
    virtual void on_sent(std::size_t stream, std::size_t bytes) = 0;
    // The stream is done: errc::end_of_stream at the peer's close, else the error. Nothing more
    // is reported for it, and send() on it is ignored.
    virtual void on_closed(std::size_t stream, std::error_code ec) = 0;
  };

  // Takes the streams (their index here is their place in the vector) and makes the ring, for
  // use from the calling thread only (the kernel's single-issuer shortcuts where it has them).
  // Fails as uring_stream_server::available() says, or with the ring's own error.
  static result<uring_streams> open(std::vector<socket> streams, const uring_streams_options& opts = {});

  uring_streams(uring_streams&&) noexcept;
  uring_streams& operator=(uring_streams&&) noexcept;
  ~uring_streams();

  // Queues `pieces` on a stream, in order, each its own send (as many send() calls would, so the
  // peer sees the same segments), linked so the kernel keeps their order; each must stay valid
  // until its on_sent. One such chain per stream at a time (another before the last piece's
  // on_sent: std::errc::device_or_resource_busy), of at most max_chain pieces.
  static constexpr std::size_t max_chain = 64;
  std::error_code send(std::size_t stream, std::span<const std::span<const std::byte>> pieces);
  // Submits what was queued, waits up to `timeout` for at least one completion, and reports every
  // completion there is. {} also when the time ran out; otherwise io_uring_enter's error.
  std::error_code wait(events& ev, std::chrono::nanoseconds timeout);

  std::size_t size() const noexcept;

 private:
  struct state;
  explicit uring_streams(std::unique_ptr<state> s) noexcept;
  std::unique_ptr<state> s_;
};

}  // namespace sockit

#endif  // __linux__
