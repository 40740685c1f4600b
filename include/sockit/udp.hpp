// sockit/udp.hpp: UDP sockets: bind, send_to / recv_from with deadlines, connected UDP.
#pragma once

#include <cstddef>
#include <span>

#include "sockit/deadline.hpp"
#include "sockit/endpoint.hpp"
#include "sockit/result.hpp"
#include "sockit/socket.hpp"

namespace sockit {

// The largest payload one datagram carries: 65535 less the UDP header (8) and, over IPv4, the IP
// header (20); IPv6's length field leaves its header out, so 65527 there (jumbograms aside).
inline constexpr std::size_t max_udp_payload_v4 = 65507;
inline constexpr std::size_t max_udp_payload_v6 = 65527;
inline std::size_t max_udp_payload(const endpoint& to) { return to.is_v6() ? max_udp_payload_v6 : max_udp_payload_v4; }

struct udp_bind_options {
  bool reuse_address = false;
  bool reuse_port = false;
  bool v6_only = false;
  bool nonblocking = false;
  socket_prepare prepare;  // runs before bind
};

// An unbound UDP socket of the given family (AF_INET or AF_INET6).
result<socket> udp_open(int family, bool nonblocking = false);
result<socket> udp_bind(const endpoint& at, const udp_bind_options& opts = {});
// A UDP socket connected to `to`: the kernel then drops datagrams from anyone else, and ICMP
// errors (port unreachable) come back as ECONNREFUSED on the next call.
result<socket> udp_connect(const endpoint& to, const socket_prepare& prepare = {});
// Connects an existing UDP socket (bound or not) to `to`, with the same effect.
std::error_code udp_connect(const socket& s, const endpoint& to);

result<std::size_t> send_to(const socket& s, std::span<const std::byte> data, const endpoint& to,
                            deadline by = {});

struct datagram {
  std::size_t size = 0;   // bytes stored in the buffer
  std::size_t wire_size = 0;  // the datagram's real size (> size when truncated)
  endpoint from;
  bool truncated() const noexcept { return wire_size > size; }
};

// Receives one datagram; waits up to the deadline (std::errc::timed_out).
result<datagram> recv_from(const socket& s, std::span<std::byte> buffer, deadline by = {});

// The non-blocking calls: one sendto/recvfrom that never waits; nothing to do now is
// errc::would_block. An empty `to` sends on a connected socket. An empty datagram is a datagram
// (size 0), not an end of stream.
result<std::size_t> try_send_to(const socket& s, std::span<const std::byte> data, const endpoint& to);
result<datagram> try_recv_from(const socket& s, std::span<std::byte> buffer);

}  // namespace sockit
