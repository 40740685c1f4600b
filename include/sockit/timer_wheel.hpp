// sockit/timer_wheel.hpp: a hashed timer wheel for many coarse timeouts (idle connections by the
// hundred thousand). Public. Insert, reschedule and cancel are O(1); advancing costs one step per
// elapsed tick plus the entries in the slots it passes. Deadlines further out than one turn of
// the wheel stay in their slot and are re-filed when it comes round ("rounds").
//
//   slots:  [0] <-> e <-> e     each slot is a circular list through a sentinel; entries are
//           [1]                 intrusive (the owner embeds timer_wheel::entry), so scheduling
//           [2] <-> e           never allocates and an entry unlinks itself when destroyed.
//           ...
//
// The idle-timeout pattern (no per-read timer work): schedule each connection once at
// last_activity + timeout; on activity only record the time; when the entry fires, re-schedule it
// at last_activity + timeout if that is still ahead, else close the connection.
// Single-threaded: use one wheel per event loop.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace sockit {

class timer_wheel {
 public:
  using clock = std::chrono::steady_clock;
  using duration = clock::duration;
  using time_point = clock::time_point;

 private:
  struct node {
    node* prev = this;
    node* next = this;
  };

 public:
  // Embed one per timeout. Not copyable or movable (the wheel links to its address).
  class entry : private node {
   public:
    entry() = default;
    entry(const entry&) = delete;
    entry& operator=(const entry&) = delete;
    ~entry() { cancel(); }

    bool scheduled() const noexcept { return owner_ != nullptr; }
    time_point deadline() const noexcept { return deadline_; }
    void cancel() noexcept;

   private:
    friend class timer_wheel;
    timer_wheel* owner_ = nullptr;
    time_point deadline_{};
  };

  // `tick` is the granularity (an entry fires up to one tick late, never early); `slots` times
  // `tick` is one turn of the wheel.
  timer_wheel(duration tick, std::size_t slots, time_point now = clock::now());
  ~timer_wheel();
  timer_wheel(const timer_wheel&) = delete;
  timer_wheel& operator=(const timer_wheel&) = delete;

  // (Re)schedules e to fire at `deadline` (a deadline already past fires on the next tick).
  void schedule(entry& e, time_point deadline) noexcept;
  void cancel(entry& e) noexcept { e.cancel(); }

  // Fires every entry whose deadline is at or before `now`: each is unscheduled, then fn(entry&)
  // runs; fn may schedule, cancel or destroy any entry, this one included. Returns how many fired.
  template <class F>
  std::size_t advance(time_point now, F&& fn);

  std::size_t size() const noexcept { return size_; }
  duration tick() const noexcept { return tick_; }
  // Entries advance() has looked at so far (fired, or re-filed for a later round): its whole
  // cost beyond one step per tick. Lets tests check that it tracks the slots passed, not size().
  std::uint64_t visited() const noexcept { return visited_; }

 private:
  static void link_before(node& pos, node& n) noexcept {
    n.prev = pos.prev;
    n.next = &pos;
    pos.prev->next = &n;
    pos.prev = &n;
  }
  static void unlink(node& n) noexcept {
    n.prev->next = n.next;
    n.next->prev = n.prev;
    n.prev = n.next = &n;
  }
  static entry& as_entry(node* n) noexcept { return static_cast<entry&>(*n); }
  std::int64_t tick_of(time_point t) const noexcept;  // ceil((t - origin) / tick)

  duration tick_;
  time_point origin_;
  std::int64_t current_ = 0;  // ticks processed so far
  std::vector<node> slots_;
  std::size_t size_ = 0;
  std::uint64_t visited_ = 0;
};

template <class F>
std::size_t timer_wheel::advance(time_point now, F&& fn) {
  std::int64_t target = (now - origin_) / tick_;
  auto n_slots = static_cast<std::int64_t>(slots_.size());
  std::size_t fired = 0;
  while (current_ < target) {
    // After a long stall, one pass over every slot sees every entry: skip the empty turns.
    if (target - current_ > n_slots) current_ = target - n_slots;
    ++current_;
    // Move the slot's list aside so re-filed entries (next round, or fn's reschedules) do not
    // come round again in this pass.
    node pending;
    node& head = slots_[static_cast<std::size_t>(current_ % n_slots)];
    if (head.next == &head) continue;
    pending.next = head.next;
    pending.prev = head.prev;
    pending.next->prev = &pending;
    pending.prev->next = &pending;
    head.prev = head.next = &head;
    while (pending.next != &pending) {
      entry& e = as_entry(pending.next);
      unlink(e);
      ++visited_;
      if (e.deadline_ > now) {
        --size_;
        e.owner_ = nullptr;
        schedule(e, e.deadline_);  // a later round
        continue;
      }
      --size_;
      e.owner_ = nullptr;
      ++fired;
      fn(e);
    }
  }
  return fired;
}

}  // namespace sockit
