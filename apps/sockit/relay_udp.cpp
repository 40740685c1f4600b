// One loop's UDP relay: sessions per client address, their delay lines and their expiry.
#include "relay_udp.hpp"

#include <algorithm>
#include <array>

#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include "sockit/error.hpp"
#include "sockit/io.hpp"
#include "sockit/udp.hpp"

namespace sockit::cli {

namespace {
constexpr int max_datagrams_per_wakeup = 64;  // fairness between the listener and the sessions
std::string key_of(const endpoint& e) { return std::string(reinterpret_cast<const char*>(e.data()), e.size()); }
}  // namespace

result<std::unique_ptr<udp_relay>> udp_relay::create(event_loop& loop, const endpoint& at, const relay_settings& s,
                                                     bool reuse_port) {
  auto r = std::make_unique<udp_relay>(loop, s);
  udp_bind_options bo;
  bo.reuse_port = reuse_port;
  bo.nonblocking = true;
  bo.prepare = s.listen_prepare;
  auto sock = udp_bind(at, bo);
  if (!sock) return sock.error();
  r->listener_ = std::move(*sock);
  auto local = r->listener_.local_endpoint();
  if (!local) return local.error();
  r->local_ = *local;
  auto* raw = r.get();
  if (auto ec = loop.watch(r->listener_.native_handle(), io_readable, [raw](std::uint32_t) { raw->on_listener(); }))
    return ec;
  r->listening_ = true;
  // Expiry looks at every session once per tick: a tenth of --idle, from 10 ms to 1 s.
  auto tick = std::clamp(s.idle / 10, std::chrono::milliseconds(10), std::chrono::milliseconds(1000));
  r->expiry_timer_ = loop.run_every(tick, [raw] { raw->expire(); });
  return r;
}

udp_relay::~udp_relay() { close_all(); }

void udp_relay::on_listener() {
  static thread_local std::array<std::byte, 65536> buf;
  for (int i = 0; i < max_datagrams_per_wakeup && listening_; ++i) {
    auto d = try_recv_from(listener_, buf);
    if (!d) {
      if (d.error() != errc::would_block) spdlog::debug("relay udp: receive: {}", d.error().message());
      return;
    }
    auto key = key_of(d->from);
    auto it = sessions_.find(key);
    session* s = it != sessions_.end() ? it->second.get() : open_session(d->from, key);
    if (!s) continue;
    s->last = clock::now();
    forward(*s, true, std::span<const std::byte>(buf.data(), d->size));
  }
}

udp_relay::session* udp_relay::open_session(const endpoint& client, const std::string& key) {
  if (sessions_.size() >= settings_.max_sessions) {
    ++totals_.refused;
    warnings_.warn(fmt::format("relay udp: dropping a datagram from {}: {} sessions already open (--max-sessions)",
                             client.to_string(), sessions_.size()));
    return nullptr;
  }
  auto sock = udp_open(settings_.target.family(), true);
  std::error_code ec = !sock ? sock.error() : settings_.target_prepare ? settings_.target_prepare(*sock) : std::error_code{};
  if (!ec) ec = udp_connect(*sock, settings_.target);
  if (ec) {
    ++totals_.dropped;
    warnings_.warn(fmt::format("relay udp: no session for {}: {}", client.to_string(),
                             describe("socket to " + settings_.target.to_string(), ec)));
    return nullptr;
  }
  auto s = std::make_unique<session>();
  s->id = settings_.next_id->fetch_add(1) + 1;
  s->client = client;
  s->key = key;
  s->upstream = std::move(*sock);
  s->started = s->last = clock::now();
  if (auto* c = settings_.impair_for(true)) s->up = std::make_unique<lane>(*c, flow_seed(settings_.seed, s->id, true));
  if (auto* c = settings_.impair_for(false)) s->down = std::make_unique<lane>(*c, flow_seed(settings_.seed, s->id, false));
  auto* raw = s.get();
  if (auto wec = loop_.watch(raw->upstream.native_handle(), io_readable, [this, raw](std::uint32_t) { on_upstream(*raw); })) {
    ++totals_.dropped;
    warnings_.warn(fmt::format("relay udp: no session for {}: {}", client.to_string(), describe("watch", wec)));
    return nullptr;
  }
  ++totals_.connections;
  spdlog::debug("relay udp: session #{} for {}", raw->id, client.to_string());
  sessions_.emplace(key, std::move(s));
  return raw;
}

void udp_relay::on_upstream(session& s) {
  static thread_local std::array<std::byte, 65536> buf;
  for (int i = 0; i < max_datagrams_per_wakeup; ++i) {
    auto d = try_recv_from(s.upstream, buf);
    if (!d) {
      if (d.error() == errc::would_block) return;
      // ECONNREFUSED: the target's port is closed (an ICMP error); it may open later.
      ++totals_.dropped;
      spdlog::debug("relay udp: #{} from the target: {}", s.id, d.error().message());
      continue;
    }
    s.last = clock::now();
    forward(s, false, std::span<const std::byte>(buf.data(), d->size));
  }
}

bool udp_relay::send_now(session& s, bool up, std::span<const std::byte> data) {
  auto n = up ? try_send_to(s.upstream, data, endpoint{}) : try_send_to(listener_, data, s.client);
  if (!n) {
    ++totals_.dropped;  // a full socket buffer drops, as a router would; a refused target too
    spdlog::debug("relay udp: #{} {}: {}", s.id, up ? "to the target" : "to the client", n.error().message());
    return false;
  }
  if (up) {
    s.bytes_up += *n;
    ++s.datagrams_up;
  } else {
    s.bytes_down += *n;
    ++s.datagrams_down;
  }
  return true;
}

void udp_relay::forward(session& s, bool up, std::span<const std::byte> data) {
  lane* l = up ? s.up.get() : s.down.get();
  if (!l) {
    if (up || listening_) send_now(s, up, data);
    return;
  }
  auto now = clock::now();
  auto f = l->imp.datagram_fate(now);
  if (f.copies == 0) {
    ++totals_.dropped;
    return;
  }
  for (int k = 0; k < f.copies; ++k) {
    if (l->queue.count() >= udp_queue_datagrams || l->queue.bytes() + data.size() > udp_queue_bytes) {
      ++totals_.dropped;
      continue;
    }
    l->queue.push(f.due, data);
  }
  flush(s, up);
}

void udp_relay::flush(session& s, bool up) {
  lane& l = up ? *s.up : *s.down;
  auto now = clock::now();
  while (!l.queue.empty() && l.queue.head_due() <= now && l.pace.ready(now)) {
    auto d = l.queue.head();
    if (up || listening_) send_now(s, up, d);
    l.pace.spent(d.size(), now);
    l.queue.pop();
  }
  std::optional<clock::time_point> at;
  if (!l.queue.empty()) at = std::max(l.queue.head_due(), l.pace.limited() ? l.pace.next() : clock::time_point{});
  if (l.timer && l.timer_at == at) return;
  if (l.timer) loop_.cancel(l.timer);
  l.timer = 0;
  l.timer_at = at;
  if (!at) return;
  auto wait = std::max(*at - now, clock::duration::zero());
  session* sp = &s;
  l.timer = loop_.run_after(wait, [this, sp, up] {
    lane& ln = up ? *sp->up : *sp->down;
    ln.timer = 0;
    ln.timer_at.reset();
    flush(*sp, up);
  });
}

void udp_relay::close_session(session& s, const char* why) {
  for (lane* l : {s.up.get(), s.down.get()}) {
    if (l && l->timer) loop_.cancel(l->timer);
  }
  (void)loop_.unwatch(s.upstream.native_handle());
  totals_.bytes_up += s.bytes_up;
  totals_.bytes_down += s.bytes_down;
  totals_.datagrams_up += s.datagrams_up;
  totals_.datagrams_down += s.datagrams_down;
  relay_row r;
  r.id = s.id;
  r.client = s.client;
  r.state = why;
  r.bytes_up = s.bytes_up;
  r.bytes_down = s.bytes_down;
  r.datagrams_up = s.datagrams_up;
  r.datagrams_down = s.datagrams_down;
  r.seconds = std::chrono::duration<double>(clock::now() - s.started).count();
  spdlog::info("relay udp: #{} {} {} ({} datagrams up, {} down)", s.id, s.client.to_string(), why, s.datagrams_up,
               s.datagrams_down);
  history_.push_back(std::move(r));
  if (history_.size() > relay_history) history_.pop_front();
  sessions_.erase(s.key);  // destroys s (never called from inside one of its own callbacks)
}

void udp_relay::expire() {
  auto now = clock::now();
  std::vector<session*> idle;
  for (auto& [_, s] : sessions_) {
    if (now - s->last >= settings_.idle) idle.push_back(s.get());
  }
  for (auto* s : idle) {
    ++totals_.expired;
    close_session(*s, "expired");
  }
}

relay_snapshot udp_relay::snapshot() const {
  relay_snapshot snap;
  snap.totals = totals_;
  snap.rows.assign(history_.begin(), history_.end());
  auto now = clock::now();
  std::vector<relay_row> open;
  for (const auto& [_, s] : sessions_) {
    relay_row r;
    r.id = s->id;
    r.client = s->client;
    r.state = "active";
    r.bytes_up = s->bytes_up;
    r.bytes_down = s->bytes_down;
    r.datagrams_up = s->datagrams_up;
    r.datagrams_down = s->datagrams_down;
    r.seconds = std::chrono::duration<double>(now - s->started).count();
    ++snap.totals.active;
    snap.totals.bytes_up += r.bytes_up;
    snap.totals.bytes_down += r.bytes_down;
    snap.totals.datagrams_up += r.datagrams_up;
    snap.totals.datagrams_down += r.datagrams_down;
    open.push_back(std::move(r));
  }
  std::sort(open.begin(), open.end(), [](const relay_row& a, const relay_row& b) { return a.id < b.id; });
  snap.rows.insert(snap.rows.end(), open.begin(), open.end());
  return snap;
}

void udp_relay::begin_drain() {
  // Datagrams are not connections: nothing new is taken, what waits in the delay lines still goes
  // up to the target (replies have no one to go to once the listener is closed).
  if (listening_) (void)loop_.unwatch(listener_.native_handle());
  listening_ = false;
  if (expiry_timer_) loop_.cancel(expiry_timer_);
  expiry_timer_ = 0;
}

std::size_t udp_relay::sweep_drained() {
  std::vector<session*> done;
  std::size_t left = 0;
  for (auto& [_, s] : sessions_) {
    bool held = (s->up && !s->up->queue.empty());
    if (held) ++left;
    else done.push_back(s.get());
  }
  for (auto* s : done) close_session(*s, "stopped");
  return left;
}

void udp_relay::close_all() {
  begin_drain();
  std::vector<session*> all;
  for (auto& [_, s] : sessions_) all.push_back(s.get());
  for (auto* s : all) close_session(*s, "stopped");
  listener_.reset();
}

}  // namespace sockit::cli
