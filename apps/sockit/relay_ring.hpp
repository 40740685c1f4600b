// The TCP relay on io_uring completions (sockit::uring_relay) as one of `sockit relay`'s
// services: the ring relays on a thread of its own beside the event loop that keeps the signals;
// the loop drives its graceful stop and asks it for reports like the readiness relay's
// (relay_tcp). Linux only; private to the CLI.
#pragma once

#ifdef __linux__

#include <atomic>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "relay_service.hpp"
#include "relay_settings.hpp"
#include "sockit/uring_relay.hpp"
#include "warning_limiter.hpp"

namespace sockit::cli {

class ring_relay final : public relay_service {
 public:
  // Listens at `at` (with SO_REUSEPORT when several loops each run one) and starts relaying at once.
  static result<std::unique_ptr<ring_relay>> start(const endpoint& at, const relay_settings& s,
                                                   std::chrono::milliseconds drain_timeout, bool reuse_port);
  ~ring_relay() override;

  const endpoint& local_endpoint() const noexcept override { return local_; }
  relay_snapshot snapshot() const override;
  void begin_drain() override;
  std::size_t sweep_drained() override;
  void close_all() override;

  ring_relay() = default;  // use start()

 private:
  // On the ring's thread: one line per connection, a warning for a failed target, the history.
  void ended(const uring_relay_connection& c, uring_relay_outcome o, std::error_code ec);

  std::unique_ptr<uring_relay> relay_;
  endpoint local_;
  std::string target_name_;
  std::thread thread_;
  std::atomic<bool> done_{false};
  mutable std::mutex mu_;          // the history, written on the ring's thread
  std::deque<relay_row> history_;  // the last connections that closed
  warning_limiter warnings_;       // the ring's thread only
};

// Why `sockit relay` with these settings cannot run on the completion relay (empty: it can): it
// has none of the readiness relay's byte paths (splice, --copy, impairments, TLS) and no Unix
// sockets.
std::string ring_relay_unfit(const relay_settings& s, bool unix_side, bool pipe_size_given);

}  // namespace sockit::cli

#endif  // __linux__
