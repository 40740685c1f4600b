// A TCP service: accept, hand over to the service's open handler, count, and own the connections.
#include "tcp_service.hpp"

#include <algorithm>

#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include "idle_wheel.hpp"
#include "../unix_flags.hpp"
#include "sockit/error.hpp"
#include "sockit/io.hpp"

namespace sockit::cli {

result<std::unique_ptr<tcp_service>> tcp_service::create(event_loop& loop, std::string name, const endpoint& at,
                                                         tcp_handler handler, const tcp_service_options& opts) {
  auto svc = std::make_unique<tcp_service>(loop, std::move(name), std::move(handler), opts);
  auto* raw = svc.get();
  listen_options lo;
  lo.v6_only = false;  // [::] also serves IPv4 clients
  lo.reuse_port = opts.reuse_port;
  lo.prepare = opts.prepare;
  auto a = tcp_acceptor::create(loop, at, lo, [raw](socket s, const endpoint& peer) { raw->accept(std::move(s), peer); });
  return finish_create(std::move(svc), std::move(a));
}

result<std::unique_ptr<tcp_service>> tcp_service::adopt(event_loop& loop, std::string name, socket listener,
                                                        std::string unix_at, tcp_handler handler,
                                                        const tcp_service_options& opts) {
  auto svc = std::make_unique<tcp_service>(loop, std::move(name), std::move(handler), opts);
  auto* raw = svc.get();
  svc->stats_.unix_at = std::move(unix_at);
  svc->stats_.proto = "unix stream";  // as listen's "listening on unix:/path (unix stream)"
  auto a = tcp_acceptor::adopt(loop, std::move(listener),
                               [raw](socket s, const endpoint& peer) { raw->accept(std::move(s), peer); });
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

tcp_service::tcp_service(event_loop& loop, std::string name, tcp_handler handler, const tcp_service_options& opts)
    : loop_(loop), handler_(std::move(handler)), opts_(opts) {
  stats_.service = std::move(name);
  stats_.proto = "tcp";
}

tcp_service::~tcp_service() { close_all(); }

void tcp_service::refuse(socket s, const endpoint& peer) {
  // A clean refusal: FIN first, and whatever the peer already sent is read away, so that the
  // close is not turned into a reset by unread data.
  ++stats_.dropped;
  warn_refusal(fmt::format("{}: {} connections already open", peer_name(peer), live_.size()));
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

void tcp_service::accept(socket s, const endpoint& peer) {
  ++stats_.connections;
  if (!stats_.unix_at.empty() && spdlog::should_log(spdlog::level::info)) {
    // A Unix client has no address worth printing (usually unnamed): -v says who it is instead.
    spdlog::info("{}: connection on {}", stats_.service, stats_.unix_at);
    log_peer_credentials(s);
  }
  if (live_.size() >= opts_.max_connections) return refuse(std::move(s), peer);
  auto conn = tcp_connection::create(loop_, std::move(s), peer);
  conn->track_activity(idle_wheel_ != nullptr);  // only the idle wheel reads it
  auto* key = conn.get();
  conn->on_close([this](tcp_connection& c, std::error_code ec) {
    stats_.bytes_in += c.bytes_in();
    stats_.bytes_out += c.bytes_out();
    // A reset or a broken pipe is how clients usually leave a stream (chargen); not our error.
    bool normal = !ec || ec == std::errc::connection_reset || ec == std::errc::broken_pipe ||
                  ec == std::errc::timed_out;
    if (!normal) ++stats_.errors;
    spdlog::debug("{} {}: {} closed ({} in, {} out){}", stats_.service, stats_.proto, peer_name(c.peer()), c.bytes_in(),
                  c.bytes_out(), ec ? ": " + ec.message() : "");
    if (handler_.on_close) handler_.on_close(c, ec);
    live_.erase(&c);  // the connection keeps itself alive until close() returns
  });
  auto& sl = *live_.emplace(key, std::make_unique<slot>()).first->second;
  sl.conn = conn;
  if (auto ec = conn->start()) {
    live_.erase(key);
    if (ec == make_error_code(errc::fd_out_of_range)) return refuse_too_high(peer, ec);
    ++stats_.errors;
    spdlog::warn("{} {}: {}", stats_.service, stats_.proto, describe("watch " + peer_name(peer), ec));
    return;
  }
  if (idle_wheel_) idle_wheel_->schedule(sl, conn->last_activity() + opts_.idle_timeout);
  spdlog::debug("{} {}: connection from {} on loop {}", stats_.service, stats_.proto, peer_name(peer), opts_.loop_index);
  handler_.on_open(*conn);
}

void tcp_service::on_idle_tick() {
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

service_stats tcp_service::totals() const {
  auto t = stats_;
  if (acceptor_) t.dropped += acceptor_->shed();  // shed at descriptor exhaustion
  for (const auto& [_, s] : live_) {
    t.bytes_in += s->conn->bytes_in();
    t.bytes_out += s->conn->bytes_out();
  }
  return t;
}

void tcp_service::stop_accepting() {
  if (acceptor_) acceptor_->close();
  if (idle_timer_) loop_.cancel(idle_timer_);
  idle_timer_ = 0;
}

std::vector<std::shared_ptr<tcp_connection>> tcp_service::live_connections() const {
  std::vector<std::shared_ptr<tcp_connection>> all;
  all.reserve(live_.size());
  for (const auto& [_, s] : live_) all.push_back(s->conn);
  return all;
}

void tcp_service::begin_drain() {
  stop_accepting();
  for (auto& c : live_connections()) c->linger();
}

std::size_t tcp_service::sweep_drained() {
  std::vector<std::shared_ptr<tcp_connection>> done;
  for (auto& [_, s] : live_) {
    if (s->conn->output_size() == 0 && s->conn->kernel_unsent() == 0) done.push_back(s->conn);
  }
  for (auto& c : done) c->close();
  return live_.size();
}

void tcp_service::close_all() {
  stop_accepting();
  for (auto& c : live_connections()) c->close();
  live_.clear();
}

}  // namespace sockit::cli
