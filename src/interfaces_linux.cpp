// Listing network interfaces on Linux: getifaddrs, SIOCGIFMTU, if_nametoindex (see interfaces.hpp).
#include "sockit/interfaces.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <memory>

#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "detail/syscall.hpp"
#include "sockit/error.hpp"
#include "sockit/socket.hpp"

namespace sockit {
namespace {

int prefix_of(const sockaddr* mask) {
  if (!mask) return 0;
  int bits = 0;
  if (mask->sa_family == AF_INET) {
    sockaddr_in m;
    std::memcpy(&m, mask, sizeof m);
    bits = std::popcount(static_cast<std::uint32_t>(m.sin_addr.s_addr));
  } else if (mask->sa_family == AF_INET6) {
    sockaddr_in6 m;
    std::memcpy(&m, mask, sizeof m);
    for (unsigned char byte : m.sin6_addr.s6_addr) bits += std::popcount(byte);
  }
  return bits;
}

socklen_t length_of(const sockaddr* sa) {
  return sa->sa_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
}

// SIOCGIFMTU needs some socket to ask through; any datagram socket will do. 0 when none opens
// (a kernel without IPv4 and IPv6) or the kernel will not say.
int mtu_of(const char* name) {
  auto s = socket::open(AF_INET, SOCK_DGRAM);
  if (!s) s = socket::open(AF_INET6, SOCK_DGRAM);
  if (!s) return 0;
  ifreq req{};
  std::strncpy(req.ifr_name, name, IFNAMSIZ - 1);
  auto rc = detail::check_res([&] { return ::ioctl(s->native_handle(), SIOCGIFMTU, &req); });
  return rc ? req.ifr_mtu : 0;
}

}  // namespace

result<std::vector<network_interface>> list_interfaces() {
  ifaddrs* head = nullptr;
  if (auto ec = detail::check_ec([&] { return ::getifaddrs(&head); })) return ec;
  std::unique_ptr<ifaddrs, decltype(&::freeifaddrs)> owner(head, &::freeifaddrs);

  std::vector<network_interface> out;
  for (const ifaddrs* i = head; i; i = i->ifa_next) {
    if (!i->ifa_name) continue;
    auto it = std::find_if(out.begin(), out.end(), [&](const network_interface& n) { return n.name == i->ifa_name; });
    if (it == out.end()) {
      network_interface n;
      n.name = i->ifa_name;
      n.index = ::if_nametoindex(i->ifa_name);
      n.flags = i->ifa_flags;
      n.mtu = mtu_of(i->ifa_name);
      out.push_back(std::move(n));
      it = out.end() - 1;
    }
    const sockaddr* sa = i->ifa_addr;
    if (!sa || (sa->sa_family != AF_INET && sa->sa_family != AF_INET6)) continue;  // AF_PACKET: the link
    auto addr = endpoint::from_sockaddr(sa, length_of(sa));
    if (!addr) continue;
    interface_address a;
    a.address = *addr;
    a.prefix_length = prefix_of(i->ifa_netmask);
    // ifa_broadaddr and ifa_dstaddr share storage: it is a broadcast address only with IFF_BROADCAST.
    if ((i->ifa_flags & IFF_BROADCAST) && sa->sa_family == AF_INET && i->ifa_broadaddr &&
        i->ifa_broadaddr->sa_family == AF_INET) {
      // Without a brd set, glibc hands the address itself back here: that is no broadcast address.
      auto b = endpoint::from_sockaddr(i->ifa_broadaddr, sizeof(sockaddr_in));
      if (b && !b->is_unspecified() && b->address() != a.address.address()) a.broadcast = *b;
    }
    // `ip addr add 10.77.9.1/24` sets no brd, yet the kernel routes 10.77.9.255 as the subnet's
    // broadcast (fib_add_ifaddr adds it for every prefix shorter than /31): so do we.
    if ((i->ifa_flags & IFF_BROADCAST) && a.broadcast.empty()) a.broadcast = subnet_broadcast(a.address, a.prefix_length);
    it->addresses.push_back(std::move(a));
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const network_interface& a, const network_interface& b) { return a.index < b.index; });
  return out;
}

result<unsigned> interface_index(std::string_view name) {
  // if_nametoindex needs a terminated string; a name longer than IFNAMSIZ exists nowhere.
  if (name.empty() || name.size() >= IF_NAMESIZE) return errc::no_such_interface;
  unsigned i = ::if_nametoindex(std::string(name).c_str());
  if (i == 0) return errc::no_such_interface;
  return i;
}

result<std::string> interface_name(unsigned index) {
  char buf[IF_NAMESIZE] = {};
  if (index == 0 || !::if_indextoname(index, buf)) return errc::no_such_interface;
  return std::string(buf);
}

}  // namespace sockit
