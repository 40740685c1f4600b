#include "warning_limiter.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace sockit::cli {

void warning_limiter::warn(const std::string& line) {
  auto now = std::chrono::steady_clock::now();
  if (last_ != std::chrono::steady_clock::time_point{} && now - last_ < std::chrono::seconds(1)) {
    ++unlogged_;
    return;
  }
  std::string more = unlogged_ ? fmt::format(" (and {} more since the last one)", unlogged_) : "";
  spdlog::warn("{}{}", line, more);
  last_ = now;
  unlogged_ = 0;
}

}  // namespace sockit::cli
