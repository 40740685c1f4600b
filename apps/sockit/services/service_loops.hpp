// The per-loop lifecycle of a service run: N event loops (loop 0 on the calling thread, the others
// on their own), each with its own services on the shared ports; SIGINT/SIGTERM drain every loop
// (stop accepting, let queued output leave, up to a deadline) and a second signal stops at once;
// a loop whose poller breaks stops the others.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <system_error>
#include <utility>
#include <vector>

#include "service_stats.hpp"
#include "sockit/event_loop.hpp"
#include "tcp_service.hpp"
#include "udp_service.hpp"

namespace sockit::cli {

// A service that is neither a tcp_service nor a udp_service (the relay): the shard drives its
// graceful stop through these three calls, on the shard's loop thread.
class loop_service {
 public:
  virtual ~loop_service() = default;
  // Stop accepting; let what is queued leave.
  virtual void begin_drain() = 0;
  // Closes what has drained; returns how many connections remain.
  virtual std::size_t sweep_drained() = 0;
  // Closes everything now.
  virtual void close_all() = 0;
};

// One event loop and everything it serves. Each loop drains on its own, to its own deadline: one
// loop that has finished early must not cut the others' drains short.
struct shard {
  std::unique_ptr<event_loop> loop;
  std::vector<std::unique_ptr<tcp_service>> tcps;
  std::vector<std::unique_ptr<udp_service>> udps;
  std::vector<std::unique_ptr<loop_service>> others;  // not in the rows: they report themselves
  std::vector<std::pair<tcp_service*, udp_service*>> rows;  // in the order of the report
  bool draining = false;
  bool finished = false;
  event_loop::timer_id deadline_timer = 0, sweep_timer = 0;
  std::error_code loop_error;
  // Runs on this loop's thread once everything it served is closed.
  std::function<void()> on_finished;

  void add(std::unique_ptr<tcp_service> t);
  void add(std::unique_ptr<udp_service> u);
  void add(std::unique_ptr<loop_service> s);
  std::vector<service_stats> totals() const;
  // Idempotent: the deadline, the sweep, a second signal and a failing sibling may all ask.
  void finish();
  // Graceful stop, on this shard's loop thread: no new connections or datagrams; queued output
  // leaves; the shard finishes once every connection is gone or at the deadline.
  void begin_drain(std::chrono::milliseconds deadline);

 private:
  std::size_t sweep();
};

class service_loops {
 public:
  explicit service_loops(std::chrono::milliseconds drain_timeout) : drain_timeout_(drain_timeout) {}
  service_loops(const service_loops&) = delete;
  service_loops& operator=(const service_loops&) = delete;

  // Creates `n` loops on `eng`.
  std::error_code create(engine eng, int n);
  // Signals first, before any thread starts (they inherit the mask): a SIGINT that arrives while
  // the services bind must still stop the run cleanly.
  // With `on_report`, SIGUSR1 runs it on loop 0's thread (a report of the run so far).
  std::error_code watch_signals(std::function<void()> on_report = {});

  std::size_t size() const noexcept { return shards_.size(); }
  std::chrono::milliseconds drain_timeout() const noexcept { return drain_timeout_; }
  shard& operator[](std::size_t k) { return shards_[k]; }
  const shard& front() const { return shards_.front(); }

  // Serves until every loop has finished. Returns the first loop's failure, if any.
  std::error_code run();
  bool stopped_by_signal() const noexcept { return stopped_by_signal_; }
  // Every loop's rows, summed.
  std::vector<service_stats> totals() const;

 private:
  std::chrono::milliseconds drain_timeout_;
  std::vector<shard> shards_;
  bool stopped_by_signal_ = false;
};

}  // namespace sockit::cli
