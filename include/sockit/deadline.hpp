// sockit/deadline.hpp: a point on the monotonic clock by which a blocking call must give up.
// Calls take a deadline rather than a timeout so loops of partial transfers share one budget.
#pragma once

#include <chrono>

namespace sockit {

using clock = std::chrono::steady_clock;

// now + d, saturated at the clock's ends: a duration::max() means "never" instead of wrapping.
clock::time_point clock_after(clock::duration d) noexcept;

class deadline {
 public:
  // No deadline: wait forever.
  constexpr deadline() noexcept = default;
  static constexpr deadline never() noexcept { return deadline{}; }
  static deadline after(clock::duration d) noexcept { return deadline{clock_after(d)}; }
  static constexpr deadline at(clock::time_point t) noexcept { return deadline{t}; }
  // A deadline from seconds; a negative value means none (the CLI's "no -w given").
  static deadline after_seconds(double seconds) noexcept;

  bool is_never() const noexcept { return !set_; }
  bool expired() const noexcept { return set_ && clock::now() >= when_; }
  clock::time_point when() const noexcept { return when_; }
  // The earlier of this deadline and now + d: one slice of a wait that must also look at a flag
  // (a stop request) every d.
  deadline within(clock::duration d) const noexcept;

  // Milliseconds left for poll(2): -1 when there is no deadline, 0 once expired,
  // rounded up so a 0.5 ms remainder does not turn into a busy poll(0).
  int poll_timeout_ms() const noexcept;

 private:
  constexpr explicit deadline(clock::time_point t) noexcept : when_(t), set_(true) {}
  clock::time_point when_{};
  bool set_ = false;
};

}  // namespace sockit
