// IP multicast options and memberships (sockit/multicast.hpp), over detail::set_opt/get_opt.
#include "sockit/multicast.hpp"

#include <cstring>
#include <memory>
#include <string>

#ifndef _WIN32
#include <net/if.h>
#endif

#include "detail/net.hpp"
#include "detail/sockopt.hpp"
#include "detail/syscall.hpp"
#include "sockit/error.hpp"
#include "sockit/interfaces.hpp"

namespace sockit {
namespace {

using detail::get_flag;
using detail::get_opt;
using detail::set_flag;
using detail::set_opt;

const sockaddr_in& v4(const endpoint& e) { return *reinterpret_cast<const sockaddr_in*>(e.data()); }
const sockaddr_in6& v6(const endpoint& e) { return *reinterpret_cast<const sockaddr_in6*>(e.data()); }

// The socket's own family (SO_DOMAIN), which picks IPPROTO_IP or IPPROTO_IPV6 for the sender's
// options; anything else cannot carry multicast.
result<int> family_of(const socket& s) {
#ifdef _WIN32
  // Winsock has no SO_DOMAIN; the protocol record carries the family.
  WSAPROTOCOL_INFOW info{};
  int len = sizeof info;
  if (::getsockopt(detail::native(s.native_handle()), SOL_SOCKET, SO_PROTOCOL_INFOW, reinterpret_cast<char*>(&info),
                   &len) != 0) {
    return std::error_code(detail::last_socket_error(), detail::socket_category());
  }
  result<int> d = info.iAddressFamily;
#else
  auto d = get_opt<int>(s, SOL_SOCKET, SO_DOMAIN);
  if (!d) return d.error();
#endif
  if (*d != AF_INET && *d != AF_INET6) return std::errc::address_family_not_supported;
  return *d;
}

// An IPv6 group with a scope ("ff02::1%eth0") names its interface when the caller did not.
unsigned interface_for(const endpoint& group, unsigned ifindex) {
  if (ifindex == 0 && group.is_v6()) return v6(group).sin6_scope_id;
  return ifindex;
}

int level_of(const endpoint& group) { return group.is_v6() ? IPPROTO_IPV6 : IPPROTO_IP; }

// The address alone, in a sockaddr_storage as group_req wants it (port and scope zeroed: the
// interface is named by gr_interface, and a port there would be meaningless).
sockaddr_storage bare(const endpoint& e) {
  sockaddr_storage ss{};
  std::memcpy(&ss, e.data(), e.size());
  if (e.is_v6()) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    a->sin6_port = 0;
    a->sin6_scope_id = 0;
  } else {
    reinterpret_cast<sockaddr_in*>(&ss)->sin_port = 0;
  }
  return ss;
}

#ifdef _WIN32
// Wine (8.0, Debian 12) has no MCAST_JOIN_GROUP and friends (WSAENOPROTOOPT); Windows has had
// them since Vista. There the older options do the same: IPv4's name the interface by one of its
// addresses (looked up from the index; INADDR_ANY for none), IPv6's by index. IPv6 has no older
// source-specific option, so that case stays unsupported.
in_addr interface_v4(unsigned ifindex) {
  in_addr a{};
  if (ifindex == 0) return a;
  if (auto all = list_interfaces()) {
    for (const auto& i : *all) {
      if (i.index != ifindex) continue;
      for (const auto& ad : i.addresses) {
        if (ad.address.is_v4()) return v4(ad.address).sin_addr;
      }
    }
  }
  return a;
}

std::error_code legacy_membership(const socket& s, bool join, const endpoint& group, unsigned ifindex) {
  if (group.is_v6()) {
    ipv6_mreq m{};
    m.ipv6mr_multiaddr = v6(group).sin6_addr;
    m.ipv6mr_interface = ifindex;
    return set_opt(s, IPPROTO_IPV6, join ? IPV6_ADD_MEMBERSHIP : IPV6_DROP_MEMBERSHIP, m);
  }
  ip_mreq m{};
  m.imr_multiaddr = v4(group).sin_addr;
  m.imr_interface = interface_v4(ifindex);
  return set_opt(s, IPPROTO_IP, join ? IP_ADD_MEMBERSHIP : IP_DROP_MEMBERSHIP, m);
}

std::error_code legacy_source_membership(const socket& s, bool join, const endpoint& group, const endpoint& source,
                                         unsigned ifindex) {
  if (group.is_v6()) return errc::not_supported;
  ip_mreq_source m{};
  m.imr_multiaddr = v4(group).sin_addr;
  m.imr_sourceaddr = v4(source).sin_addr;
  m.imr_interface = interface_v4(ifindex);
  return set_opt(s, IPPROTO_IP, join ? IP_ADD_SOURCE_MEMBERSHIP : IP_DROP_SOURCE_MEMBERSHIP, m);
}
#endif

std::error_code membership(const socket& s, int name, const endpoint& group, unsigned ifindex) {
  if (!is_multicast(group)) return make_error_code(errc::not_multicast);
  group_req r{};
  r.gr_interface = interface_for(group, ifindex);
  r.gr_group = bare(group);
  auto ec = set_opt(s, level_of(group), name, r);
#ifdef _WIN32
  if (ec == std::errc::no_protocol_option) {
    return legacy_membership(s, name == MCAST_JOIN_GROUP, group, r.gr_interface);
  }
#endif
  return ec;
}

std::error_code source_membership(const socket& s, int name, const endpoint& group, const endpoint& source,
                                  unsigned ifindex) {
  if (!is_multicast(group)) return make_error_code(errc::not_multicast);
  if (source.family() != group.family()) return std::make_error_code(std::errc::address_family_not_supported);
  group_source_req r{};
  r.gsr_interface = interface_for(group, ifindex);
  r.gsr_group = bare(group);
  r.gsr_source = bare(source);
  auto ec = set_opt(s, level_of(group), name, r);
#ifdef _WIN32
  if (ec == std::errc::no_protocol_option) {
    return legacy_source_membership(s, name == MCAST_JOIN_SOURCE_GROUP, group, source, r.gsr_interface);
  }
#endif
  return ec;
}

}  // namespace

