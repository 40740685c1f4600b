// Sockets for ping: raw or datagram ICMP, errors from the error queue, dropping privileges
// (see sockit/icmp_socket.hpp).
#include "sockit/icmp_socket.hpp"

#include <cstring>
#include <ctime>

#include <linux/capability.h>
#include <linux/errqueue.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "detail/sockopt.hpp"
#include "detail/syscall.hpp"
#include "sockit/error.hpp"
#include "sockit/icmp.hpp"

namespace sockit::icmp {
namespace {

int protocol_for(int family) { return family == AF_INET6 ? int{IPPROTO_ICMPV6} : int{IPPROTO_ICMP}; }

bool is_permission(std::error_code ec) {
  return ec == std::errc::operation_not_permitted || ec == std::errc::permission_denied;
}

// Ancillary data we ask for on every ping socket: the TTL / hop limit of what arrives.
// and when the kernel received it.
std::error_code ask_for_ttl(const socket& s, int family) {
  if (auto ec = detail::set_flag(s, SOL_SOCKET, SO_TIMESTAMPNS, true)) return ec;
  if (family == AF_INET6) return detail::set_flag(s, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, true);
  return detail::set_flag(s, IPPROTO_IP, IP_RECVTTL, true);
}

result<ping_socket> open_datagram(int family) {
  auto s = socket::open(family, SOCK_DGRAM | SOCK_NONBLOCK, protocol_for(family));
  if (!s) return s.error();
  // Bound now (port 0: the kernel picks a free identifier), so the identifier is known before the
  // first request; otherwise the kernel would pick it at the first send.
  endpoint any = family == AF_INET6 ? endpoint::any_v6(0) : endpoint::any_v4(0);
  if (auto ec = bind(*s, any)) return ec;
  auto local = s->local_endpoint();
  if (!local) return local.error();
  if (auto ec = ask_for_ttl(*s, family)) return ec;
  // ICMP errors about our requests (unreachable, time exceeded) reach a datagram socket only
  // through its error queue.
  if (auto ec = family == AF_INET6 ? detail::set_flag(*s, IPPROTO_IPV6, IPV6_RECVERR, true)
                                   : detail::set_flag(*s, IPPROTO_IP, IP_RECVERR, true)) {
    return ec;
  }
  ping_socket p;
  p.sock = std::move(*s);
  p.kind = socket_kind::datagram;
  p.family = family;
  p.id = local->port();
  return p;
}

// A raw socket receives every ICMP message the host gets, our own requests to a local address
// included. The kernel filter keeps only what ping reads (echo replies and the errors that quote a
// request) from being queued at all: each message queued is a copy and a wake-up in the middle of
// the send path, which a loopback round trip would pay (iputils filters the same way).
std::error_code set_filter(const socket& s, int family) {
  if (family == AF_INET6) {
    icmp6_filter f{};
    ICMP6_FILTER_SETBLOCKALL(&f);
    ICMP6_FILTER_SETPASS(v6_echo_reply, &f);
    ICMP6_FILTER_SETPASS(v6_dest_unreachable, &f);
    ICMP6_FILTER_SETPASS(v6_packet_too_big, &f);
    ICMP6_FILTER_SETPASS(v6_time_exceeded, &f);
    return detail::set_opt(s, IPPROTO_ICMPV6, ICMP6_FILTER, f);
  }
  // linux/icmp.h's ICMP_FILTER (SOL_RAW level): a mask of the types to drop.
  constexpr int sol_raw = 255;
  constexpr int icmp_filter_opt = 1;
  std::uint32_t drop = ~((1u << v4_echo_reply) | (1u << v4_dest_unreachable) | (1u << v4_time_exceeded));
  return detail::set_opt(s, sol_raw, icmp_filter_opt, drop);
}

result<ping_socket> open_raw(int family, std::uint16_t id, bool filter) {
  auto s = socket::open(family, SOCK_RAW | SOCK_NONBLOCK, protocol_for(family));
  if (!s) return s.error();
  if (auto ec = ask_for_ttl(*s, family)) return ec;
  if (filter) {
    if (auto ec = set_filter(*s, family)) return ec;
  }
  // A raw socket receives every ICMP message the host gets, errors about our requests included
  // (with the request quoted), so no error queue: that would report each error twice.
  ping_socket p;
  p.sock = std::move(*s);
  p.kind = socket_kind::raw;
  p.family = family;
  p.id = id;
  return p;
}

}  // namespace

result<ping_socket> open_ping_socket(int family, socket_choice choice, std::uint16_t raw_id, bool filter) {
  if (family != AF_INET && family != AF_INET6) return std::errc::address_family_not_supported;
  if (choice == socket_choice::raw) return open_raw(family, raw_id, filter);
  if (choice == socket_choice::datagram) return open_datagram(family);
  auto raw = open_raw(family, raw_id, filter);
  if (raw || !is_permission(raw.error())) return raw;
  auto dgram = open_datagram(family);
  if (dgram) return dgram;
  // EACCES: our group is outside ping_group_range; EPERM/EACCES alike mean "not allowed".
  if (is_permission(dgram.error())) return std::errc::operation_not_permitted;
  return dgram.error();
}

std::string permission_hint(const std::string& program) {
  return "a raw ICMP socket needs CAP_NET_RAW (sudo setcap cap_net_raw+ep " + program +
         ") and an ICMP datagram socket needs a group in net.ipv4.ping_group_range (sudo sysctl -w "
         "net.ipv4.ping_group_range=\"0 2147483647\")";
}

std::error_code set_ttl(const ping_socket& s, int ttl) {
  if (ttl < 1 || ttl > 255) return std::make_error_code(std::errc::invalid_argument);
  if (s.family == AF_INET6) return detail::set_opt(s.sock, IPPROTO_IPV6, IPV6_UNICAST_HOPS, ttl);
  return detail::set_opt(s.sock, IPPROTO_IP, IP_TTL, ttl);
}

result<std::size_t> try_send(const ping_socket& s, std::span<const std::byte> message, const endpoint& to) {
  return detail::check_size([&] {
    return ::sendto(s.sock.native_handle(), message.data(), message.size(), MSG_NOSIGNAL | MSG_DONTWAIT, to.data(),
                    to.size());
  });
}

namespace {

// The TTL / hop limit and the kernel's receive time in a received message's ancillary data.
void ancillary(msghdr& mh, received& r) {
  for (cmsghdr* c = CMSG_FIRSTHDR(&mh); c != nullptr; c = CMSG_NXTHDR(&mh, c)) {
    bool v4 = c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL;
    bool v6 = c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT;
    if ((v4 || v6) && c->cmsg_len >= CMSG_LEN(sizeof(int))) {
      int v = 0;
      std::memcpy(&v, CMSG_DATA(c), sizeof v);
      r.ttl = v;
    } else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS &&
               c->cmsg_len >= CMSG_LEN(sizeof(timespec))) {
      timespec ts{};
      std::memcpy(&ts, CMSG_DATA(c), sizeof ts);
      r.kernel_time_ns = static_cast<std::int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
    }
  }
}

// One buffer, the peer's address and room for ancillary data: what both receive paths hand recvmsg.
template <std::size_t N>
msghdr message_header(sockaddr_storage& peer, iovec& iov, char (&control)[N]) {
  msghdr mh{};
  mh.msg_name = &peer;
  mh.msg_namelen = sizeof peer;
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  mh.msg_control = control;
  mh.msg_controllen = N;
  return mh;
}

}  // namespace

