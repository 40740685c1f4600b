// Deadline arithmetic.
#include "sockit/deadline.hpp"

#include <limits>

namespace sockit {

deadline deadline::after_seconds(double seconds) noexcept {
  if (!(seconds >= 0)) return never();  // negative or NaN: no deadline
  // Clamp so a huge value cannot overflow the clock's representation.
  constexpr double max_s = 100.0 * 365 * 24 * 3600;
  if (seconds > max_s) seconds = max_s;
  auto d = std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(seconds));
  return after(d);
}

int deadline::poll_timeout_ms() const noexcept {
  if (!set_) return -1;
  auto left = when_ - clock::now();
  if (left <= clock::duration::zero()) return 0;
  auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
  if (ms > std::numeric_limits<int>::max()) return std::numeric_limits<int>::max();
  return static_cast<int>(ms);
}

}  // namespace sockit