bool is_multicast(const endpoint& e) noexcept {
  if (e.is_v4()) return IN_MULTICAST(ntohl(v4(e).sin_addr.s_addr));
  if (e.is_v6()) return IN6_IS_ADDR_MULTICAST(&v6(e).sin6_addr);
  return false;
}

std::error_code join_group(const socket& s, const endpoint& group, unsigned ifindex) {
  return membership(s, MCAST_JOIN_GROUP, group, ifindex);
}

std::error_code leave_group(const socket& s, const endpoint& group, unsigned ifindex) {
  return membership(s, MCAST_LEAVE_GROUP, group, ifindex);
}

std::error_code join_source_group(const socket& s, const endpoint& group, const endpoint& source, unsigned ifindex) {
  return source_membership(s, MCAST_JOIN_SOURCE_GROUP, group, source, ifindex);
}

std::error_code leave_source_group(const socket& s, const endpoint& group, const endpoint& source, unsigned ifindex) {
  return source_membership(s, MCAST_LEAVE_SOURCE_GROUP, group, source, ifindex);
}

std::error_code set_multicast_all(const socket& s, bool on) {
#ifndef IP_MULTICAST_ALL  // Linux's alone: Windows delivers only the groups a socket joined
  (void)s, (void)on;
  return errc::not_supported;
#else
  auto f = family_of(s);
  if (!f) return f.error();
  if (*f == AF_INET) return set_flag(s, IPPROTO_IP, IP_MULTICAST_ALL, on);
#ifdef IPV6_MULTICAST_ALL
  // Linux 4.20+. A dual-stack socket also receives IPv4 groups: set the IPv4 flag too, which an
  // IPv6 socket accepts.
  if (auto ec = set_flag(s, IPPROTO_IPV6, IPV6_MULTICAST_ALL, on)) return ec;
  return set_flag(s, IPPROTO_IP, IP_MULTICAST_ALL, on);
#else
  return std::make_error_code(std::errc::operation_not_supported);
#endif
#endif
}

result<bool> multicast_all(const socket& s) {
#ifndef IP_MULTICAST_ALL
  (void)s;
  return errc::not_supported;
#else
  auto f = family_of(s);
  if (!f) return f.error();
  if (*f == AF_INET) return get_flag(s, IPPROTO_IP, IP_MULTICAST_ALL);
#ifdef IPV6_MULTICAST_ALL
  return get_flag(s, IPPROTO_IPV6, IPV6_MULTICAST_ALL);
#else
  return std::errc::operation_not_supported;
#endif
#endif
}

