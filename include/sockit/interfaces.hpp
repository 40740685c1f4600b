// sockit/interfaces.hpp: the machine's network interfaces (getifaddrs): name, index, flags, MTU
// and addresses with their prefix and broadcast address. Public; for choosing the interface a
// broadcast or multicast datagram leaves by, and for telling a broadcast address from a host's.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "sockit/endpoint.hpp"
#include "sockit/result.hpp"

namespace sockit {

struct interface_address {
  endpoint address;       // port 0; IPv6 link-local addresses carry their scope
  int prefix_length = 0;  // from the netmask: 24 for 255.255.255.0
  // The subnet's broadcast address, IPv4 on a broadcast link only, else empty: the one set with
  // the address (`ip addr add ... brd B`), or, as the kernel's own broadcast route has it, the
  // subnet's highest address (10.77.9.255 for 10.77.9.1/24) when the prefix is shorter than /31.
  endpoint broadcast;
};

struct network_interface {
  std::string name;
  unsigned index = 0;  // if_nametoindex: what IPV6_MULTICAST_IF and scope ids take
  unsigned flags = 0;  // IFF_UP, IFF_BROADCAST, IFF_LOOPBACK, IFF_MULTICAST, ... (<net/if.h>)
  int mtu = 0;         // 0 when the kernel would not say
  std::vector<interface_address> addresses;  // IPv4 and IPv6, in getifaddrs order

  bool is_up() const noexcept;
  bool is_loopback() const noexcept;
  // IFF_BROADCAST: the link can broadcast (Ethernet, a veth, a bridge; not lo, not a tunnel).
  bool can_broadcast() const noexcept;
  bool can_multicast() const noexcept;
  // The first IPv4 broadcast address, or an empty endpoint when the link cannot broadcast or has
  // no IPv4 address: a limited broadcast (255.255.255.255) bound to it would have nowhere to go.
  endpoint broadcast_address() const;
};

// Every interface, in the kernel's order (by index), also those that are down or have no address.
result<std::vector<network_interface>> list_interfaces();

// The interface called `name`, or errc::no_such_interface.
result<network_interface> find_interface(std::string_view name);

// The index of the interface named `name` ("eth0" -> 2), if_nametoindex; an unknown name is
// errc::no_such_interface (say the name in the context: describe("interface eth9", ec)).
result<unsigned> interface_index(std::string_view name);
// The name of the interface with that index (if_indextoname); unknown: errc::no_such_interface.
result<std::string> interface_name(unsigned index);
// The index of the interface that holds the local address `address` (getifaddrs; an IPv6 scope
// is ignored); no interface has it: errc::no_such_interface.
result<unsigned> interface_with_address(const endpoint& address);

// Whether `a` (an IPv4 address, port ignored) is the limited broadcast address 255.255.255.255.
bool is_limited_broadcast(const endpoint& a) noexcept;

// The directed broadcast address of an IPv4 address's subnet (10.77.9.1 with prefix 24:
// 10.77.9.255); empty for IPv6 and for /31 and /32, which have none.
endpoint subnet_broadcast(const endpoint& address, int prefix_length);

// The interface whose subnet `a` is the broadcast address of (10.77.9.255 for 10.77.9.1/24), or
// nullptr: a directed broadcast to a subnet this machine is on.
const network_interface* broadcast_owner(const std::vector<network_interface>& interfaces, const endpoint& a);

}  // namespace sockit