result<received> try_receive(const ping_socket& s, std::span<std::byte> buffer) {
  sockaddr_storage from{};
  alignas(cmsghdr) char control[256];
  iovec iov{buffer.data(), buffer.size()};
  msghdr mh = message_header(from, iov, control);
  auto n = detail::check_size([&] { return ::recvmsg(s.sock.native_handle(), &mh, MSG_DONTWAIT | MSG_TRUNC); });
  if (!n) return n.error();
  received r;
  r.size = std::min(*n, buffer.size());
  r.truncated = *n > buffer.size() || (mh.msg_flags & MSG_TRUNC) != 0;
  if (mh.msg_namelen > 0) {
    if (auto e = endpoint::from_sockaddr(reinterpret_cast<sockaddr*>(&from), mh.msg_namelen)) r.from = *e;
  }
  ancillary(mh, r);
  return r;
}

result<queued_error> try_receive_error(const ping_socket& s, std::span<std::byte> buffer) {
  sockaddr_storage to{};
  alignas(cmsghdr) char control[512];
  iovec iov{buffer.data(), buffer.size()};
  msghdr mh = message_header(to, iov, control);
  auto n = detail::check_size([&] { return ::recvmsg(s.sock.native_handle(), &mh, MSG_ERRQUEUE | MSG_DONTWAIT); });
  if (!n) return n.error();
  queued_error q;
  q.size = std::min(*n, buffer.size());
  for (cmsghdr* c = CMSG_FIRSTHDR(&mh); c != nullptr; c = CMSG_NXTHDR(&mh, c)) {
    bool v4 = c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR;
    bool v6 = c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_RECVERR;
    if (!(v4 || v6) || c->cmsg_len < CMSG_LEN(sizeof(sock_extended_err))) continue;
    sock_extended_err ee{};
    std::memcpy(&ee, CMSG_DATA(c), sizeof ee);
    q.error = static_cast<int>(ee.ee_errno);
    q.from_icmp = ee.ee_origin == SO_EE_ORIGIN_ICMP || ee.ee_origin == SO_EE_ORIGIN_ICMP6;
    q.type = ee.ee_type;
    q.code = ee.ee_code;
    // SO_EE_OFFENDER: the address right after the sock_extended_err in the same cmsg.
    std::size_t room = c->cmsg_len - CMSG_LEN(sizeof(sock_extended_err));
    if (room >= sizeof(sockaddr_in)) {
      sockaddr_storage off{};
      std::memcpy(&off, CMSG_DATA(c) + sizeof(sock_extended_err), std::min(room, sizeof off));
      auto len = static_cast<socklen_t>(std::min(room, sizeof off));
      if (auto e = endpoint::from_sockaddr(reinterpret_cast<sockaddr*>(&off), len)) q.offender = *e;
    }
  }
  return q;
}

