// The hashed timer wheel (see the header for the layout and the idle-timeout pattern).
#include "sockit/timer_wheel.hpp"

#include <algorithm>

namespace sockit {

void timer_wheel::entry::cancel() noexcept {
  if (!owner_) return;
  timer_wheel::unlink(*this);
  --owner_->size_;
  owner_ = nullptr;
}

timer_wheel::timer_wheel(duration tick, std::size_t slots, time_point now)
    : tick_(std::max(tick, duration(1))), origin_(now), slots_(std::max<std::size_t>(slots, 1)) {
  // Sentinels link to themselves; a vector of them must not move once built.
  for (auto& s : slots_) s.prev = s.next = &s;
}

timer_wheel::~timer_wheel() {
  for (auto& s : slots_) {
    while (s.next != &s) {
      entry& e = as_entry(s.next);
      unlink(e);
      e.owner_ = nullptr;
    }
  }
}

std::int64_t timer_wheel::tick_of(time_point t) const noexcept {
  auto d = t - origin_;
  if (d <= duration::zero()) return 0;
  return (d + tick_ - duration(1)) / tick_;
}

void timer_wheel::schedule(entry& e, time_point deadline) noexcept {
  e.cancel();
  // The slot of the first tick at or after the deadline, and never one already processed.
  std::int64_t t = std::max(tick_of(deadline), current_ + 1);
  auto& head = slots_[static_cast<std::size_t>(t % static_cast<std::int64_t>(slots_.size()))];
  link_before(head, e);
  e.deadline_ = deadline;
  e.owner_ = this;
  ++size_;
}

}  // namespace sockit
