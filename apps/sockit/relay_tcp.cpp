// One loop's TCP relay: accept, connect onwards, count.
#include "relay_tcp.hpp"

#include <algorithm>

#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include "sockit/error.hpp"

namespace sockit::cli {

result<std::unique_ptr<tcp_relay>> tcp_relay::create(event_loop& loop, const endpoint& at, const relay_settings& s,
                                                     bool reuse_port) {
  auto r = std::make_unique<tcp_relay>(loop, s);
  auto* raw = r.get();
  listen_options lo;
  lo.prepare = s.listen_prepare;
  lo.reuse_port = reuse_port;
  lo.v6_only = false;
  auto a = tcp_acceptor::create(loop, at, lo, [raw](socket sock, const endpoint& peer) { raw->accept(std::move(sock), peer); });
  if (!a) return a.error();
  r->acceptor_ = std::move(*a);
  r->local_ = r->acceptor_->local_endpoint();
  return r;
}

result<std::unique_ptr<tcp_relay>> tcp_relay::adopt(event_loop& loop, socket listener, const relay_settings& s) {
  auto r = std::make_unique<tcp_relay>(loop, s);
  auto* raw = r.get();
  auto a = tcp_acceptor::adopt(loop, std::move(listener),
                               [raw](socket sock, const endpoint& peer) { raw->accept(std::move(sock), peer); });
  if (!a) return a.error();
  r->acceptor_ = std::move(*a);
  return r;
}

tcp_relay::~tcp_relay() { close_all(); }

void tcp_relay::accept(socket s, const endpoint& peer) {
  ++totals_.connections;
  if (open_ >= settings_.max_connections) {
    // Closed at once, before the target is asked: the client sees a reset or an end of stream.
    ++totals_.refused;
    warnings_.warn(fmt::format("relay: refusing {}: {} connections already open (--max-conns)", peer.to_string(), open_));
    return;
  }
  auto id = settings_.next_id->fetch_add(1) + 1;
  auto c = std::make_unique<relay_connection>(
      loop_, id, std::move(s), peer, settings_,
      [this](relay_connection& conn, relay_connection::outcome o, std::error_code ec) { ended(conn, o, ec); });
  auto* raw = c.get();
  live_.emplace(id, std::move(c));
  ++open_;
  spdlog::debug("relay: #{} from {}", id, peer.to_string());
  raw->start();
}

void tcp_relay::ended(relay_connection& c, relay_connection::outcome o, std::error_code ec) {
  auto now = std::chrono::steady_clock::now();
  --open_;
  relay_row r = c.row(now);
  totals_.bytes_up += c.bytes_up();
  totals_.bytes_down += c.bytes_down();
  r.bytes_up = c.bytes_up();
  r.bytes_down = c.bytes_down();
  switch (o) {
    case relay_connection::outcome::clean: r.state = "closed"; break;
    case relay_connection::outcome::stopped: r.state = "stopped"; break;
    case relay_connection::outcome::reset:
      if (ec == make_error_code(errc::fd_out_of_range)) {
        // A capacity limit of the engine (select past FD_SETSIZE), like shedding at EMFILE.
        ++totals_.refused;
        r.state = "refused";
        warnings_.warn(fmt::format("relay: #{} from {}: {}; client reset (--engine epoll or poll watch more)", c.id(),
                                 r.client.to_string(), describe("watch", ec)));
        break;
      }
      ++totals_.resets;
      r.state = "reset";
      break;
    case relay_connection::outcome::client_tls_failed:
      // One client that cannot (or will not) speak TLS: one line, and the relay goes on.
      ++totals_.resets;
      r.state = "tls-failed";
      warnings_.warn(fmt::format("relay: #{} from {}: TLS handshake failed: {}", c.id(), r.client.to_string(), c.why()));
      break;
    case relay_connection::outcome::target_tls_failed:
      ++totals_.target_failures;
      r.state = "tls-failed";
      warnings_.warn(fmt::format("relay: #{} from {}: TLS handshake with {} failed: {}; client reset", c.id(),
                                 r.client.to_string(), settings_.target_name(), c.why()));
      break;
    case relay_connection::outcome::target_failed:
      ++totals_.target_failures;
      r.state = "target-failed";
      warnings_.warn(fmt::format("relay: #{} from {}: {}; client reset", c.id(), r.client.to_string(),
                               describe("connect " + settings_.target_name(), ec)));
      break;
  }
  spdlog::info("relay: #{} {} {} ({} up, {} down, {:.3f} s){}", c.id(), r.client.to_string(), r.state, r.bytes_up,
               r.bytes_down, r.seconds, ec && c.why().empty() && o != relay_connection::outcome::target_failed ? ": " + ec.message() : "");
  history_.push_back(std::move(r));
  if (history_.size() > relay_history) history_.pop_front();
  // The connection is inside its own call stack: it goes at the end of the turn.
  auto id = c.id();
  loop_.post([this, id] { live_.erase(id); });
}

relay_snapshot tcp_relay::snapshot() const {
  relay_snapshot s;
  s.totals = totals_;
  if (acceptor_) s.totals.refused += acceptor_->shed();
  auto now = std::chrono::steady_clock::now();
  s.rows.assign(history_.begin(), history_.end());
  std::vector<relay_row> open;
  for (const auto& [_, c] : live_) {
    if (c->ended()) continue;
    open.push_back(c->row(now));
    ++s.totals.active;
    s.totals.bytes_up += c->bytes_up();
    s.totals.bytes_down += c->bytes_down();
  }
  std::sort(open.begin(), open.end(), [](const relay_row& a, const relay_row& b) { return a.id < b.id; });
  s.rows.insert(s.rows.end(), open.begin(), open.end());
  return s;
}

void tcp_relay::begin_drain() {
  if (acceptor_) acceptor_->close();
  std::vector<relay_connection*> all;
  for (auto& [_, c] : live_) all.push_back(c.get());
  for (auto* c : all) c->drain();
}

std::size_t tcp_relay::sweep_drained() {
  std::size_t left = 0;
  std::vector<relay_connection*> done;
  for (auto& [_, c] : live_) {
    if (c->ended()) continue;
    if (c->drained()) done.push_back(c.get());
    else ++left;
  }
  for (auto* c : done) c->stop();
  return left;
}

void tcp_relay::close_all() {
  if (acceptor_) acceptor_->close();
  for (auto& [_, c] : live_) c->stop();
  live_.clear();
}

}  // namespace sockit::cli
