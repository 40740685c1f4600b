// A TCP service: accept, hand over to the service's open handler, count, and own the connections.
#include "tcp_service.hpp"

#include <algorithm>
#include <type_traits>

#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include "idle_wheel.hpp"
#include "../tls_flags.hpp"
#include "../unix_flags.hpp"
#include "sockit/error.hpp"
#include "sockit/io.hpp"

namespace sockit::cli {

namespace {

// The per-connection half of a service, on Conn = tcp_connection or tls_stream (see the header).
template <class Conn>
class basic_tcp_service final : public tcp_service {
 public:
  basic_tcp_service(event_loop& loop, std::string name, basic_tcp_handler<Conn> handler,
                    const tcp_service_options& opts, const tls_context* tls)
      : tcp_service(loop, std::move(name), opts), handler_(std::move(handler)), tls_(tls) {
    if (tls_) stats_.proto = "tls";
  }
  ~basic_tcp_service() override { close_all(); }

  std::size_t live() const noexcept override { return live_.size(); }
  void begin_drain() override;
  std::size_t sweep_drained() override;
  void close_all() override;

 private:
  // A live connection and its idle timer (intrusive: it must not move, hence the unique_ptr).
  struct slot : timer_wheel::entry {
    std::shared_ptr<Conn> conn;
    event_loop::timer_id handshake_timer = 0;  // TLS: armed until the handshake is done or it closes
  };
  void arm_handshake_limit(slot& sl);
  void admit(socket s, const endpoint& peer) override;
  void on_idle_tick() override;
  void add_live(service_stats& t) const override;
  std::shared_ptr<Conn> make_connection(socket s, const endpoint& peer);
  void closed(Conn& c, std::error_code ec);
  // The live connections, copied: closing one runs its close handler, which erases from live_.
  std::vector<std::shared_ptr<Conn>> live_connections() const;

