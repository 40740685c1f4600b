// `sockit relay` on io_uring completions (relay_ring.hpp).
#include "relay_ring.hpp"

#ifdef __linux__

#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include "sockit/error.hpp"
#include "sockit/tcp.hpp"

namespace sockit::cli {
namespace {

relay_row row_of(const uring_relay_connection& c, std::chrono::steady_clock::time_point now) {
  relay_row r;
  r.id = c.id;
  r.client = c.client;
  r.path = "uring";
  r.bytes_up = c.bytes_up;
  r.bytes_down = c.bytes_down;
  r.seconds = std::chrono::duration<double>(now - c.started).count();
  switch (c.state) {
    case uring_relay_connection::phase::connecting: r.state = "connecting"; break;
    case uring_relay_connection::phase::open: r.state = "open"; break;
    case uring_relay_connection::phase::half_closed: r.state = "half-closed"; break;
    case uring_relay_connection::phase::draining: r.state = "draining"; break;
  }
  return r;
}

}  // namespace

result<std::unique_ptr<ring_relay>> ring_relay::start(const endpoint& at, const relay_settings& s,
                                                      std::chrono::milliseconds drain_timeout, bool reuse_port) {
  listen_options lo;
  lo.prepare = s.listen_prepare;
  lo.reuse_port = reuse_port;
  lo.v6_only = false;
  auto listener = tcp_listen(at, lo);
  if (!listener) return listener.error();
  auto local = listener->local_endpoint();
  if (!local) return local.error();
  auto r = std::make_unique<ring_relay>();
  auto* self = r.get();
  r->local_ = *local;
  r->target_name_ = s.target_name();
  uring_relay_options o;
  o.target = s.target;
  o.target_prepare = s.target_prepare;
  o.connect_timeout = s.connect_timeout;
  o.max_connections = s.max_connections;
  o.next_id = [ids = s.next_id] { return ids->fetch_add(1) + 1; };  // one sequence for every loop
  o.on_end = [self](const uring_relay_connection& c, uring_relay_outcome oc, std::error_code ec) { self->ended(c, oc, ec); };
  o.on_refused = [self](const endpoint& peer, std::size_t open, std::error_code why) {
    if (why) {
      self->warnings_.warn(fmt::format("relay: refusing {}: {} with {} connections open (RLIMIT_NOFILE)", peer.to_string(),
                                       describe("accept", why), open));
    } else {
      self->warnings_.warn(fmt::format("relay: refusing {}: {} connections already open (--max-conns)", peer.to_string(), open));
    }
  };
  auto relay = uring_relay::open(std::move(*listener), o);
  if (!relay) return relay.error();
  r->relay_ = std::make_unique<uring_relay>(std::move(*relay));
  r->thread_ = std::thread([self, drain_timeout] {
    auto res = self->relay_->run(drain_timeout);
    if (!res) spdlog::error("{}", describe("relay " + self->local_.to_string(), res.error()));
    self->done_ = true;
  });
  return r;
}

ring_relay::~ring_relay() { close_all(); }

void ring_relay::ended(const uring_relay_connection& c, uring_relay_outcome o, std::error_code ec) {
  relay_row r = row_of(c, std::chrono::steady_clock::now());
  switch (o) {
    case uring_relay_outcome::clean: r.state = "closed"; break;
    case uring_relay_outcome::stopped: r.state = "stopped"; break;
    case uring_relay_outcome::reset: r.state = "reset"; break;
    case uring_relay_outcome::target_failed:
      r.state = "target-failed";
      warnings_.warn(fmt::format("relay: #{} from {}: {}; client reset", c.id, r.client.to_string(),
                                 describe("connect " + target_name_, ec)));
      break;
  }
  spdlog::info("relay: #{} {} {} ({} up, {} down, {:.3f} s){}", r.id, r.client.to_string(), r.state, r.bytes_up,
               r.bytes_down, r.seconds, ec && o == uring_relay_outcome::reset ? ": " + ec.message() : "");
  std::lock_guard g(mu_);
  history_.push_back(std::move(r));
  if (history_.size() > relay_history) history_.pop_front();
}

relay_snapshot ring_relay::snapshot() const {
  relay_snapshot s;
  auto st = relay_->stats();
  auto open = relay_->connections();
  s.totals.connections = st.accepted;
  s.totals.refused = st.refused;
  s.totals.target_failures = st.target_failures;
  s.totals.resets = st.resets;
  s.totals.bytes_up = st.bytes_up;
  s.totals.bytes_down = st.bytes_down;
  s.totals.active = open.size();
  {
    std::lock_guard g(mu_);
    s.rows.assign(history_.begin(), history_.end());
  }
  auto now = std::chrono::steady_clock::now();
  for (const auto& c : open) s.rows.push_back(row_of(c, now));
  return s;
}

void ring_relay::begin_drain() { relay_->stop(); }

// The ring drains itself (to its own deadline); the loop waits while it has a connection left or
// its thread still runs.
std::size_t ring_relay::sweep_drained() {
  if (done_) return 0;
  return std::max<std::size_t>(1, relay_->open_connections());
}

void ring_relay::close_all() {
  if (!relay_) return;
  relay_->abort();
  if (thread_.joinable()) thread_.join();
}

std::string ring_relay_unfit(const relay_settings& s, bool unix_side, bool pipe_size_given) {
  if (auto ec = uring_relay::available()) return "this kernel (" + ec.message() + ")";
  if (unix_side) return "a unix: side";
  if (s.tls_in || s.tls_out) return s.tls_in ? "--tls-in" : "--tls-out";
  if (s.impair.active()) return "impairments (--delay, --jitter, --rate)";
  if (s.copy) return "--copy";
  if (pipe_size_given) return "--pipe-size";
  return {};
}

}  // namespace sockit::cli

#endif  // __linux__
