// One TCP service on one event loop: an acceptor plus the connections it owns. The service's
// behaviour (echo, discard...) is an open handler that installs the connection's callbacks; this
// class owns lifetimes, caps the number of connections, closes idle ones (a timer wheel: no
// per-read timer work, no scan), drains them on a graceful stop and keeps the totals.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "service_stats.hpp"
#include "sockit/event_loop.hpp"
#include "sockit/tcp_acceptor.hpp"
#include "sockit/tcp_connection.hpp"
#include "sockit/timer_wheel.hpp"

namespace sockit::cli {

struct tcp_service_options {
  std::size_t max_connections = 1000;  // the host passes its own (by default from the fd limit)
  std::chrono::milliseconds idle_timeout{0};  // 0: never
  bool reuse_port = false;                    // SO_REUSEPORT: one listener per loop on one port
  std::size_t loop_index = 0;                 // which of the host's loops, for the debug log
  socket_prepare prepare;                     // the listener's socket options (before bind)
};

// What a service does with its connections (echo, discard, proto...): on_open is required, the
// others are optional. The service keeps the connections, their limits and their lifetimes.
struct tcp_handler {
  // Runs once per connection, after it is started (so sends and closes are allowed).
  std::function<void(tcp_connection&)> on_open;
  // Runs when a connection closes, before the service lets go of it.
  std::function<void(tcp_connection&, std::error_code)> on_close;
  // A connection silent for the idle timeout: without this the service closes it (timed_out);
  // with it the handler decides (a protocol may answer, FIN and drain first). Either way the
  // connection is not filed in the idle wheel again.
  std::function<void(tcp_connection&)> on_idle;
};

class tcp_service {
 public:
  using open_handler = std::function<void(tcp_connection&)>;

  static result<std::unique_ptr<tcp_service>> create(event_loop& loop, std::string name, const endpoint& at,
                                                     tcp_handler handler, const tcp_service_options& opts);
  // A service on a listening socket made elsewhere: a Unix stream listener (unix_flags'
  // listen_unix), named `unix_at` in the report; -v logs each client's credentials.
  static result<std::unique_ptr<tcp_service>> adopt(event_loop& loop, std::string name, socket listener,
                                                    std::string unix_at, tcp_handler handler,
                                                    const tcp_service_options& opts);
  ~tcp_service();

  const endpoint& local_endpoint() const noexcept { return stats_.local; }
  // Totals so far, live connections included.
  service_stats totals() const;
  std::size_t live() const noexcept { return live_.size(); }
  // Graceful stop, first step: stop accepting; every connection lingers (sends what is queued,
  // then FIN, discarding input).
  void begin_drain();
  // Closes the lingering connections whose output has fully left; returns how many remain.
  std::size_t sweep_drained();
  // Stops accepting and closes every connection now (their bytes are counted).
  void close_all();

  tcp_service(event_loop& loop, std::string name, tcp_handler handler, const tcp_service_options& opts);  // use create()

 private:
  // A live connection and its idle timer (intrusive: it must not move, hence the unique_ptr).
  struct slot : timer_wheel::entry {
    std::shared_ptr<tcp_connection> conn;
  };
  void accept(socket s, const endpoint& peer);
  void refuse(socket s, const endpoint& peer);
  // The connection was accepted but the engine cannot watch its descriptor.
  void refuse_too_high(const endpoint& peer, std::error_code ec);
  // The warning for a refusal, at most one line a second (with a count of the others).
  void warn_refusal(const std::string& why);
  // Closes the listener and the idle timer: no new connections, no idle closes.
  void stop_accepting();
  // The live connections, copied: closing one runs its close handler, which erases from live_.
  std::vector<std::shared_ptr<tcp_connection>> live_connections() const;
  void on_idle_tick();
  // A client in log lines: its address, or on a Unix socket (clients are unnamed) the socket's.
  std::string peer_name(const endpoint& peer) const {
    return peer.empty() && !stats_.unix_at.empty() ? "a client of " + stats_.unix_at : peer.to_string();
  }
  // The rest of create/adopt once the acceptor exists.
  static result<std::unique_ptr<tcp_service>> finish_create(std::unique_ptr<tcp_service> svc,
                                                            result<std::unique_ptr<tcp_acceptor>> a);

  event_loop& loop_;
  tcp_handler handler_;
  tcp_service_options opts_;
  std::unique_ptr<tcp_acceptor> acceptor_;
  std::unordered_map<tcp_connection*, std::unique_ptr<slot>> live_;
  std::unique_ptr<timer_wheel> idle_wheel_;  // only with an idle timeout
  event_loop::timer_id idle_timer_ = 0;
  service_stats stats_;
  std::chrono::steady_clock::time_point last_refusal_log_{};
  std::uint64_t refusals_unlogged_ = 0;
};

}  // namespace sockit::cli
