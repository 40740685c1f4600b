// The reactor: dispatch, timers (a min-heap with lazy cancellation), cross-thread wake-up and
// signals through two descriptors of its own (detail/wakeup.hpp: eventfd and signalfd on Linux).
#include "sockit/event_loop.hpp"

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <queue>
#include <thread>
#include <unordered_map>
#include <vector>

#include "detail/syscall.hpp"
#include "detail/wakeup.hpp"
#include "poller/poller.hpp"
#include "sockit/deadline.hpp"
#include "sockit/error.hpp"

namespace sockit {

namespace {

struct watcher {
  event_loop::io_callback cb;
  std::uint32_t events;
  std::uint32_t generation;  // this registration's number: events for an older one are dropped
};

struct timer {
  clock::time_point when;
  event_loop::duration period;  // zero for one-shot
  event_loop::task fn;
};

using heap_entry = std::pair<clock::time_point, event_loop::timer_id>;

}  // namespace

struct event_loop::impl {
  std::unique_ptr<detail::poller> poller;
  // Indexed by fd. A watcher is heap-allocated so that a callback that watches new descriptors
  // (growing this vector) or unwatches itself never moves or destroys the function running.
  std::vector<std::unique_ptr<watcher>> watchers;
  std::vector<std::unique_ptr<watcher>> graveyard;  // unwatched during this turn
  std::size_t watched = 0;
  std::vector<detail::ready_event> ready;
  // Numbers watch() registrations (see ready_event). Wrapping is harmless: a stale event would
  // have to outlive 2^32 registrations.
  std::uint32_t next_generation = 1;

  std::unordered_map<timer_id, timer> timers;
  std::priority_queue<heap_entry, std::vector<heap_entry>, std::greater<>> heap;
  timer_id next_timer = 1;

  detail::wakeup waker;
  std::mutex mu;
  std::vector<task> posted;  // guarded by mu
  // True while `posted` may be non-empty (set under mu by post(), cleared by run_posted()): each
  // turn tests it without taking the mutex, which otherwise costs two lock/unlock pairs per turn
  // when nothing was posted (the common case on a busy server).
  std::atomic<bool> has_posted{false};
  std::atomic<bool> stop_requested{false};
  std::atomic<std::thread::id> owner{std::this_thread::get_id()};
  // The thread inside run()/run_once() right now, or none. The loop-thread check compares against
  // this rather than `owner`: a loop is often built on one thread, run on another and torn down
  // on the first after a join, and none of that races; a call from elsewhere while it runs does.
  std::atomic<std::thread::id> running{};

  detail::signal_source signals;
  std::function<void(int)> on_signal;

  // muduo's assertInLoopThread, on unless NDEBUG: the entry points that touch the watcher table or
  // the timer heap abort with a clear line when called from another thread while the loop runs.
  void check_thread([[maybe_unused]] const char* what) const noexcept {
#ifndef NDEBUG
    auto r = running.load();
    if (r != std::thread::id{} && r != std::this_thread::get_id()) {
      std::fprintf(stderr,
                   "sockit: event_loop::%s called from a thread other than the one running the loop; "
                   "post() the work to the loop instead\n",
                   what);
      std::abort();
    }
#endif
  }

  void wake() { waker.notify(); }

  // The epoll_wait timeout for this turn. `forever` (run()'s turns): with no timer pending, -1, so
  // the kernel arms no timer for the sleep (a finite timeout costs an hrtimer start and cancel per
  // wait). The clock is read only when a timer is pending.
  int timeout_ms(duration max_wait, bool forever) {
    // Clamp first: now + duration::max() would overflow.
    if (max_wait > std::chrono::hours(24)) max_wait = std::chrono::hours(24);
    if (max_wait < duration::zero()) max_wait = duration::zero();
    if (max_wait == duration::zero()) return 0;
    bool pending = false;
    clock::time_point next{};
    while (!heap.empty()) {
      auto [when, id] = heap.top();
      auto it = timers.find(id);
      if (it == timers.end() || it->second.when != when) {
        heap.pop();  // cancelled or rescheduled: drop the stale entry
        continue;
      }
      pending = true;
      next = when;
      break;
    }
    if (!pending) {
      if (forever) return -1;
      auto ms = std::chrono::ceil<std::chrono::milliseconds>(max_wait).count();
      return ms > 24 * 3600 * 1000 ? 24 * 3600 * 1000 : static_cast<int>(ms);
    }
    auto now = clock::now();
    auto limit = now + max_wait;
    if (next < limit) limit = next;
    if (limit <= now) return 0;
    auto ms = std::chrono::ceil<std::chrono::milliseconds>(limit - now).count();
    return ms > 24 * 3600 * 1000 ? 24 * 3600 * 1000 : static_cast<int>(ms);
  }

