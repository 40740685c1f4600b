// sockit/multicast.hpp: IP multicast on UDP sockets, IPv4 and IPv6 alike: joining and leaving
// groups (any-source and source-specific), the sender's TTL/hop limit, loopback and outgoing
// interface, and network interface lookup. Public. Setters return std::error_code; getters read
// back what the kernel holds, where it lets you.
//
//   receiver                                        sender
//   s = udp_bind(239.1.2.3:5000, reuse_address)     s = udp_open(AF_INET)
//   set_multicast_all(s, false)                     set_multicast_ttl(s, 1)
//   join_group(s, 239.1.2.3, ifindex)               set_multicast_interface(s, ifindex)
//   recv_from(s, ...) ...                           send_to(s, data, 239.1.2.3:5000)
//   leave_group(s, 239.1.2.3, ifindex)
//
// A group or source is an endpoint whose port is ignored. Calls whose level depends on the
// family (IPPROTO_IP or IPPROTO_IPV6) take it from the group for memberships and from the
// socket (SO_DOMAIN) for the sender's options.
#pragma once

#include <string>
#include <string_view>
#include <system_error>

#include "sockit/endpoint.hpp"
#include "sockit/result.hpp"
#include "sockit/socket.hpp"

namespace sockit {

// True for IPv4 224.0.0.0/4 and IPv6 ff00::/8 (an IPv4-mapped IPv6 address is not a group).
bool is_multicast(const endpoint& e) noexcept;

// ---- network interfaces -------------------------------------------------------------------------

// The index of the interface named `name` ("eth0" -> 2), if_nametoindex; an unknown name is
// errc::no_such_interface (say the name in the context: describe("interface eth9", ec)).
result<unsigned> interface_index(std::string_view name);
// The name of the interface with that index (if_indextoname); unknown: errc::no_such_interface.
result<std::string> interface_name(unsigned index);
// The index of the interface that holds the local address `address` (getifaddrs; an IPv6 scope
// is ignored); no interface has it: errc::no_such_interface.
result<unsigned> interface_with_address(const endpoint& address);

// ---- memberships (receivers) --------------------------------------------------------------------
// `ifindex` names the interface to join on; 0 lets the kernel choose from its routing table, or,
// for an IPv6 group with a scope ("ff02::1%eth0"), the scope's interface. Link-local IPv6 groups
// (ff02::) need an interface one way or the other (the kernel says ENODEV otherwise).
// A group that is not multicast is errc::not_multicast, checked before the kernel is asked.
// Joining twice on one socket is EADDRINUSE; leaving a group never joined is EADDRNOTAVAIL.

// Any-source membership: MCAST_JOIN_GROUP / MCAST_LEAVE_GROUP (the protocol-independent forms of
// IP_ADD_MEMBERSHIP and IPV6_JOIN_GROUP).
std::error_code join_group(const socket& s, const endpoint& group, unsigned ifindex = 0);
std::error_code leave_group(const socket& s, const endpoint& group, unsigned ifindex = 0);

// Source-specific membership (SSM, RFC 4607): only datagrams from `source` to `group` are
// delivered. MCAST_JOIN_SOURCE_GROUP / MCAST_LEAVE_SOURCE_GROUP. A source of another family than
// the group is std::errc::address_family_not_supported.
std::error_code join_source_group(const socket& s, const endpoint& group, const endpoint& source,
                                  unsigned ifindex = 0);
std::error_code leave_source_group(const socket& s, const endpoint& group, const endpoint& source,
                                   unsigned ifindex = 0);

// IP_MULTICAST_ALL / IPV6_MULTICAST_ALL. Linux delivers a group's datagrams to every socket bound
// to the port (a wildcard bind) once *any* socket on the host joined it; off (false) delivers only
// the groups this socket joined. The Linux default is on; a receiver sets it off.
std::error_code set_multicast_all(const socket& s, bool on);
result<bool> multicast_all(const socket& s);

// ---- sending ------------------------------------------------------------------------------------

// IP_MULTICAST_TTL / IPV6_MULTICAST_HOPS, 0..255: how many routers a datagram to a group may
// cross. 0 never leaves the host (loopback only); 1, the Linux default, stays on the link.
std::error_code set_multicast_ttl(const socket& s, int hops);
result<int> multicast_ttl(const socket& s);

// IP_MULTICAST_LOOP / IPV6_MULTICAST_LOOP: whether our own datagrams to a group are also
// delivered to members on this host (the Linux default is on).
std::error_code set_multicast_loop(const socket& s, bool on);
result<bool> multicast_loop(const socket& s);

// The interface datagrams to a group leave by (IP_MULTICAST_IF with ip_mreqn /
// IPV6_MULTICAST_IF); 0 lets the routing table decide again.
std::error_code set_multicast_interface(const socket& s, unsigned ifindex);
// By one of the host's addresses: on IPv4 the kernel also uses it as the source address; on IPv6
// it is looked up (interface_with_address) and the interface set by index.
std::error_code set_multicast_interface(const socket& s, const endpoint& local_address);
// IPv6: the index set (0: none). IPv4 sockets keep only an address the kernel reports (see below),
// so this is std::errc::operation_not_supported there.
result<unsigned> multicast_interface(const socket& s);
// IPv4: the address set with set_multicast_interface (0.0.0.0 when none, or when it was set by
// index). IPv6: std::errc::operation_not_supported.
result<endpoint> multicast_interface_address(const socket& s);

}  // namespace sockit