std::error_code set_multicast_ttl(const socket& s, int hops) {
  auto f = family_of(s);
  if (!f) return f.error();
  // The kernel would take -1 (its default) too; sockit keeps to the range the wire carries.
  if (hops < 0 || hops > 255) return std::make_error_code(std::errc::invalid_argument);
  if (*f == AF_INET) return set_opt(s, IPPROTO_IP, IP_MULTICAST_TTL, hops);
  return set_opt(s, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, hops);
}

result<int> multicast_ttl(const socket& s) {
  auto f = family_of(s);
  if (!f) return f.error();
  if (*f == AF_INET) return get_opt<int>(s, IPPROTO_IP, IP_MULTICAST_TTL);
  return get_opt<int>(s, IPPROTO_IPV6, IPV6_MULTICAST_HOPS);
}

std::error_code set_multicast_loop(const socket& s, bool on) {
  auto f = family_of(s);
  if (!f) return f.error();
  if (*f == AF_INET) return set_flag(s, IPPROTO_IP, IP_MULTICAST_LOOP, on);
  return set_flag(s, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, on);
}

result<bool> multicast_loop(const socket& s) {
  auto f = family_of(s);
  if (!f) return f.error();
  if (*f == AF_INET) return get_flag(s, IPPROTO_IP, IP_MULTICAST_LOOP);
  return get_flag(s, IPPROTO_IPV6, IPV6_MULTICAST_LOOP);
}

std::error_code set_multicast_interface(const socket& s, unsigned ifindex) {
  auto f = family_of(s);
  if (!f) return f.error();
  if (*f == AF_INET) {
#ifdef _WIN32
    // Winsock's IP_MULTICAST_IF takes an address, or an index written as the address 0.0.0.index.
    // One of the interface's addresses where it has one: Wine hands the value to Linux, which
    // reads 0.0.0.index as an address and refuses it (EINVAL).
    in_addr a = interface_v4(ifindex);
    DWORD m = a.s_addr != 0 ? a.s_addr : htonl(ifindex);
#else
    ip_mreqn m{};  // imr_address 0.0.0.0: the source address comes from the interface
    m.imr_ifindex = static_cast<int>(ifindex);
#endif
    return set_opt(s, IPPROTO_IP, IP_MULTICAST_IF, m);
  }
  return set_opt(s, IPPROTO_IPV6, IPV6_MULTICAST_IF, static_cast<int>(ifindex));
}

std::error_code set_multicast_interface(const socket& s, const endpoint& local_address) {
  auto f = family_of(s);
  if (!f) return f.error();
  if (local_address.family() != *f) return std::make_error_code(std::errc::address_family_not_supported);
  if (*f == AF_INET) {
#ifdef _WIN32
    in_addr m = v4(local_address).sin_addr;
#else
    ip_mreqn m{};
    m.imr_address = v4(local_address).sin_addr;
#endif
    return set_opt(s, IPPROTO_IP, IP_MULTICAST_IF, m);
  }
  auto idx = interface_with_address(local_address);
  if (!idx) return idx.error();
  return set_opt(s, IPPROTO_IPV6, IPV6_MULTICAST_IF, static_cast<int>(*idx));
}

result<unsigned> multicast_interface(const socket& s) {
  auto f = family_of(s);
  if (!f) return f.error();
  if (*f == AF_INET) return std::errc::operation_not_supported;
  auto i = get_opt<int>(s, IPPROTO_IPV6, IPV6_MULTICAST_IF);
  if (!i) return i.error();
  return static_cast<unsigned>(*i);
}

result<endpoint> multicast_interface_address(const socket& s) {
  auto f = family_of(s);
  if (!f) return f.error();
  if (*f != AF_INET) return std::errc::operation_not_supported;
  auto a = get_opt<in_addr>(s, IPPROTO_IP, IP_MULTICAST_IF);
  if (!a) return a.error();
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_addr = *a;
  return endpoint::from_sockaddr(reinterpret_cast<const sockaddr*>(&sin), sizeof sin);
}

}  // namespace sockit
