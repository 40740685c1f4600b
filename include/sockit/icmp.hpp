// sockit/icmp.hpp: ICMP and ICMPv6 echo messages as bytes: the RFC 1071 checksum, echo request
// encoding and the parser for what a ping socket receives (echo replies, our own looped-back
// requests, and the errors that quote one of our requests). Pure functions, no sockets: the
// sockets are in icmp_socket.hpp.
//
// An echo message (RFC 792, RFC 4443), every field big-endian:
//
//   0       1       2               4               6               8
//   +-------+-------+---------------+---------------+---------------+-------- ... --+
//   | type  | code  |   checksum    |  identifier   |   sequence    |  payload      |
//   +-------+-------+---------------+---------------+---------------+-------- ... --+
//   type: 8 request / 0 reply (ICMP), 128 request / 129 reply (ICMPv6)
//
// A raw IPv4 socket receives the IPv4 header in front of it; a datagram ICMP socket, and every
// ICMPv6 socket, receives the ICMP message alone.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "sockit/endpoint.hpp"
#include "sockit/result.hpp"

namespace sockit::icmp {

inline constexpr std::uint8_t v4_echo_reply = 0;
inline constexpr std::uint8_t v4_dest_unreachable = 3;
inline constexpr std::uint8_t v4_echo_request = 8;
inline constexpr std::uint8_t v4_time_exceeded = 11;
inline constexpr std::uint8_t v6_dest_unreachable = 1;
inline constexpr std::uint8_t v6_packet_too_big = 2;
inline constexpr std::uint8_t v6_time_exceeded = 3;
inline constexpr std::uint8_t v6_echo_request = 128;
inline constexpr std::uint8_t v6_echo_reply = 129;

inline constexpr std::size_t header_size = 8;      // type, code, checksum, identifier, sequence
inline constexpr std::size_t max_payload_v4 = 65507;  // 65535 - 20 (IPv4) - 8 (ICMP)
inline constexpr std::size_t max_payload_v6 = 65527;  // 65535 - 8 (IPv6's length leaves its header out)

// The Internet checksum (RFC 1071): the ones' complement of the ones' complement sum of the data
// as big-endian 16-bit words, an odd last byte padded with a zero byte. `partial` carries a sum
// already made over other bytes (a pseudo-header), as sum() returns it. Over a message whose
// checksum field is filled in, checksum() is 0 when the message is intact.
std::uint16_t checksum(std::span<const std::byte> data, std::uint32_t partial = 0) noexcept;
// The folded 16-bit ones' complement sum, not complemented, to chain into checksum().
std::uint32_t sum(std::span<const std::byte> data, std::uint32_t partial = 0) noexcept;

// An echo request for `family` (AF_INET or AF_INET6). For AF_INET the checksum is computed over
// the whole message, payload included; for AF_INET6 it is left 0, since the kernel fills in
// ICMPv6 checksums itself (it needs the source address for the pseudo-header), on raw and
// datagram sockets alike. On a datagram socket the kernel also replaces the identifier with the
// socket's local port (and recomputes the ICMP checksum).
std::vector<std::byte> encode_echo_request(int family, std::uint16_t id, std::uint16_t seq,
                                           std::span<const std::byte> payload);

enum class message_kind {
  echo_reply,        // type 0 / 129
  echo_request,      // type 8 / 128: on a raw socket over loopback, our own request comes back
  dest_unreachable,  // type 3 / 1; quoted: the request it is about
  time_exceeded,     // type 11 / 3; quoted: the request it is about
  packet_too_big,    // ICMPv6 type 2; quoted: the request it is about
  other,             // anything else (router advertisements, redirects...): not for ping
};

struct message {
  message_kind kind = message_kind::other;
  std::uint8_t type = 0;
  std::uint8_t code = 0;
  // An echo's identifier and sequence; for an error, those of the echo request it quotes (when
  // the quoted part is an echo request of the same family, else quoted_echo is false).
  std::uint16_t id = 0;
  std::uint16_t seq = 0;
  bool quoted_echo = false;
  // For an error: the destination of the quoted request (who we were pinging).
  endpoint quoted_destination;
  // Whether the ICMP checksum is right. Always true for ICMPv6 (the kernel checks it, and its
  // pseudo-header needs our own address, which the socket does not hand over) and for a datagram
  // socket's messages (the kernel drops bad ones before they reach it).
  bool checksum_ok = true;
  // The IPv4 header's TTL when there was one (raw IPv4 sockets), else -1.
  int ttl = -1;
  std::size_t icmp_size = 0;          // the ICMP message's size (header + payload)
  std::span<const std::byte> payload;  // an echo's data, inside the parsed buffer
};

// Parses what one recv returned. `with_ip_header`: an IPv4 header comes first (raw AF_INET
// sockets); its length, protocol and total length are checked. A message too short for its
// header, or an IPv4 header that does not hold together, is std::errc::bad_message. For AF_INET
// the checksum is verified (checksum_ok). Never reads outside `data`.
result<message> parse(int family, std::span<const std::byte> data, bool with_ip_header);

// An error queued on a datagram socket (IP_RECVERR) quotes only our own ICMP message (the bytes
// we sent, the identifier as the kernel rewrote it): this reads its identifier and sequence.
// Not an echo request of `family`: std::errc::bad_message.
result<message> parse_quoted_request(int family, std::span<const std::byte> data);

// iputils' words for an error type and code ("Destination Host Unreachable", "Time to live
// exceeded"...).
const char* describe(int family, std::uint8_t type, std::uint8_t code);

}  // namespace sockit::icmp
