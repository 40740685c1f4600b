// What every loop's relay (TCP or UDP) offers the command: the shard's graceful-stop calls and a
// snapshot for the report. Private to the CLI.
#pragma once

#include "relay_stats.hpp"
#include "services/service_loops.hpp"
#include "sockit/endpoint.hpp"

namespace sockit::cli {

class relay_service : public loop_service {
 public:
  virtual const endpoint& local_endpoint() const noexcept = 0;
  // On the relay's loop thread: the open connections (sessions), the last ones that closed, and
  // the totals so far.
  virtual relay_snapshot snapshot() const = 0;
};

// How many closed connections (sessions) each loop remembers for the report.
inline constexpr std::size_t relay_history = 100;

}  // namespace sockit::cli
