// sockit/endpoint.hpp: an IPv4 or IPv6 socket address, the parser for the text forms people type
// (host:port, [v6]:port, :port, port) and name resolution through getaddrinfo.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#ifdef _WIN32
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#ifndef NOMINMAX
#define NOMINMAX
#endif
#include <winsock2.h>
#include <ws2tcpip.h>
// sockit's stand-in for Linux's SOCK_NONBLOCK in socket::open's type (a bit no Winsock type
// uses): the socket is made non-blocking with FIONBIO after it is created.
#ifndef SOCK_NONBLOCK
#define SOCK_NONBLOCK 0x4000
#endif
#else
#include <sys/socket.h>
#endif

#include "sockit/result.hpp"

namespace sockit {

class endpoint {
 public:
  endpoint() noexcept;
  // Copies a kernel address; only AF_INET and AF_INET6 are accepted.
  static result<endpoint> from_sockaddr(const sockaddr* sa, socklen_t len);
  // A numeric address ("127.0.0.1", "::1", "fe80::1%lo"); never resolves a name. An empty host,
  // inet_aton shorthand ("127.1") or a malformed address is errc::bad_host (resolve() is the one
  // that gives "" a meaning); text that could be a name ("localhost") is the resolver's EAI_NONAME
  // ("Name or service not known", though nothing was asked), which tells the two apart.
  static result<endpoint> numeric(std::string_view host, std::uint16_t port);
  static endpoint loopback_v4(std::uint16_t port) noexcept;
  static endpoint loopback_v6(std::uint16_t port) noexcept;
  static endpoint any_v4(std::uint16_t port) noexcept;
  static endpoint any_v6(std::uint16_t port) noexcept;

  int family() const noexcept;  // AF_INET, AF_INET6, or AF_UNSPEC when empty
  bool is_v4() const noexcept { return family() == AF_INET; }
  bool is_v6() const noexcept { return family() == AF_INET6; }
  bool empty() const noexcept { return family() == AF_UNSPEC; }
  bool is_loopback() const noexcept;
  bool is_unspecified() const noexcept;  // 0.0.0.0, :: or ::ffff:0.0.0.0
  bool is_v4_mapped() const noexcept;    // ::ffff:a.b.c.d, an IPv4 peer of a dual-stack socket
  // The IPv4 endpoint an IPv4-mapped one names (same port), so it prints as 127.0.0.1:80 rather
  // than [::ffff:127.0.0.1]:80; any other endpoint as it is.
  endpoint unmapped() const noexcept;

  std::uint16_t port() const noexcept;
  void set_port(std::uint16_t port) noexcept;

  // "127.0.0.1" / "::1" (no brackets, no port).
  std::string address() const;
  // "127.0.0.1:80" / "[::1]:80": the form parse_host_port reads back.
  std::string to_string() const;

  const sockaddr* data() const noexcept { return reinterpret_cast<const sockaddr*>(&storage_); }
  sockaddr* data() noexcept { return reinterpret_cast<sockaddr*>(&storage_); }
  socklen_t size() const noexcept;
  static constexpr socklen_t capacity() noexcept { return sizeof(sockaddr_storage); }

  friend bool operator==(const endpoint& a, const endpoint& b) noexcept;

 private:
  sockaddr_storage storage_;
};

// A host and port as typed: host is "" for ":port" and "port" (meaning "any" or "loopback", the
// caller decides), without brackets for IPv6.
struct host_port {
  std::string host;
  std::uint16_t port = 0;
};

// Parses "host:port", "[v6addr]:port", ":port" or "port". A bare IPv6 address without brackets
// is refused (its last colon is ambiguous). Errors are errc::bad_address, bad_port or bad_host.
result<host_port> parse_host_port(std::string_view text);
// Parses a port number "0".."65535" (no sign, no spaces, no service names).
result<std::uint16_t> parse_port(std::string_view text);

// The transport a service name is looked up for: /etc/services gives some names to one only
// ("bootps" is 67/udp, "tcpmux" 1/tcp).
enum class transport { tcp, udp };

// The port /etc/services (through NSS, getservbyname_r) gives `name` for `t`, as netcat looks a
// name up: for the command's own transport, never falling back to the other one. Text that is a
// number or cannot be a service name (empty, spaces, ':', ','), or a name not listed for `t`, is
// errc::unknown_service.
result<std::uint16_t> service_port(std::string_view name, transport t);
// True when `text` would be looked up as a service name: not empty and not all digits.
bool is_service_name(std::string_view text) noexcept;
// A port number "0".."65535" (no lookup: "22" is 22 even if /etc/services says otherwise), or a
// service name for `t` ("ssh" -> 22). Digits out of range are errc::bad_port, an unknown name
// errc::unknown_service.
result<std::uint16_t> parse_port(std::string_view text, transport t);
// parse_host_port with the port as a number or a service name for `t` ("localhost:http").
result<host_port> parse_host_port(std::string_view text, transport t);

enum class ip_family { any, v4, v6 };

struct resolve_options {
  ip_family family = ip_family::any;
  int socktype = SOCK_STREAM;  // SOCK_STREAM or SOCK_DGRAM
  bool passive = false;        // for bind: an empty host means the wildcard address
  bool numeric_only = false;   // never ask a resolver (AI_NUMERICHOST)
};

// All addresses for host (IPv4 and IPv6, in getaddrinfo's preferred order, duplicates removed).
// An empty host means loopback, or the wildcard when opts.passive. Numeric hosts never reach a
// resolver. A host that looks numeric (only digits and dots, 0x-hex labels, or a ':' or '%') must
// be a strict address, else errc::bad_host: an IPv4 address is the dotted quad inet_pton reads
// (no "127.1" shorthand, no hex or octal, no leading zeros as in "01.2.3.4"); an IPv6 address may
// carry a scope ("fe80::1%lo"). Other failures use resolver_category() (EAI_NONAME, EAI_AGAIN...).
result<std::vector<endpoint>> resolve(std::string_view host, std::uint16_t port,
                                      const resolve_options& opts = {});

}  // namespace sockit
