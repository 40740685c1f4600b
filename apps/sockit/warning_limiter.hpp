#pragma once
// warning_limiter: at most one warning line a second, the next one saying how many were held back,
// so a flood of refused peers costs a server a line a second, not a line a peer.

#include <chrono>
#include <cstdint>
#include <string>

namespace sockit::cli {

class warning_limiter {
 public:
  void warn(const std::string& line);

 private:
  std::chrono::steady_clock::time_point last_{};
  std::uint64_t unlogged_ = 0;
};

}  // namespace sockit::cli
