// Deadline arithmetic.
#include "sockit/deadline.hpp"

#include <limits>

namespace sockit {

clock::time_point clock_after(clock::duration d) noexcept {
  const auto now = clock::now();
  const auto since = now.time_since_epoch();
  // Each bound is computed on the side that cannot overflow itself (max - d for d > 0, min - d for d < 0).
  if (d > clock::duration::zero() && since > clock::duration::max() - d) return clock::time_point::max();
  if (d < clock::duration::zero() && since < clock::duration::min() - d) return clock::time_point::min();
  return now + d;
}

deadline deadline::after_seconds(double seconds) noexcept {
  if (!(seconds >= 0)) return never();  // negative or NaN: no deadline
  // Clamp so a huge value cannot overflow the clock's representation.
  constexpr double max_s = 100.0 * 365 * 24 * 3600;
  if (seconds > max_s) seconds = max_s;
  auto d = std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(seconds));
  return after(d);
}

deadline deadline::within(clock::duration d) const noexcept {
  auto soon = clock_after(d);
  return set_ && when_ <= soon ? *this : at(soon);
}

int deadline::poll_timeout_ms() const noexcept {
  if (!set_) return -1;
  const auto now = clock::now();
  if (when_ <= now) return 0;  // compared, not subtracted: a saturated past would wrap
  auto left = when_ - now;
  auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
  if (ms > std::numeric_limits<int>::max()) return std::numeric_limits<int>::max();
  return static_cast<int>(ms);
}

}  // namespace sockit
