#include "warning_limiter.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace sockit::cli {

void warning_limiter::warn(const std::string& line) {
  auto now = std::chrono::steady_clock::now();
  if (window_ == std::chrono::steady_clock::time_point{} || now - window_ >= std::chrono::seconds(1)) {
    window_ = now;
    in_window_ = 0;
  }
  if (in_window_ >= per_second_) {
    ++unlogged_;
    return;
  }
  ++in_window_;
  std::string more = unlogged_ ? fmt::format(" (and {} more since the last one)", unlogged_) : "";
  spdlog::warn("{}{}", line, more);
  unlogged_ = 0;
}

}  // namespace sockit::cli