const char* kind_name(socket_kind kind, int family) noexcept {
  switch (kind) {
    case socket_kind::raw: return "raw";
    case socket_kind::datagram: return "datagram";
    case socket_kind::echo_api: break;  // Windows' (icmp_socket_windows.cpp); never opened here
  }
  return family == AF_INET6 ? "Icmp6SendEcho2" : "IcmpSendEcho2";
}

bool may_flood() noexcept { return ::getuid() == 0; }

std::size_t max_echo_payload(int family) noexcept { return family == AF_INET6 ? max_payload_v6 : max_payload_v4; }

std::error_code drop_privileges() {
  uid_t uid = ::getuid();
  gid_t gid = ::getgid();
  // Group first: once the user id is dropped, changing groups is no longer allowed.
  if (::getegid() != gid) {
    if (auto ec = detail::check_ec([&] { return ::setresgid(gid, gid, gid); })) return ec;
  }
  if (::geteuid() != uid) {
    if (auto ec = detail::check_ec([&] { return ::setresuid(uid, uid, uid); })) return ec;
  }
  // Every capability, also those a root user or cap_net_raw+ep left in the sets. capset(2)
  // directly: libcap is not needed for "all empty".
  (void)::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
  __user_cap_header_struct hdr{};
  hdr.version = _LINUX_CAPABILITY_VERSION_3;
  hdr.pid = 0;
  __user_cap_data_struct data[2]{};
  if (auto ec = detail::check_ec([&] { return static_cast<int>(::syscall(SYS_capset, &hdr, data)); })) return ec;
  return detail::check_ec([] { return ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); });
}

}  // namespace sockit::icmp