  void run_timers() {
    if (heap.empty()) return;  // no clock read on a turn without timers
    auto now = clock::now();
    while (!heap.empty() && heap.top().first <= now) {
      auto [when, id] = heap.top();
      heap.pop();
      auto it = timers.find(id);
      if (it == timers.end() || it->second.when != when) continue;
      // Move the function out while it runs: the callback may cancel its own timer.
      task fn = std::move(it->second.fn);
      if (it->second.period == duration::zero()) {
        timers.erase(it);
        fn();
        continue;
      }
      auto next = when + it->second.period;
      if (next <= now) next = now + it->second.period;  // fell behind: do not fire in a burst
      it->second.when = next;
      fn();
      if (auto again = timers.find(id); again != timers.end() && again->second.when == next) {
        again->second.fn = std::move(fn);
        heap.push({next, id});
      }
    }
  }

  void run_posted() {
    if (!has_posted.load(std::memory_order_acquire)) return;
    std::vector<task> batch;
    {
      std::lock_guard lock(mu);
      batch.swap(posted);
      has_posted.store(false, std::memory_order_relaxed);
    }
    for (auto& t : batch) t();
  }

  // One turn: wait, dispatch, timers, posted tasks.
  std::error_code turn(duration max_wait, bool forever) {
    if (has_posted.load(std::memory_order_acquire)) max_wait = duration::zero();
    if (auto ec = poller->wait(ready, timeout_ms(max_wait, forever))) return ec;
    for (const auto& r : ready) {
      if (static_cast<std::size_t>(r.fd) >= watchers.size()) continue;
      watcher* w = watchers[r.fd].get();
      if (!w) continue;                             // unwatched by an earlier callback of this turn
      if (w->generation != r.generation) continue;  // for a closed predecessor whose number was reused
      w->cb(r.events);
    }
    run_timers();
    run_posted();
    if (!graveyard.empty()) graveyard.clear();
    return detail::no_error;
  }
};

event_loop::event_loop(std::unique_ptr<detail::poller> p) : impl_(std::make_unique<impl>()) {
  impl_->poller = std::move(p);
}

result<std::unique_ptr<event_loop>> event_loop::create(engine e) {
  auto p = detail::make_poller(e);
  if (!p) return p.error();
  std::unique_ptr<event_loop> loop(new event_loop(std::move(*p)));
  auto w = detail::wakeup::create();
  if (!w) return w.error();
  auto& waker = loop->impl_->waker;
  waker = std::move(*w);
  if (auto ec = loop->watch(waker.fd(), io_readable, [&waker](std::uint32_t) { waker.drain(); })) return ec;
  return loop;
}

event_loop::~event_loop() = default;

std::string_view event_loop::engine_name() const noexcept { return impl_->poller->name(); }

std::error_code event_loop::watch(int fd, std::uint32_t events, io_callback cb) {
  impl_->check_thread("watch");
  if (fd < 0) return std::make_error_code(std::errc::bad_file_descriptor);
  auto& w = impl_->watchers;
  if (static_cast<std::size_t>(fd) >= w.size()) w.resize(static_cast<std::size_t>(fd) + 1);
  if (w[fd]) return std::make_error_code(std::errc::file_exists);
  auto generation = impl_->next_generation++;
  if (auto ec = impl_->poller->add(fd, events, generation)) return ec;
  w[fd] = std::make_unique<watcher>(watcher{std::move(cb), events, generation});
  ++impl_->watched;
  return {};
}

std::error_code event_loop::modify(int fd, std::uint32_t events) {
  impl_->check_thread("modify");
  if (!watching(fd)) return std::make_error_code(std::errc::no_such_file_or_directory);
  auto& w = *impl_->watchers[fd];
  if (w.events == events) return {};
  if (auto ec = impl_->poller->modify(fd, events)) return ec;
  w.events = events;
  return {};
}

std::error_code event_loop::unwatch(int fd) {
  impl_->check_thread("unwatch");
  if (!watching(fd)) return std::make_error_code(std::errc::no_such_file_or_directory);
  auto ec = impl_->poller->remove(fd);
  impl_->graveyard.push_back(std::move(impl_->watchers[fd]));
  --impl_->watched;
  return ec;
}

bool event_loop::watching(int fd) const noexcept {
  return fd >= 0 && static_cast<std::size_t>(fd) < impl_->watchers.size() && impl_->watchers[fd] != nullptr;
}

std::size_t event_loop::watched_count() const noexcept {
  return impl_->watched - 1 - (impl_->signals.fd() >= 0 ? 1 : 0);  // not counting our own fds
}

event_loop::timer_id event_loop::run_after(duration d, task fn) {
  impl_->check_thread("run_after");
  // A past time runs at the next turn, as zero does: not before the I/O of this one, however often
  // it re-arms itself.
  if (d < duration::zero()) d = duration::zero();
  auto id = impl_->next_timer++;
  auto when = clock_after(d);
  impl_->timers.emplace(id, timer{when, duration::zero(), std::move(fn)});
  impl_->heap.push({when, id});
  return id;
}

event_loop::timer_id event_loop::run_every(duration period, task fn) {
  impl_->check_thread("run_every");
  if (period <= duration::zero()) period = std::chrono::milliseconds(1);
  auto id = impl_->next_timer++;
  auto when = clock_after(period);
  impl_->timers.emplace(id, timer{when, period, std::move(fn)});
  impl_->heap.push({when, id});
  return id;
}

void event_loop::cancel(timer_id id) noexcept {
  impl_->check_thread("cancel");
  impl_->timers.erase(id);
}

std::error_code event_loop::on_signals(std::initializer_list<int> signals, std::function<void(int)> cb) {
  impl_->check_thread("on_signals");
  if (impl_->signals.fd() >= 0) return std::make_error_code(std::errc::device_or_resource_busy);
  auto src = detail::signal_source::create(signals);
  if (!src) return src.error();
  int fd = src->fd();
  auto ec = watch(fd, io_readable, [this](std::uint32_t) {
    impl_->signals.drain([this](int signo) {
      if (impl_->on_signal) impl_->on_signal(signo);
    });
  });
  if (ec) return ec;  // src's destructor restores the signals' delivery
  impl_->signals = std::move(*src);
  impl_->on_signal = std::move(cb);
  return {};
}

void event_loop::post(task fn) {
  bool first;
  {
    std::lock_guard lock(impl_->mu);
    first = impl_->posted.empty();
    impl_->posted.push_back(std::move(fn));
    impl_->has_posted.store(true, std::memory_order_release);
  }
  if (first && !in_loop_thread()) impl_->wake();
}

void event_loop::stop() {
  impl_->stop_requested = true;
  // Always wake, even from what looks like the loop thread: before run() has taken over the
  // loop, the owner is still the creating thread, and a skipped wake-up would leave a just
  // started run() asleep for an hour.
  impl_->wake();
}

bool event_loop::in_loop_thread() const noexcept { return impl_->owner.load() == std::this_thread::get_id(); }

std::error_code event_loop::run_once(duration max_wait) {
  auto& d = *impl_;
  d.owner = std::this_thread::get_id();
  // Inside run() the mark is already set and stays until run() returns.
  struct running_mark {
    std::atomic<std::thread::id>& running;
    bool set;
    ~running_mark() {
      if (set) running = std::thread::id{};
    }
  } mark{d.running, d.running.load() != std::this_thread::get_id()};
  if (mark.set) d.running = std::this_thread::get_id();
  return d.turn(max_wait, false);
}

std::error_code event_loop::run() {
  impl_->owner = std::this_thread::get_id();  // before the first stop check: see stop()
  impl_->running = std::this_thread::get_id();
  std::error_code ec;
  // The same turns as run_once(), without its per-call bookkeeping, and sleeping without a
  // timeout when no timer is pending (stop() and post() wake the loop through the eventfd).
  while (!impl_->stop_requested && !ec) ec = impl_->turn(std::chrono::hours(1), true);
  impl_->stop_requested = false;  // a stop() that arrived before run() still counts, once
  impl_->running = std::thread::id{};
  return ec;
}

}  // namespace sockit