  basic_tcp_handler<Conn> handler_;
  const tls_context* tls_;  // tls_stream only
  std::unordered_map<Conn*, std::unique_ptr<slot>> live_;
};

template <class Conn>
std::shared_ptr<Conn> basic_tcp_service<Conn>::make_connection(socket s, const endpoint& peer) {
  if constexpr (std::is_same_v<Conn, tls_stream>) {
    auto session = tls_session::server(*tls_);
    if (!session) {
      ++stats_.errors;
      spdlog::warn("{} {}: {}", stats_.service, stats_.proto, describe("TLS session for " + peer_name(peer), session.error()));
      return nullptr;
    }
    return tls_stream::create(loop_, std::move(s), peer, std::move(*session));
  } else {
    return tcp_connection::create(loop_, std::move(s), peer);
  }
}

template <class Conn>
void basic_tcp_service<Conn>::closed(Conn& c, std::error_code ec) {
  stats_.bytes_in += c.bytes_in();
  stats_.bytes_out += c.bytes_out();
  bool handshake_failed = false;
  if constexpr (std::is_same_v<Conn, tls_stream>) {
    // Our own idle close of a client that never finished it was logged as that already.
    handshake_failed = ec && !c.handshake_done() && ec != std::errc::timed_out;
  }
  if (handshake_failed) {
    // One client that cannot (or will not) speak TLS: one line, and the service goes on.
    ++stats_.errors;
    spdlog::warn("{} {}: TLS handshake with {} failed: {}", stats_.service, stats_.proto, peer_name(c.peer()),
                 tls_why(ec));
  } else {
    // A reset or a broken pipe is how clients usually leave a stream (chargen); not our error.
    bool normal = !ec || ec == std::errc::connection_reset || ec == std::errc::broken_pipe ||
                  ec == std::errc::timed_out || ec == make_error_code(tls_errc::closed_without_close_notify);
    if (!normal) ++stats_.errors;
    spdlog::debug("{} {}: {} closed ({} in, {} out){}", stats_.service, stats_.proto, peer_name(c.peer()), c.bytes_in(),
                  c.bytes_out(), ec ? ": " + ec.message() : "");
  }
  if (handler_.on_close) handler_.on_close(c, ec);
  if (auto it = live_.find(&c); it != live_.end() && it->second->handshake_timer) loop_.cancel(it->second->handshake_timer);
  live_.erase(&c);  // the connection keeps itself alive until close() returns
}

template <class Conn>
void basic_tcp_service<Conn>::arm_handshake_limit(slot& sl) {
  if constexpr (std::is_same_v<Conn, tls_stream>) {
    const auto limit = opts_.tls_handshake_timeout;
    if (limit.count() <= 0 || sl.conn->handshake_done()) return;
    // The timer goes with the connection (closed() cancels it), so `this` and `sl` outlive it.
    sl.handshake_timer = loop_.run_after(limit, [this, &sl, limit] {
      sl.handshake_timer = 0;
      if (sl.conn->closed() || sl.conn->handshake_done()) return;
      ++stats_.errors;
      spdlog::warn("{} {}: TLS handshake with {} failed: no handshake within {} s (--tls-handshake-timeout)",
                   stats_.service, stats_.proto, peer_name(sl.conn->peer()),
                   std::chrono::duration<double>(limit).count());
      sl.conn->close(std::make_error_code(std::errc::timed_out));  // timed_out: not logged again
    });
  } else {
    (void)sl;
  }
}

template <class Conn>
void basic_tcp_service<Conn>::admit(socket s, const endpoint& peer) {
  ++stats_.connections;
  if (!stats_.unix_at.empty() && spdlog::should_log(spdlog::level::info)) {
    // A Unix client has no address worth printing (usually unnamed): -v says who it is instead.
    spdlog::info("{}: connection on {}", stats_.service, stats_.unix_at);
    log_peer_credentials(s);
  }
  if (live_.size() >= opts_.max_connections) return refuse(std::move(s), peer);
  auto conn = make_connection(std::move(s), peer);
  if (!conn) return;
  conn->track_activity(idle_wheel_ != nullptr);  // only the idle wheel reads it
  auto* key = conn.get();
  conn->on_close([this](Conn& c, std::error_code ec) { closed(c, ec); });
  auto& sl = *live_.emplace(key, std::make_unique<slot>()).first->second;
  sl.conn = conn;
  if (auto ec = conn->start()) {
    live_.erase(key);
    if (ec == make_error_code(errc::fd_out_of_range)) return refuse_too_high(peer, ec);
    ++stats_.errors;
    spdlog::warn("{} {}: {}", stats_.service, stats_.proto, describe("watch " + peer_name(peer), ec));
    return;
  }
  if (conn->closed()) return;  // a TLS hello that failed at once: its close is on its way
  if (idle_wheel_) idle_wheel_->schedule(sl, conn->last_activity() + opts_.idle_timeout);
  arm_handshake_limit(sl);
  spdlog::debug("{} {}: connection from {} on loop {}", stats_.service, stats_.proto, peer_name(peer), opts_.loop_index);
  handler_.on_open(*conn);
}

template <class Conn>
void basic_tcp_service<Conn>::on_idle_tick() {
  auto now = timer_wheel::clock::now();
  idle_wheel_->advance(now, [&](timer_wheel::entry& e) {
    auto& sl = static_cast<slot&>(e);
    auto due = sl.conn->last_activity() + opts_.idle_timeout;
    if (due > now) {
      idle_wheel_->schedule(sl, due);  // active since it was filed: file it again, no close
      return;
    }
    if (handler_.on_idle) {
      auto conn = sl.conn;  // the handler may close it, which destroys the slot
      handler_.on_idle(*conn);
      return;
    }
    ++stats_.dropped;
    spdlog::info("{} {}: closing {}: idle for {} ms", stats_.service, stats_.proto, peer_name(sl.conn->peer()),
                 opts_.idle_timeout.count());
    auto conn = sl.conn;  // the close handler destroys the slot
    conn->close(std::make_error_code(std::errc::timed_out));
  });
}

template <class Conn>
void basic_tcp_service<Conn>::add_live(service_stats& t) const {
  for (const auto& [_, s] : live_) {
    t.bytes_in += s->conn->bytes_in();
    t.bytes_out += s->conn->bytes_out();
  }
}

template <class Conn>
std::vector<std::shared_ptr<Conn>> basic_tcp_service<Conn>::live_connections() const {
  std::vector<std::shared_ptr<Conn>> all;
  all.reserve(live_.size());
  for (const auto& [_, s] : live_) all.push_back(s->conn);
  return all;
}

template <class Conn>
void basic_tcp_service<Conn>::begin_drain() {
  stop_accepting();
  for (auto& c : live_connections()) c->linger();
}

template <class Conn>
std::size_t basic_tcp_service<Conn>::sweep_drained() {
  std::vector<std::shared_ptr<Conn>> done;
  for (auto& [_, s] : live_) {
    if (s->conn->output_size() == 0 && s->conn->kernel_unsent() == 0) done.push_back(s->conn);
  }
  for (auto& c : done) c->close();
  return live_.size();
}

template <class Conn>
void basic_tcp_service<Conn>::close_all() {
  stop_accepting();
  for (auto& c : live_connections()) c->close();
  live_.clear();
}

}  // namespace

result<std::unique_ptr<tcp_service>> tcp_service::create(event_loop& loop, std::string name, const endpoint& at,
                                                         tcp_handler handler, const tcp_service_options& opts) {
  std::unique_ptr<tcp_service> svc =
      std::make_unique<basic_tcp_service<tcp_connection>>(loop, std::move(name), std::move(handler), opts, nullptr);
  return listen_on(std::move(svc), at);
}

result<std::unique_ptr<tcp_service>> tcp_service::create(event_loop& loop, std::string name, const endpoint& at,
                                                         tls_handler handler, const tls_context& tls,
                                                         const tcp_service_options& opts) {
  std::unique_ptr<tcp_service> svc =
      std::make_unique<basic_tcp_service<tls_stream>>(loop, std::move(name), std::move(handler), opts, &tls);
  return listen_on(std::move(svc), at);
}

result<std::unique_ptr<tcp_service>> tcp_service::listen_on(std::unique_ptr<tcp_service> svc, const endpoint& at) {
  auto* raw = svc.get();
  listen_options lo;
  lo.v6_only = false;  // [::] also serves IPv4 clients
  lo.reuse_port = svc->opts_.reuse_port;
  lo.prepare = svc->opts_.prepare;
  auto a = tcp_acceptor::create(svc->loop_, at, lo, [raw](socket s, const endpoint& peer) { raw->admit(std::move(s), peer); });
  return finish_create(std::move(svc), std::move(a));
}

result<std::unique_ptr<tcp_service>> tcp_service::adopt(event_loop& loop, std::string name, socket listener,
                                                        std::string unix_at, tcp_handler handler,
                                                        const tcp_service_options& opts) {
  std::unique_ptr<tcp_service> svc =
      std::make_unique<basic_tcp_service<tcp_connection>>(loop, std::move(name), std::move(handler), opts, nullptr);
  auto* raw = svc.get();
  svc->stats_.unix_at = std::move(unix_at);
  svc->stats_.proto = "unix stream";  // as listen's "listening on unix:/path (unix stream)"
  auto a = tcp_acceptor::adopt(loop, std::move(listener),
                               [raw](socket s, const endpoint& peer) { raw->admit(std::move(s), peer); });
  return finish_create(std::move(svc), std::move(a));
}

result<std::unique_ptr<tcp_service>> tcp_service::finish_create(std::unique_ptr<tcp_service> svc,
                                                                result<std::unique_ptr<tcp_acceptor>> a) {
  if (!a) return a.error();
  auto* raw = svc.get();
  svc->acceptor_ = std::move(*a);
  svc->stats_.local = svc->acceptor_->local_endpoint();
  if (svc->opts_.idle_timeout.count() > 0) {
    svc->idle_wheel_ = make_idle_wheel(svc->opts_.idle_timeout);
    svc->idle_timer_ = svc->loop_.run_every(svc->idle_wheel_->tick(), [raw] { raw->on_idle_tick(); });
  }
  return svc;
}

tcp_service::tcp_service(event_loop& loop, std::string name, const tcp_service_options& opts)
    : loop_(loop), opts_(opts) {
  stats_.service = std::move(name);
  stats_.proto = "tcp";
}

tcp_service::~tcp_service() = default;  // the derived class has closed everything

void tcp_service::refuse(socket s, const endpoint& peer) {
  // A clean refusal: FIN first, and whatever the peer already sent is read away, so that the
  // close is not turned into a reset by unread data.
  ++stats_.dropped;
  warn_refusal(fmt::format("{}: {} connections already open", peer_name(peer), live()));
  (void)s.shutdown(shutdown_how::write);
  std::byte sink[4096];
  for (int i = 0; i < 16; ++i) {
    if (!try_recv(s, sink)) break;  // drained, closed or failed
  }
}

void tcp_service::refuse_too_high(const endpoint& peer, std::error_code ec) {
  // A capacity limit of the engine (select past FD_SETSIZE), like shedding at EMFILE: dropped, not
  // an error.
  ++stats_.dropped;
  warn_refusal(describe(peer_name(peer), ec));
}

void tcp_service::warn_refusal(const std::string& why) {
  // Under a flood a warning per refused connection would be thousands of lines: one a second, with
  // a count of those not shown.
  auto now = std::chrono::steady_clock::now();
  if (now - last_refusal_log_ < std::chrono::seconds(1)) {
    ++refusals_unlogged_;
    return;
  }
  std::string more = refusals_unlogged_ ? fmt::format(" (and {} more since the last report)", refusals_unlogged_) : "";
  spdlog::warn("{} {}: refusing {}{}", stats_.service, stats_.proto, why, more);
  last_refusal_log_ = now;
  refusals_unlogged_ = 0;
}

service_stats tcp_service::totals() const {
  auto t = stats_;
  if (acceptor_) t.dropped += acceptor_->shed();  // shed at descriptor exhaustion
  add_live(t);
  return t;
}

void tcp_service::stop_accepting() {
  if (acceptor_) acceptor_->close();
  if (idle_timer_) loop_.cancel(idle_timer_);
  idle_timer_ = 0;
}

}  // namespace sockit::cli
