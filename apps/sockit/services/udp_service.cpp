// A UDP service: read a bounded batch per wake-up, ask the guard, reply in a batch without blocking.
#include "udp_service.hpp"

#include <atomic>
#include <utility>

#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include "../cli.hpp"
#include "sockit/error.hpp"
#include "sockit/datagram_batch.hpp"
#include "sockit/io.hpp"
#include "sockit/options.hpp"
#include "sockit/udp.hpp"
#include "sockit/unix.hpp"

namespace sockit::cli {

namespace {
constexpr std::size_t max_datagram = 65536;
// Fairness: one flooding source cannot keep the loop from the TCP services.
constexpr std::size_t max_datagrams_per_wakeup = 64;  // the C recvmmsg reference reads 64 too

const char* verdict_name(udp_guard::verdict v) {
  switch (v) {
    case udp_guard::verdict::privileged_port: return "privileged source port";
    case udp_guard::verdict::own_port: return "source is one of our own ports";
    case udp_guard::verdict::rate_limited: return "rate limited";
    case udp_guard::verdict::table_full: return "rate-limit table full";
    default: return "allowed";
  }
}
}  // namespace

result<std::unique_ptr<udp_service>> udp_service::create(event_loop& loop, std::string name, const endpoint& at,
                                                         udp_guard& guard, responder respond, bool reuse_port,
                                                         const socket_prepare& prepare) {
  udp_bind_options bo;
  bo.reuse_port = reuse_port;
  bo.nonblocking = true;
  bo.v6_only = false;
  bo.prepare = prepare;
  auto s = udp_bind(at, bo);
  if (!s) return s.error();
  auto local = s->local_endpoint();
  if (!local) return local.error();
  auto svc = std::make_unique<udp_service>(loop, std::move(name), std::move(*s), guard, std::move(respond));
  svc->stats_.local = *local;
  guard.add_own(*local);
  auto* raw = svc.get();
  if (auto ec = loop.watch(raw->socket_.native_handle(), io_readable, [raw](std::uint32_t) { raw->handle_readable(); })) {
    return ec;
  }
  return svc;
}

result<std::unique_ptr<udp_service>> udp_service::adopt_unix(event_loop& loop, std::string name, socket s,
                                                             std::string unix_at, udp_guard& guard, responder respond) {
  if (auto ec = set_nonblocking(s, true)) return ec;
  auto svc = std::make_unique<udp_service>(loop, std::move(name), std::move(s), guard, std::move(respond));
  svc->stats_.unix_at = std::move(unix_at);
  svc->stats_.proto = "unix dgram";
  svc->unix_buffer_.resize(max_datagram);
  auto* raw = svc.get();
  if (auto ec = loop.watch(raw->socket_.native_handle(), io_readable, [raw](std::uint32_t) { raw->handle_unix_readable(); })) {
    return ec;
  }
  return svc;
}

udp_service::udp_service(event_loop& loop, std::string name, socket s, udp_guard& guard, responder respond)
    : loop_(loop), socket_(std::move(s)), guard_(guard), respond_(std::move(respond)),
      in_(max_datagrams_per_wakeup, max_datagram), out_(max_datagrams_per_wakeup, 0),
      replies_(max_datagrams_per_wakeup), verdicts_(max_datagrams_per_wakeup) {
  stats_.service = std::move(name);
  stats_.proto = "udp";
}

udp_service::~udp_service() { close(); }

void udp_service::close() {
  if (!socket_) return;
  (void)loop_.unwatch(socket_.native_handle());
  (void)socket_.close();
}

// One wake-up: up to max_datagrams_per_wakeup datagrams in as few recvmmsg calls as the kernel
// allows (usually one), each judged by the guard and answered on its own, the replies out in one
// sendmmsg. The replies point into replies_, strings that keep their capacity: no allocation per
// datagram once the first batch has been answered.
void udp_service::handle_readable() {
  std::size_t budget = max_datagrams_per_wakeup;
  while (budget > 0 && socket_) {
    const std::size_t asked = budget;
    auto got = try_recv_batch(socket_, in_, asked);
    if (!got) {
      if (got.error() == errc::would_block) return;
      // An unconnected socket may still carry an ICMP error for an earlier reply: count it, go on.
      ++stats_.errors;
      --budget;
      spdlog::debug("{} udp: {}", stats_.service, describe("recvmmsg", got.error()));
      continue;
    }
    const std::size_t n = *got;
    budget -= n;
    if (respond_) guard_.check(in_.peers(n), std::span<udp_guard::verdict>(verdicts_.data(), n));
    std::size_t replies = 0;
    for (std::size_t i = 0; i < n; ++i) {
      ++stats_.datagrams;
      stats_.bytes_in += in_.size(i);
      const endpoint& from = in_.peer(i);
      if (from.empty() || !respond_) continue;
      if (verdicts_[i] != udp_guard::verdict::allow) {
        ++stats_.dropped;
        spdlog::debug("{} udp: no reply to {}: {}", stats_.service, from.to_string(), verdict_name(verdicts_[i]));
        continue;
      }
      auto& reply = replies_[replies];
      reply.clear();
      if (!respond_(in_.data(i), reply)) continue;
      out_.prepare(replies, as_bytes(reply), from);
      ++replies;
    }
    send_replies(replies);
    if (n < asked) return;  // the kernel had fewer than asked for: drained for now
  }
}

// A Unix datagram socket: no recvmmsg batch (its senders are Unix addresses), the same budget.
void udp_service::handle_unix_readable() {
  for (std::size_t budget = max_datagrams_per_wakeup; budget > 0 && socket_; --budget) {
    auto d = try_unix_recv_from(socket_, unix_buffer_);
    if (!d) {
      if (d.error() == errc::would_block) return;
      ++stats_.errors;
      spdlog::debug("{} {}: {}", stats_.service, stats_.unix_at, describe("recvfrom", d.error()));
      continue;
    }
    ++stats_.datagrams;
    stats_.bytes_in += d->size;
    if (!respond_) continue;
    if (d->from.is_unnamed()) {
      ++stats_.dropped;
      if (!std::exchange(warned_unnamed_, true)) {
        spdlog::warn("{} {}: a datagram from a socket that never bound has no address to answer: no reply "
                     "(the client must bind one: nc -uU does, socat UNIX-SENDTO:PATH,bind=PATH2, "
                     "sockit connect --unix-dgram); not said again",
                     stats_.service, stats_.unix_at);
      }
      continue;
    }
    auto& reply = replies_[0];
    reply.clear();
    if (!respond_(std::span<const std::byte>(unix_buffer_.data(), d->size), reply)) continue;
    auto n = try_unix_send_to(socket_, as_bytes(reply), d->from);
    if (n) {
      stats_.bytes_out += *n;
    } else if (n.error() == errc::would_block || n.error() == std::errc::no_buffer_space) {
      ++stats_.dropped;  // the sender's queue is full: dropped, as a network would
    } else {
      ++stats_.errors;  // the sender closed its socket since (ECONNREFUSED, ENOENT)
      spdlog::debug("{} {}: {}", stats_.service, stats_.unix_at, describe("send to " + d->from.to_string(), n.error()));
    }
  }
}

void udp_service::send_replies(std::size_t count) {
  std::size_t first = 0;
  while (first < count) {
    auto sent = try_send_batch(socket_, out_, count, first);
    if (!sent) {
      // A full socket buffer drops the rest, as the network would: never block the loop on UDP.
      if (sent.error() == errc::would_block || sent.error() == std::errc::no_buffer_space) {
        stats_.dropped += count - first;
        return;
      }
      // This one reply was refused (EMSGSIZE, an ICMP error...): count it, send the others.
      ++stats_.errors;
      spdlog::debug("{} udp: {}", stats_.service, describe("sendto " + out_.peer(first).to_string(), sent.error()));
      ++first;
      continue;
    }
    for (std::size_t i = first; i < first + *sent; ++i) stats_.bytes_out += replies_[i].size();
    first += *sent;
  }
}

}  // namespace sockit::cli
