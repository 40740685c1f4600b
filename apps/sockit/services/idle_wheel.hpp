// The idle-timeout wheel of every server subcommand (serve, echo, proto serve), so that a silent
// connection goes between SECS and SECS + one tick after its last byte in all of them.
#pragma once

#include <algorithm>
#include <chrono>
#include <memory>

#include "sockit/timer_wheel.hpp"

namespace sockit::cli {

// Ticks every tenth of the timeout, between 10 ms and 1 s; 512 slots make one turn of the wheel
// last over 50 timeouts, so a connection is rarely looked at more than once per timeout.
inline std::unique_ptr<timer_wheel> make_idle_wheel(std::chrono::milliseconds timeout) {
  using std::chrono::milliseconds;
  return std::make_unique<timer_wheel>(std::clamp(timeout / 10, milliseconds(10), milliseconds(1000)), 512);
}

}  // namespace sockit::cli
