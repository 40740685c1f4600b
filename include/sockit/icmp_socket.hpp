// sockit/icmp_socket.hpp: sockets for ping. A raw ICMP socket when the process may open one
// (CAP_NET_RAW), else the unprivileged ICMP datagram socket ("ping socket", allowed to the groups
// in net.ipv4.ping_group_range, which also governs ICMPv6); sending echo requests, receiving with
// the reply's TTL / hop limit, reading the errors a datagram socket queues, and dropping the
// privileges a raw socket needed once it is open. On Windows the same interface sends through
// IcmpSendEcho2 / Icmp6SendEcho2 (socket_kind::echo_api): no ICMP socket at all, the replies come
// back as echo reply messages (and the errors as ICMP errors quoting the request), so a caller
// parses them with icmp::parse as it does on Linux.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "sockit/endpoint.hpp"
#include "sockit/result.hpp"
#include "sockit/socket.hpp"

namespace sockit::icmp {

// echo_api: Windows' ICMP helper calls (IcmpSendEcho2, Icmp6SendEcho2), which pick their own
// socket, identifier and sequence on the wire and hand back the echoed data.
enum class socket_kind { raw, datagram, echo_api };

// "raw", "datagram" or "IcmpSendEcho2" / "Icmp6SendEcho2" (echo_api, by family).
const char* kind_name(socket_kind kind, int family) noexcept;

// Windows: the thread that sends through the ICMP helper calls and hands each outcome to `sock`.
struct echo_sender;

struct ping_socket {
  // What the caller watches for readability. echo_api: a UDP socket on 127.0.0.1 connected to
  // itself, one byte per reply the sender queued (try_receive hands the reply over).
  socket sock;
  socket_kind kind = socket_kind::raw;
  int family = AF_INET;
  // The identifier replies carry: ours to choose on a raw socket; on a datagram socket the kernel
  // writes the socket's local port there on every request, so it is that port.
  std::uint16_t id = 0;
  // Whether received messages start with an IPv4 header (raw AF_INET only).
  bool with_ip_header() const noexcept { return kind == socket_kind::raw && family == AF_INET; }
  // echo_api only (empty otherwise). Declared after `sock`: it stops before the socket closes.
  std::shared_ptr<echo_sender> sender;
};

enum class socket_choice { automatic, raw, datagram };

// Opens a non-blocking ICMP socket of `family`: automatic tries raw first, then datagram. A raw
// socket gets `raw_id` as identifier. Both ask for the TTL / hop limit and the kernel's receive
// time of what they receive; a
// datagram socket also queues ICMP errors about its requests (IP_RECVERR / IPV6_RECVERR: see
// try_receive_error). When neither kind may be opened the error is
// std::errc::operation_not_permitted (see permission_hint). `filter`: a raw socket asks the
// kernel to queue only echo replies and errors (ICMP_FILTER / ICMP6_FILTER), not every ICMP
// message the host receives (our own requests to a local address among them).
// Windows: only automatic, which opens the echo_api sender (raw and datagram are
// errc::not_supported; so is ICMPv6 where Icmp6CreateFile is not implemented, as under Wine 8.0).
result<ping_socket> open_ping_socket(int family, socket_choice choice = socket_choice::automatic,
                                     std::uint16_t raw_id = 0, bool filter = true);

// The most data bytes one echo request may carry: what fits in an IP datagram (max_payload_v4,
// max_payload_v6), or 65500 on Windows, the helper calls' limit.
std::size_t max_echo_payload(int family) noexcept;

// Whether the process may send requests closer together than iputils' 0.2 s floor: root on Linux
// (as iputils), nobody on Windows (no notion of root there; the floor holds for everyone).
bool may_flood() noexcept;

// How to get permission when open_ping_socket failed for lack of it, in one sentence naming both
// ways (the file capability for raw sockets, the sysctl for datagram sockets).
std::string permission_hint(const std::string& program);

// Outgoing TTL (AF_INET) or unicast hop limit (AF_INET6), 1..255.
std::error_code set_ttl(const ping_socket& s, int ttl);

// One sendto, never waits (errc::would_block when the send buffer is full). echo_api: the request
// is queued for the sender thread; `message` is an echo request as encode_echo_request makes it
// (its identifier and sequence come back in the reply), at most 65500 data bytes (Windows' limit,
// std::errc::message_size beyond).
result<std::size_t> try_send(const ping_socket& s, std::span<const std::byte> message, const endpoint& to);

struct received {
  std::size_t size = 0;  // bytes stored (at most the buffer's size)
  bool truncated = false;
  endpoint from;
  int ttl = -1;  // from the IP_TTL / IPV6_HOPLIMIT ancillary data, -1 when none came
  // When the kernel received it (SO_TIMESTAMPNS: CLOCK_REALTIME nanoseconds), 0 when not given.
  // Timing from it leaves out the wake-up latency of whoever reads the socket, as iputils does.
  std::int64_t kernel_time_ns = 0;
};

// One recvmsg, never waits. An error the kernel recorded on the socket (an ICMP error on a
// datagram socket) may be returned here once; the caller goes on. echo_api: the next outcome
// the sender queued, an echo reply (from: who answered, ttl: its TTL, kernel_time_ns: when the
// call completed) or an ICMP error quoting the request (unreachable, TTL exceeded); requests
// that timed out are not reported, as a lost request is not on Linux.
result<received> try_receive(const ping_socket& s, std::span<std::byte> buffer);

struct queued_error {
  bool from_icmp = false;  // an ICMP message (else a local error, e.g. EMSGSIZE)
  std::uint8_t type = 0;
  std::uint8_t code = 0;
  int error = 0;           // the errno it maps to
  endpoint offender;       // who sent the ICMP error (a router, or our own host)
  std::size_t size = 0;    // bytes of our original message stored in the buffer
};

// Reads one error from the socket's error queue (MSG_ERRQUEUE), never waits; nothing queued is
// errc::would_block. The buffer receives the message we sent that the error is about.
// Linux datagram sockets only (elsewhere errc::not_supported).
result<queued_error> try_receive_error(const ping_socket& s, std::span<std::byte> buffer);

// Gives up every privilege the process holds, for a program that only needed them to open its
// raw sockets (installed setuid root or with cap_net_raw+ep): the real user and group ids become
// the effective and saved ones too, every capability (effective, permitted, inheritable, ambient)
// is dropped, and no_new_privs is set. Harmless for an unprivileged process. Windows: nothing to
// drop (the ICMP helper calls need no privilege).
std::error_code drop_privileges();

}  // namespace sockit::icmp
