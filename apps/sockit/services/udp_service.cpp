// A UDP service: read a bounded batch per wake-up, ask the guard, reply in a batch without blocking.
#include "udp_service.hpp"

#include <atomic>

#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include "../cli.hpp"
#include "sockit/error.hpp"
#include "sockit/datagram_batch.hpp"
#include "sockit/io.hpp"
#include "sockit/options.hpp"
#include "sockit/udp.hpp"

namespace sockit::cli {

namespace {
constexpr std::size_t max_datagram = 65536;
// Fairness: one flooding source cannot keep the loop from the TCP services.
constexpr std::size_t max_datagrams_per_wakeup = 32;

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
