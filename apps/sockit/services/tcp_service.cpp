// A TCP service: accept, hand over to the service's open handler, count, and own the connections.
#include "tcp_service.hpp"

#include <spdlog/spdlog.h>

#include "sockit/error.hpp"

namespace sockit::cli {

result<std::unique_ptr<tcp_service>> tcp_service::create(event_loop& loop, std::string name, const endpoint& at,
                                                         open_handler on_open, std::size_t max_connections) {
  auto svc = std::make_unique<tcp_service>(loop, std::move(name), std::move(on_open), max_connections);
  auto* raw = svc.get();
  listen_options lo;
  lo.v6_only = false;  // [::] also serves IPv4 clients
  auto a = tcp_acceptor::create(loop, at, lo, [raw](socket s, const endpoint& peer) { raw->accept(std::move(s), peer); });
  if (!a) return a.error();
  svc->acceptor_ = std::move(*a);
  svc->stats_.local = svc->acceptor_->local_endpoint();
  return svc;
}

tcp_service::tcp_service(event_loop& loop, std::string name, open_handler on_open, std::size_t max_connections)
    : loop_(loop), on_open_(std::move(on_open)), max_connections_(max_connections) {
  stats_.service = std::move(name);
  stats_.proto = "tcp";
}

tcp_service::~tcp_service() { close_all(); }

void tcp_service::accept(socket s, const endpoint& peer) {
  ++stats_.connections;
  if (live_.size() >= max_connections_) {
    // Shed at once: the socket closes here. Bounded memory beats serving everyone slowly.
    ++stats_.dropped;
    spdlog::warn("{} tcp: refusing {}: {} connections already open", stats_.service, peer.to_string(), live_.size());
    return;
  }
  auto conn = tcp_connection::create(loop_, std::move(s), peer);
  auto* key = conn.get();
  conn->on_close([this](tcp_connection& c, std::error_code ec) {
    stats_.bytes_in += c.bytes_in();
    stats_.bytes_out += c.bytes_out();
    // A reset or a broken pipe is how clients usually leave a stream (chargen); not our error.
    bool normal = !ec || ec == std::errc::connection_reset || ec == std::errc::broken_pipe;
    if (!normal) ++stats_.errors;
    spdlog::debug("{} tcp: {} closed ({} in, {} out){}", stats_.service, c.peer().to_string(), c.bytes_in(),
                  c.bytes_out(), ec ? ": " + ec.message() : "");
    live_.erase(&c);  // the connection keeps itself alive until close() returns
  });
  live_.emplace(key, conn);
  if (auto ec = conn->start()) {
    ++stats_.errors;
    spdlog::warn("{} tcp: {}", stats_.service, describe("watch " + peer.to_string(), ec));
    live_.erase(key);
    return;
  }
  spdlog::debug("{} tcp: connection from {}", stats_.service, peer.to_string());
  on_open_(*conn);
}

service_stats tcp_service::totals() const {
  auto t = stats_;
  for (const auto& [_, c] : live_) {
    t.bytes_in += c->bytes_in();
    t.bytes_out += c->bytes_out();
  }
  return t;
}

void tcp_service::close_all() {
  if (acceptor_) acceptor_->close();
  // close() runs the close handler, which erases from live_: iterate over a copy.
  std::vector<std::shared_ptr<tcp_connection>> all;
  all.reserve(live_.size());
  for (auto& [_, c] : live_) all.push_back(c);
  for (auto& c : all) c->close();
  live_.clear();
}

}  // namespace sockit::cli
