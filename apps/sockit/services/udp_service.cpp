// A UDP service: read a bounded batch per wake-up, ask the guard, reply without blocking.
#include "udp_service.hpp"

#include <spdlog/spdlog.h>

#include "sockit/error.hpp"
#include "sockit/io.hpp"
#include "sockit/udp.hpp"

namespace sockit::cli {

namespace {
constexpr std::size_t max_datagram = 65536;
// Fairness: one flooding source cannot keep the loop from the TCP services.
constexpr int max_datagrams_per_wakeup = 32;

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
                                                         udp_guard& guard, responder respond, bool reuse_port) {
  udp_bind_options bo;
  bo.reuse_port = reuse_port;
  bo.nonblocking = true;
  bo.v6_only = false;
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
      buf_(std::make_unique<std::byte[]>(max_datagram)) {
  stats_.service = std::move(name);
  stats_.proto = "udp";
}

udp_service::~udp_service() { close(); }

void udp_service::close() {
  if (!socket_) return;
  (void)loop_.unwatch(socket_.native_handle());
  (void)socket_.close();
}

void udp_service::handle_readable() {
  for (int i = 0; i < max_datagrams_per_wakeup && socket_; ++i) {
    auto d = try_recv_from(socket_, std::span<std::byte>(buf_.get(), max_datagram));
    if (!d) {
      if (d.error() == errc::would_block) return;
      // An unconnected socket may still carry an ICMP error for an earlier reply: count it, go on.
      ++stats_.errors;
      spdlog::debug("{} udp: {}", stats_.service, describe("recvfrom", d.error()));
      continue;
    }
    ++stats_.datagrams;
    stats_.bytes_in += d->size;
    const endpoint& from = d->from;
    if (from.empty() || !respond_) continue;
    auto v = guard_.check(from);
    if (v != udp_guard::verdict::allow) {
      ++stats_.dropped;
      spdlog::debug("{} udp: no reply to {}: {}", stats_.service, from.to_string(), verdict_name(v));
      continue;
    }
    reply_.clear();
    if (!respond_(std::span<const std::byte>(buf_.get(), d->size), reply_)) continue;
    auto sent = try_send_to(socket_, as_bytes(reply_), from);
    if (!sent) {
      // A full socket buffer drops the reply, as the network would: never block the loop on UDP.
      if (sent.error() == errc::would_block || sent.error() == std::errc::no_buffer_space) {
        ++stats_.dropped;
      } else {
        ++stats_.errors;
        spdlog::debug("{} udp: {}", stats_.service, describe("sendto " + from.to_string(), sent.error()));
      }
      continue;
    }
    stats_.bytes_out += *sent;
  }
}

}  // namespace sockit::cli
