#pragma once
// warning_limiter: at most a few warning lines a second (one by default), the next one after a
// pause saying how many were held back, so a flood of refused peers costs a server a line or a
// few a second, not a line a peer.

#include <chrono>
#include <cstdint>
#include <string>

namespace sockit::cli {

class warning_limiter {
 public:
  explicit warning_limiter(unsigned per_second = 1) : per_second_(per_second) {}
  void warn(const std::string& line);

 private:
  unsigned per_second_;
  std::chrono::steady_clock::time_point window_{};  // when the current second of lines began
  unsigned in_window_ = 0;
  std::uint64_t unlogged_ = 0;
};

}  // namespace sockit::cli
