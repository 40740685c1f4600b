// sockit/options.hpp: socket options. Every setter has a getter that reads back what the kernel
// really set (which may differ: Linux doubles SO_SNDBUF/SO_RCVBUF and clamps them).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "sockit/result.hpp"
#include "sockit/socket.hpp"

namespace sockit {

using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::seconds;

std::error_code set_nonblocking(const socket& s, bool on);
result<bool> nonblocking(const socket& s);

// SO_RCVTIMEO / SO_SNDTIMEO; zero means no timeout.
std::error_code set_recv_timeout(const socket& s, microseconds t);
result<microseconds> recv_timeout(const socket& s);
std::error_code set_send_timeout(const socket& s, microseconds t);
result<microseconds> send_timeout(const socket& s);

std::error_code set_tcp_nodelay(const socket& s, bool on);
result<bool> tcp_nodelay(const socket& s);
std::error_code set_tcp_cork(const socket& s, bool on);
result<bool> tcp_cork(const socket& s);

// TCP_USER_TIMEOUT: how long sent data may stay unacknowledged before the kernel drops the
// connection (ETIMEDOUT); it bounds what keepalive cannot, a peer that vanished mid-request.
// Zero means the kernel's default.
std::error_code set_tcp_user_timeout(const socket& s, milliseconds t);
result<milliseconds> tcp_user_timeout(const socket& s);

struct keepalive_config {
  bool enabled = false;
  seconds idle{7200};    // TCP_KEEPIDLE: quiet time before the first probe
  seconds interval{75};  // TCP_KEEPINTVL: between probes
  int count = 9;         // TCP_KEEPCNT: unanswered probes before the connection is dropped
  friend bool operator==(const keepalive_config&, const keepalive_config&) = default;
};
std::error_code set_keepalive(const socket& s, const keepalive_config& k);
result<keepalive_config> keepalive(const socket& s);

std::error_code set_send_buffer_size(const socket& s, int bytes);
result<int> send_buffer_size(const socket& s);
std::error_code set_recv_buffer_size(const socket& s, int bytes);
result<int> recv_buffer_size(const socket& s);

std::error_code set_reuse_address(const socket& s, bool on);
result<bool> reuse_address(const socket& s);
std::error_code set_reuse_port(const socket& s, bool on);
result<bool> reuse_port(const socket& s);
// IP_BIND_ADDRESS_NO_PORT: bind() takes the address only and leaves the port to connect(), which
// may then share a source port among different targets (many client connections from one address).
std::error_code set_bind_address_no_port(const socket& s, bool on);
result<bool> bind_address_no_port(const socket& s);
// IPV6_V6ONLY on an IPv6 socket: false = dual-stack (also IPv4-mapped peers).
std::error_code set_v6_only(const socket& s, bool on);
result<bool> v6_only(const socket& s);
// SO_BROADCAST: without it the kernel refuses to send to a broadcast address (EACCES).
std::error_code set_broadcast(const socket& s, bool on);
result<bool> broadcast(const socket& s);

// SO_BINDTODEVICE: the socket sends and receives only through the interface `name` ("eth0"), so a
// limited broadcast (255.255.255.255) leaves by that link instead of the default route's. An empty
// name unbinds. Unknown names are std::errc::no_such_device; a name too long for the kernel
// (IFNAMSIZ, 16 with its NUL), which would silently cut it, is std::errc::invalid_argument.
// Linux before 5.7 wants CAP_NET_RAW for it (EPERM).
std::error_code set_bind_device(const socket& s, std::string_view name);
result<std::string> bind_device(const socket& s);  // "" when not bound

// IP_MTU_DISCOVER / IPV6_MTU_DISCOVER: on = IP_PMTUDISC_DO, the don't-fragment bit: a datagram
// larger than the path MTU is never fragmented, the send fails with EMSGSIZE instead (the local
// interface's MTU at once, a smaller MTU further on once an ICMP "fragmentation needed" is back);
// off = IP_PMTUDISC_WANT, Linux's default (fragment what is too large).
std::error_code set_dont_fragment(const socket& s, bool on);
result<bool> dont_fragment(const socket& s);
// IP_MTU / IPV6_MTU: the path MTU the kernel knows to a connected socket's peer (ENOTCONN when
// not connected). A datagram then carries at most the MTU less the IP and UDP headers (28 bytes
// over IPv4, 48 over IPv6).
result<int> path_mtu(const socket& s);
// IP_RECVERR / IPV6_RECVERR on a datagram socket: every ICMP error about what it sent is reported
// on its next receive, not only the "hard" ones. Without it a connected UDP socket hears port
// unreachable (ECONNREFUSED) and administratively prohibited, but never host or network unreachable.
std::error_code set_recv_errors(const socket& s, bool on);

// SO_LINGER: nullopt = off (close returns at once, the kernel sends what is left);
// seconds{0} = close resets the connection (RST) and discards unsent data.
std::error_code set_linger(const socket& s, std::optional<seconds> t);
result<std::optional<seconds>> linger(const socket& s);

// IP_TTL / IPV6_UNICAST_HOPS: the hop limit of the unicast packets the socket sends, 1 to 255.
std::error_code set_ttl(const socket& s, int hops);
result<int> ttl(const socket& s);
// IP_TOS / IPV6_TCLASS: the traffic class byte (DSCP << 2 | ECN), 0 to 255. Linux keeps the ECN
// bits of a TCP socket its own, so reading back may differ in the low two bits.
std::error_code set_tos(const socket& s, int tos);
result<int> tos(const socket& s);
// TCP_MAXSEG: the largest segment the socket sends, and, set before connect or listen, the MSS it
// announces to the peer. Linux takes 88 to 32767.
std::error_code set_tcp_max_segment(const socket& s, int bytes);
result<int> tcp_max_segment(const socket& s);

}  // namespace sockit
