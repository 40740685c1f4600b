// Network interfaces: what is common to every platform (see interfaces.hpp); listing them is
// interfaces_linux.cpp's (getifaddrs) or interfaces_windows.cpp's (GetAdaptersAddresses).
#include "sockit/interfaces.hpp"

#include <cstring>
#ifndef _WIN32
#include <net/if.h>  // IFF_*; Windows has them in ws2ipdef.h
#endif

#include "detail/net.hpp"
#include "sockit/error.hpp"

namespace sockit {
namespace {

// The same host address, whatever the ports and IPv6 scopes.
bool same_host(const endpoint& a, const endpoint& b) {
  if (a.family() != b.family()) return false;
  if (a.is_v4()) {
    return reinterpret_cast<const sockaddr_in*>(a.data())->sin_addr.s_addr ==
           reinterpret_cast<const sockaddr_in*>(b.data())->sin_addr.s_addr;
  }
  return a.is_v6() && std::memcmp(&reinterpret_cast<const sockaddr_in6*>(a.data())->sin6_addr,
                                  &reinterpret_cast<const sockaddr_in6*>(b.data())->sin6_addr, sizeof(in6_addr)) == 0;
}

}  // namespace

bool network_interface::is_up() const noexcept { return (flags & IFF_UP) != 0; }
bool network_interface::is_loopback() const noexcept { return (flags & IFF_LOOPBACK) != 0; }
bool network_interface::can_broadcast() const noexcept { return (flags & IFF_BROADCAST) != 0; }
bool network_interface::can_multicast() const noexcept { return (flags & IFF_MULTICAST) != 0; }

endpoint network_interface::broadcast_address() const {
  if (!can_broadcast()) return {};
  for (const auto& a : addresses) {
    if (!a.broadcast.empty()) return a.broadcast;
  }
  return {};
}

result<network_interface> find_interface(std::string_view name) {
  auto all = list_interfaces();
  if (!all) return all.error();
  for (auto& n : *all) {
    if (n.name == name) return std::move(n);
  }
  return errc::no_such_interface;
}

result<unsigned> interface_with_address(const endpoint& address) {
  auto all = list_interfaces();
  if (!all) return all.error();
  for (const auto& n : *all) {
    for (const auto& a : n.addresses) {
      if (same_host(a.address, address)) return n.index;
    }
  }
  return errc::no_such_interface;
}

endpoint subnet_broadcast(const endpoint& address, int prefix_length) {
  if (!address.is_v4() || prefix_length < 0 || prefix_length >= 31) return {};
  sockaddr_in in;
  std::memcpy(&in, address.data(), sizeof in);
  std::uint32_t host_bits = prefix_length == 0 ? ~0u : (~0u >> prefix_length);
  in.sin_addr.s_addr = htonl(ntohl(in.sin_addr.s_addr) | host_bits);
  in.sin_port = 0;
  auto b = endpoint::from_sockaddr(reinterpret_cast<const sockaddr*>(&in), sizeof in);
  return b ? *b : endpoint{};
}

bool is_limited_broadcast(const endpoint& a) noexcept {
  if (!a.is_v4()) return false;
  sockaddr_in in;
  std::memcpy(&in, a.data(), sizeof in);
  return in.sin_addr.s_addr == htonl(INADDR_BROADCAST);
}

const network_interface* broadcast_owner(const std::vector<network_interface>& interfaces, const endpoint& a) {
  if (!a.is_v4()) return nullptr;
  for (const auto& n : interfaces) {
    for (const auto& addr : n.addresses) {
      if (!addr.broadcast.empty() && addr.broadcast.address() == a.address()) return &n;
    }
  }
  return nullptr;
}

}  // namespace sockit
