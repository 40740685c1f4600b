// One direction of a relayed TCP connection: the bytes from one socket (src) to the other (dst).
// Three ways to hold them between the read and the write, chosen once (and the first two changed
// only by a fallback):
//
//   splice  src --splice--> [pipe] --splice--> dst   zero-copy; the pipe's size bounds what is held
//   copy    src --recv-->  [buffer] --send-->  dst   where splice is refused (EINVAL...), or --copy
//   timed   src --recv-->  [timed_queue] --send--> dst   impairments: bytes wait for their time
//
// Backpressure is the same in all three: when what is held reaches its bound, src is not read
// (wants_read() is false) until dst has taken some, so memory stays bounded whatever the peers do.
// Half-close: once src is at end of stream and everything held has gone, dst is shut for writing
// (FIN), and the other direction goes on. Private to the CLI.
//
// On Windows (relay_flow_windows.cpp) there is no splice: the copy path is overlapped WSARecv into
// two chunks and WSASend out of them, completed on a completion port's thread and handed to the
// loop (on_progress); the timed path is the same as here.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <system_error>
#include <vector>

#include "relay_impairment.hpp"
#include "relay_timed_queue.hpp"
#include "sockit/event_loop.hpp"
#include "sockit/socket.hpp"
#ifndef _WIN32
#include "sockit/splice_pipe.hpp"
#endif

namespace sockit::cli {

struct flow_options {
  bool copy = false;          // read/write instead of splice
  std::size_t pipe_size = 0;  // F_SETPIPE_SZ hint; 0: the kernel's default (64 KiB)
  const impairment_config* impair = nullptr;  // set and active: the timed path
  std::uint64_t seed = 0;
  // Windows' overlapped copy: its completions run on `loop`, then call on_progress (the owner
  // pumps again). Unused on Linux, where readiness drives every path.
  event_loop* loop = nullptr;
  std::function<void()> on_progress;
};

// Bounds of what one direction holds.
inline constexpr std::size_t flow_copy_buffer = 256 << 10;  // the copy path's buffer
inline constexpr std::size_t flow_queue_limit = 4 << 20;    // the timed path's delay line
inline constexpr std::size_t flow_read_chunk = 64 << 10;    // one read on the timed path

#ifdef _WIN32
struct overlapped_copy;  // relay_flow_windows.cpp
#endif

class relay_flow {
 public:
  enum class path { splice, copy, timed };
  using clock = std::chrono::steady_clock;

  // The sockets belong to the connection, which outlives the flow.
  relay_flow(const socket& src, const socket& dst, const flow_options& o);
  // Opens the pipe on the splice path; without one (descriptors exhausted) the flow copies.
  void start();

  // Moves what can move now, up to a number of rounds per wake-up (fairness). An error ends the
  // connection (a reset, a broken pipe...).
  std::error_code pump(clock::time_point now);

  bool wants_read() const noexcept;
  bool wants_write() const noexcept;
  // Timed path: when held bytes next become due (or the pacer allows more), if nothing but time
  // is in the way; the owner wakes the flow then.
  std::optional<clock::time_point> wake_at() const noexcept;

  // Graceful stop: src is not read any more; what is held still goes.
  void stop_reading() noexcept { stop_reading_ = true; }
  bool src_done() const noexcept { return src_eof_; }
  // src at end of stream, everything delivered, FIN sent.
  bool finished() const noexcept { return shut_; }
  std::size_t held() const noexcept;
  std::uint64_t bytes_in() const noexcept { return in_; }
  std::uint64_t bytes_out() const noexcept { return out_; }
  path current_path() const noexcept { return path_; }
  // The flow's I/O completes without readiness events (Windows' overlapped copy): its sockets
  // need no watching. Always false on Linux.
  bool self_driven() const noexcept;
  ~relay_flow();
  relay_flow(const relay_flow&) = delete;
  relay_flow& operator=(const relay_flow&) = delete;

 private:
  std::error_code read_some(clock::time_point now, bool& moved);
  // A read that moved nothing: would-block is no error, end of stream marks the source done,
  // anything else is returned.
  std::error_code read_stopped(std::error_code ec, bool& moved);
  std::error_code write_some(clock::time_point now, bool& moved);
  // The timed path (impairments), the same on every platform (relay_flow_timed.cpp): reads into
  // the delay queue up to its limit, writes what is due as the pacer allows.
  std::error_code read_timed(clock::time_point now, bool& moved);
  std::error_code write_timed(clock::time_point now, bool& moved);
  // splice refused: the pipe's bytes move into the copy buffer and the flow copies from now on.
  std::error_code fall_back_to_copy();

  const socket& src_;
  const socket& dst_;
  path path_;
#ifdef _WIN32
  friend struct overlapped_copy;
  // What the overlapped operations share with the completion thread; outlives the flow while an
  // operation is in flight (the kernel writes into its chunks until the completion).
  std::shared_ptr<overlapped_copy> ov_;
  flow_options opts_;
  std::error_code failed_;  // a completion's error, returned by the next pump
  // On the loop's thread: books one overlapped operation's completion, then on_progress.
  void on_completion(bool send, bool ok, unsigned long bytes);
#else
  splice_pipe pipe_;
#endif
  // Copy path: [head_, tail_) of buf_ is held. Allocated when a read needs it (uninitialised: a
  // page costs memory only once bytes land in it) and freed whenever it empties, so an idle
  // connection holds none, as tcp_connection's buffers do.
  std::unique_ptr<std::byte[]> buf_;
  std::size_t buf_size_ = 0;
  std::size_t head_ = 0, tail_ = 0;
  std::unique_ptr<timed_queue> queue_;
  std::unique_ptr<impairment> impair_;
  std::unique_ptr<pacer> pacer_;
  std::size_t pipe_size_;
  bool src_eof_ = false;
  bool shut_ = false;
  bool stop_reading_ = false;
  bool blocked_ = false;  // dst refused the last write (timed path)
  std::uint64_t in_ = 0, out_ = 0;
};

const char* path_name(relay_flow::path p) noexcept;

}  // namespace sockit::cli
