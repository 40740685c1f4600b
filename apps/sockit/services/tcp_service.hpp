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
#include "sockit/tls_context.hpp"
#include "sockit/tls_stream.hpp"

namespace sockit::cli {

struct tcp_service_options {
  std::size_t max_connections = 1000;  // the host passes its own (by default from the fd limit)
  std::chrono::milliseconds idle_timeout{0};  // 0: never
  // Over TLS: a client whose handshake is not done this long after it connected is closed (one
  // warning line, counted in errors); 0: never.
  std::chrono::milliseconds tls_handshake_timeout{0};
  bool reuse_port = false;                    // SO_REUSEPORT: one listener per loop on one port
  std::size_t loop_index = 0;                 // which of the host's loops, for the debug log
  socket_prepare prepare;                     // the listener's socket options (before bind)
};

// What a service does with its connections (echo, discard, proto...): on_open is required, the
// others are optional. The service keeps the connections, their limits and their lifetimes.
// Conn is tcp_connection, or tls_stream for a service over TLS (--tls): the two keep one callback
// contract, so a service written once as a template on Conn serves both.
template <class Conn>
struct basic_tcp_handler {
  // Runs once per connection, after it is started (so sends and closes are allowed; on TLS what is
  // sent before the handshake ends waits in the stream).
  std::function<void(Conn&)> on_open;
  // Runs when a connection closes, before the service lets go of it.
  std::function<void(Conn&, std::error_code)> on_close;
  // A connection silent for the idle timeout: without this the service closes it (timed_out);
  // with it the handler decides (a protocol may answer, FIN and drain first). Either way the
  // connection is not filed in the idle wheel again.
  std::function<void(Conn&)> on_idle;
};
using tcp_handler = basic_tcp_handler<tcp_connection>;
using tls_handler = basic_tcp_handler<tls_stream>;

// The host's view of one stream service on one loop, whatever its connections are: the acceptor,
// the limits, refusals, the idle timer and the totals live here; what touches a connection is in
// basic_tcp_service<Conn> (tcp_service.cpp, instantiated for tcp_connection and tls_stream).
class tcp_service {
 public:
  using open_handler = std::function<void(tcp_connection&)>;

  static result<std::unique_ptr<tcp_service>> create(event_loop& loop, std::string name, const endpoint& at,
                                                     tcp_handler handler, const tcp_service_options& opts);
  // Over TLS: every client's handshake first (with `tls`, a server context that outlives the
  // service). A failed handshake is one warning line and ends only that connection.
  static result<std::unique_ptr<tcp_service>> create(event_loop& loop, std::string name, const endpoint& at,
                                                     tls_handler handler, const tls_context& tls,
                                                     const tcp_service_options& opts);
  // A service on a listening socket made elsewhere: a Unix stream listener (unix_flags'
  // listen_unix), named `unix_at` in the report; -v logs each client's credentials.
  static result<std::unique_ptr<tcp_service>> adopt(event_loop& loop, std::string name, socket listener,
                                                    std::string unix_at, tcp_handler handler,
                                                    const tcp_service_options& opts);
  virtual ~tcp_service();

  const endpoint& local_endpoint() const noexcept { return stats_.local; }
  // Totals so far, live connections included.
  service_stats totals() const;
  virtual std::size_t live() const noexcept = 0;
  // Graceful stop, first step: stop accepting; every connection lingers (sends what is queued,
  // then FIN, discarding input).
  virtual void begin_drain() = 0;
  // Closes the lingering connections whose output has fully left; returns how many remain.
  virtual std::size_t sweep_drained() = 0;
  // Stops accepting and closes every connection now (their bytes are counted).
  virtual void close_all() = 0;

 protected:
  tcp_service(event_loop& loop, std::string name, const tcp_service_options& opts);
  // A connection the acceptor took: refused, or made, started and handed to the handler.
  virtual void admit(socket s, const endpoint& peer) = 0;
  virtual void on_idle_tick() = 0;
  // The bytes of the live connections, added to a copy of the totals.
  virtual void add_live(service_stats& t) const = 0;
  void refuse(socket s, const endpoint& peer);
  // The connection was accepted but the engine cannot watch its descriptor.
  void refuse_too_high(const endpoint& peer, std::error_code ec);
  // The warning for a refusal, at most one line a second (with a count of the others).
  void warn_refusal(const std::string& why);
  // Closes the listener and the idle timer: no new connections, no idle closes.
  void stop_accepting();
  // A client in log lines: its address, or on a Unix socket (clients are unnamed) the socket's.
  std::string peer_name(const endpoint& peer) const {
    return peer.empty() && !stats_.unix_at.empty() ? "a client of " + stats_.unix_at : peer.to_string();
  }
  // create's listener, on `at`.
  static result<std::unique_ptr<tcp_service>> listen_on(std::unique_ptr<tcp_service> svc, const endpoint& at);
  // The rest of create/adopt once the acceptor exists.
  static result<std::unique_ptr<tcp_service>> finish_create(std::unique_ptr<tcp_service> svc,
                                                            result<std::unique_ptr<tcp_acceptor>> a);

  event_loop& loop_;
  tcp_service_options opts_;
  std::unique_ptr<tcp_acceptor> acceptor_;
  std::unique_ptr<timer_wheel> idle_wheel_;  // only with an idle timeout
  event_loop::timer_id idle_timer_ = 0;
  service_stats stats_;
  std::chrono::steady_clock::time_point last_refusal_log_{};
  std::uint64_t refusals_unlogged_ = 0;
};

}  // namespace sockit::cli
