// sockit/event_loop.hpp: the reactor. One thread runs the loop; it watches descriptors through a
// poller backend chosen at run time (epoll, poll or select: see engine.hpp), runs one-shot and
// periodic timers, takes work posted from other threads (eventfd wake-up) and turns
// SIGINT/SIGTERM into loop events (signalfd) for a graceful stop.
//
// Callback contract: a call that fails returns its error and never runs its callback. Callbacks
// run on the loop thread only. A callback may watch/unwatch any descriptor, including its own.
// Threads: watch, modify, unwatch, run_after, run_every, cancel and on_signals belong to the loop's
// thread; unless NDEBUG they abort when called from another thread while the loop runs (before
// run() and after it returns, whoever holds the loop may set it up or tear it down). Other threads
// use post() and stop().
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <string_view>

#include "sockit/engine.hpp"
#include "sockit/io_event.hpp"
#include "sockit/result.hpp"

namespace sockit {

namespace detail {
class poller;
}

class event_loop {
 public:
  using io_callback = std::function<void(std::uint32_t events)>;
  using task = std::function<void()>;
  using timer_id = std::uint64_t;
  using duration = std::chrono::steady_clock::duration;

  static result<std::unique_ptr<event_loop>> create(engine e = engine::automatic);
  ~event_loop();
  event_loop(const event_loop&) = delete;
  event_loop& operator=(const event_loop&) = delete;

  std::string_view engine_name() const noexcept;

  // Interest in a descriptor the loop does not own. `events` is a mask of io_readable and
  // io_writable (errors and hang-ups are always reported).
  std::error_code watch(int fd, std::uint32_t events, io_callback cb);
  std::error_code modify(int fd, std::uint32_t events);
  std::error_code unwatch(int fd);
  bool watching(int fd) const noexcept;

  timer_id run_after(duration d, task fn);
  timer_id run_every(duration period, task fn);
  // Cancelling an unknown or already fired one-shot timer is a no-op.
  void cancel(timer_id id) noexcept;

  // Delivers the signals through the loop instead of asynchronously. They are blocked in the
  // calling thread (call this before starting other threads so they inherit the mask); the
  // destructor restores the previous mask in the thread that destroys the loop.
  std::error_code on_signals(std::initializer_list<int> signals, std::function<void(int)> cb);

  // Thread-safe: queues fn to run on the loop thread at the end of the current turn (or the next
  // turn, waking the loop if called from another thread). Never runs fn inside post().
  void post(task fn);
  // Thread-safe: run() returns after the current turn.
  void stop();

  // Runs until stop(). Returns the poller error that ended it, if any.
  std::error_code run();
  // One turn: wait at most `max_wait` (or until a timer is due), dispatch. For tests and embedding.
  std::error_code run_once(duration max_wait);

  bool in_loop_thread() const noexcept;
  std::size_t watched_count() const noexcept;

 private:
  explicit event_loop(std::unique_ptr<detail::poller> p);
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace sockit
