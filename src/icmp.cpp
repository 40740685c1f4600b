// ICMP / ICMPv6 echo messages: checksum, encoding, parsing (see sockit/icmp.hpp).
#include "sockit/icmp.hpp"

#include <cstring>

#include "detail/net.hpp"

namespace sockit::icmp {
namespace {

std::uint16_t be16(std::span<const std::byte> d, std::size_t at) {
  return static_cast<std::uint16_t>((std::to_integer<unsigned>(d[at]) << 8) | std::to_integer<unsigned>(d[at + 1]));
}

void put_be16(std::vector<std::byte>& d, std::size_t at, std::uint16_t v) {
  d[at] = static_cast<std::byte>(v >> 8);
  d[at + 1] = static_cast<std::byte>(v & 0xff);
}

unsigned u8(std::span<const std::byte> d, std::size_t at) { return std::to_integer<unsigned>(d[at]); }

bool is_error_type(int family, std::uint8_t type) {
  if (family == AF_INET) return type == v4_dest_unreachable || type == v4_time_exceeded;
  return type == v6_dest_unreachable || type == v6_time_exceeded || type == v6_packet_too_big;
}

message_kind kind_of(int family, std::uint8_t type) {
  if (family == AF_INET) {
    switch (type) {
      case v4_echo_reply: return message_kind::echo_reply;
      case v4_echo_request: return message_kind::echo_request;
      case v4_dest_unreachable: return message_kind::dest_unreachable;
      case v4_time_exceeded: return message_kind::time_exceeded;
      default: return message_kind::other;
    }
  }
  switch (type) {
    case v6_echo_reply: return message_kind::echo_reply;
    case v6_echo_request: return message_kind::echo_request;
    case v6_dest_unreachable: return message_kind::dest_unreachable;
    case v6_time_exceeded: return message_kind::time_exceeded;
    case v6_packet_too_big: return message_kind::packet_too_big;
    default: return message_kind::other;
  }
}

// The quoted datagram inside an error: the original IP header, then at least the first 8 bytes
// of what it carried (RFC 792; RFC 4443 quotes as much as fits). Fills the quoted echo's id/seq
// and destination when it is an echo request of the same family.
void read_quoted(int family, std::span<const std::byte> q, message& m) {
  if (family == AF_INET) {
    if (q.size() < 20 || (u8(q, 0) >> 4) != 4) return;
    std::size_t ihl = (u8(q, 0) & 0x0f) * 4u;
    if (ihl < 20 || q.size() < ihl + header_size || u8(q, 9) != IPPROTO_ICMP) return;
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    std::memcpy(&sin.sin_addr, q.data() + 16, 4);
    if (auto e = endpoint::from_sockaddr(reinterpret_cast<const sockaddr*>(&sin), sizeof sin)) m.quoted_destination = *e;
    auto inner = q.subspan(ihl);
    if (u8(inner, 0) != v4_echo_request) return;
    m.id = be16(inner, 4);
    m.seq = be16(inner, 6);
    m.quoted_echo = true;
    return;
  }
  // IPv6: a 40-byte header; ping's requests carry no extension headers, so next header is ICMPv6.
  if (q.size() < 40 + header_size || (u8(q, 0) >> 4) != 6 || u8(q, 6) != IPPROTO_ICMPV6) return;
  sockaddr_in6 sin6{};
  sin6.sin6_family = AF_INET6;
  std::memcpy(&sin6.sin6_addr, q.data() + 24, 16);
  if (auto e = endpoint::from_sockaddr(reinterpret_cast<const sockaddr*>(&sin6), sizeof sin6)) m.quoted_destination = *e;
  auto inner = q.subspan(40);
  if (u8(inner, 0) != v6_echo_request) return;
  m.id = be16(inner, 4);
  m.seq = be16(inner, 6);
  m.quoted_echo = true;
}

}  // namespace

std::uint32_t sum(std::span<const std::byte> data, std::uint32_t partial) noexcept {
  std::uint64_t s = partial;
  std::size_t i = 0;
  for (; i + 1 < data.size(); i += 2) {
    s += (std::to_integer<std::uint32_t>(data[i]) << 8) | std::to_integer<std::uint32_t>(data[i + 1]);
  }
  if (i < data.size()) s += std::to_integer<std::uint32_t>(data[i]) << 8;  // odd length: pad with zero
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return static_cast<std::uint32_t>(s);
}

std::uint16_t checksum(std::span<const std::byte> data, std::uint32_t partial) noexcept {
  return static_cast<std::uint16_t>(~sum(data, partial) & 0xffff);
}

std::vector<std::byte> encode_echo_request(int family, std::uint16_t id, std::uint16_t seq,
                                           std::span<const std::byte> payload) {
  std::vector<std::byte> m(header_size + payload.size());
  m[0] = static_cast<std::byte>(family == AF_INET6 ? v6_echo_request : v4_echo_request);
  m[1] = std::byte{0};
  put_be16(m, 4, id);
  put_be16(m, 6, seq);
  if (!payload.empty()) std::memcpy(m.data() + header_size, payload.data(), payload.size());
  // The checksum is computed last, over the finished message (the chapter's program summed a
  // buffer it had not finished filling, and stored the result byte-swapped).
  if (family != AF_INET6) put_be16(m, 2, checksum(m));
  return m;
}

result<message> parse(int family, std::span<const std::byte> data, bool with_ip_header) {
  message m;
  if (with_ip_header) {
    if (family != AF_INET || data.size() < 20 || (u8(data, 0) >> 4) != 4) return std::errc::bad_message;
    std::size_t ihl = (u8(data, 0) & 0x0f) * 4u;
    std::size_t total = be16(data, 2);
    if (ihl < 20 || data.size() < ihl || u8(data, 9) != IPPROTO_ICMP) return std::errc::bad_message;
    // The kernel hands raw sockets the datagram as it came; trust the total length only as far
    // as it fits what was received (a reassembled datagram's field may be rewritten).
    if (total >= ihl + header_size && total < data.size()) data = data.first(total);
    m.ttl = static_cast<int>(u8(data, 8));
    data = data.subspan(ihl);
  }
  if (data.size() < header_size) return std::errc::bad_message;
  m.type = static_cast<std::uint8_t>(u8(data, 0));
  m.code = static_cast<std::uint8_t>(u8(data, 1));
  m.kind = kind_of(family, m.type);
  m.icmp_size = data.size();
  if (family == AF_INET) m.checksum_ok = checksum(data) == 0;
  if (m.kind == message_kind::echo_reply || m.kind == message_kind::echo_request) {
    m.id = be16(data, 4);
    m.seq = be16(data, 6);
    m.payload = data.subspan(header_size);
  } else if (is_error_type(family, m.type)) {
    read_quoted(family, data.subspan(header_size), m);
  }
  return m;
}

result<message> parse_quoted_request(int family, std::span<const std::byte> data) {
  if (data.size() < header_size) return std::errc::bad_message;
  auto type = static_cast<std::uint8_t>(u8(data, 0));
  if (type != (family == AF_INET6 ? v6_echo_request : v4_echo_request)) return std::errc::bad_message;
  message m;
  m.kind = message_kind::echo_request;
  m.type = type;
  m.id = be16(data, 4);
  m.seq = be16(data, 6);
  m.quoted_echo = true;
  m.icmp_size = data.size();
  m.payload = data.subspan(header_size);
  return m;
}

const char* describe(int family, std::uint8_t type, std::uint8_t code) {
  if (family == AF_INET) {
    if (type == v4_time_exceeded) return code == 1 ? "Frag reassembly time exceeded" : "Time to live exceeded";
    if (type == v4_dest_unreachable) {
      switch (code) {
        case 0: return "Destination Net Unreachable";
        case 1: return "Destination Host Unreachable";
        case 2: return "Destination Protocol Unreachable";
        case 3: return "Destination Port Unreachable";
        case 4: return "Frag needed and DF set";
        case 5: return "Source Route Failed";
        case 6: return "Destination Net Unknown";
        case 7: return "Destination Host Unknown";
        case 9: return "Destination Net Prohibited";
        case 10: return "Destination Host Prohibited";
        case 13: return "Communication prohibited by filter";
        default: return "Dest Unreachable";
      }
    }
    return "Bad ICMP type";
  }
  if (type == v6_time_exceeded) return code == 0 ? "Time exceeded: Hop limit" : "Time exceeded: Defrag";
  if (type == v6_packet_too_big) return "Packet too big";
  if (type == v6_dest_unreachable) {
    switch (code) {
      case 0: return "Destination unreachable: No route";
      case 1: return "Destination unreachable: Administratively prohibited";
      case 2: return "Destination unreachable: Beyond scope";
      case 3: return "Destination unreachable: Address unreachable";
      case 4: return "Destination unreachable: Port unreachable";
      default: return "Destination unreachable";
    }
  }
  return "Unknown ICMPv6 type";
}

}  // namespace sockit::icmp
