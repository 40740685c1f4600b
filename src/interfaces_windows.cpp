// Listing network interfaces on Windows: GetAdaptersAddresses (see interfaces.hpp). Windows has
// no interface flags of getifaddrs' kind, so they are derived: IFF_UP from the operational
// status, IFF_LOOPBACK from the type, IFF_MULTICAST unless the adapter refuses it, IFF_BROADCAST
// for Ethernet and Wi-Fi. A name is the adapter's friendly name ("Ethernet", "Loopback Pseudo-
// Interface 1") in UTF-8, which interface_index and --interface take back.
#include "sockit/interfaces.hpp"

#include <algorithm>
#include <cstring>
#include <memory>

#include "detail/net.hpp"
#include "sockit/error.hpp"

#include <iphlpapi.h>

namespace sockit {
namespace {

std::string utf8(const wchar_t* w) {
  if (!w) return {};
  int n = ::WideCharToMultiByte(CP_UTF8, 0, w, -1, nullptr, 0, nullptr, nullptr);
  if (n <= 1) return {};
  std::string out(static_cast<std::size_t>(n), '\0');
  ::WideCharToMultiByte(CP_UTF8, 0, w, -1, out.data(), n, nullptr, nullptr);
  out.resize(static_cast<std::size_t>(n - 1));
  return out;
}

unsigned flags_of(const IP_ADAPTER_ADDRESSES& a) {
  unsigned f = 0;
  if (a.OperStatus == IfOperStatusUp) f |= IFF_UP;
  if (a.IfType == IF_TYPE_SOFTWARE_LOOPBACK) f |= IFF_LOOPBACK;
  if (!(a.Flags & IP_ADAPTER_NO_MULTICAST)) f |= IFF_MULTICAST;
  if (a.IfType == IF_TYPE_ETHERNET_CSMACD || a.IfType == IF_TYPE_IEEE80211) f |= IFF_BROADCAST;
  return f;
}

}  // namespace

result<std::vector<network_interface>> list_interfaces() {
  detail::ensure_winsock();
  // The size needed can grow between two calls (an adapter appearing): ask again a few times.
  ULONG size = 16 * 1024;
  std::unique_ptr<std::byte[]> buf;
  ULONG rc = ERROR_BUFFER_OVERFLOW;
  for (int attempt = 0; attempt < 4 && rc == ERROR_BUFFER_OVERFLOW; ++attempt) {
    buf.reset(new std::byte[size]);
    rc = ::GetAdaptersAddresses(AF_UNSPEC, GAA_FLAG_SKIP_ANYCAST | GAA_FLAG_SKIP_MULTICAST | GAA_FLAG_SKIP_DNS_SERVER,
                                nullptr, reinterpret_cast<IP_ADAPTER_ADDRESSES*>(buf.get()), &size);
  }
  if (rc == ERROR_NO_DATA) return std::vector<network_interface>{};
  if (rc != NO_ERROR) return std::error_code(static_cast<int>(rc), std::system_category());

  std::vector<network_interface> out;
  for (auto* a = reinterpret_cast<const IP_ADAPTER_ADDRESSES*>(buf.get()); a; a = a->Next) {
    network_interface n;
    n.name = utf8(a->FriendlyName);
    n.index = a->IfIndex != 0 ? a->IfIndex : a->Ipv6IfIndex;
    n.flags = flags_of(*a);
    n.mtu = a->Mtu == ~ULONG{0} ? 0 : static_cast<int>(a->Mtu);
    for (auto* u = a->FirstUnicastAddress; u; u = u->Next) {
      const sockaddr* sa = u->Address.lpSockaddr;
      if (!sa || (sa->sa_family != AF_INET && sa->sa_family != AF_INET6)) continue;
      auto addr = endpoint::from_sockaddr(sa, u->Address.iSockaddrLength);
      if (!addr) continue;
      interface_address ia;
      ia.address = *addr;
      ia.prefix_length = u->OnLinkPrefixLength;
      // Windows reports no broadcast address: it is the subnet's, as the stack routes it.
      if (n.flags & IFF_BROADCAST) ia.broadcast = subnet_broadcast(ia.address, ia.prefix_length);
      n.addresses.push_back(std::move(ia));
    }
    out.push_back(std::move(n));
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const network_interface& x, const network_interface& y) { return x.index < y.index; });
  return out;
}

result<unsigned> interface_index(std::string_view name) {
  auto n = find_interface(name);
  if (!n) return n.error();
  return n->index;
}

result<std::string> interface_name(unsigned index) {
  auto all = list_interfaces();
  if (!all) return all.error();
  for (const auto& n : *all) {
    if (index != 0 && n.index == index) return n.name;
  }
  return errc::no_such_interface;
}

}  // namespace sockit
