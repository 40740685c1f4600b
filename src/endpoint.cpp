// Socket addresses, host:port parsing and getaddrinfo resolution.
#include "sockit/endpoint.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <memory>

#ifndef _WIN32
#include <net/if.h>
#endif

#include "detail/net.hpp"
#include "sockit/error.hpp"

namespace sockit {

endpoint::endpoint() noexcept { std::memset(&storage_, 0, sizeof storage_); }

result<endpoint> endpoint::from_sockaddr(const sockaddr* sa, socklen_t len) {
  endpoint e;
  if (sa == nullptr) return std::errc::invalid_argument;
  if (sa->sa_family == AF_INET && len >= static_cast<socklen_t>(sizeof(sockaddr_in))) {
    std::memcpy(&e.storage_, sa, sizeof(sockaddr_in));
  } else if (sa->sa_family == AF_INET6 && len >= static_cast<socklen_t>(sizeof(sockaddr_in6))) {
    std::memcpy(&e.storage_, sa, sizeof(sockaddr_in6));
  } else {
    return std::errc::address_family_not_supported;
  }
  return e;
}

namespace {

endpoint make_v4(std::uint32_t host_order_addr, std::uint16_t port) {
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(port);
  sin.sin_addr.s_addr = htonl(host_order_addr);
  return *endpoint::from_sockaddr(reinterpret_cast<const sockaddr*>(&sin), sizeof sin);
}

endpoint make_v6(const in6_addr& addr, std::uint16_t port) {
  sockaddr_in6 sin6{};
  sin6.sin6_family = AF_INET6;
  sin6.sin6_port = htons(port);
  sin6.sin6_addr = addr;
  return *endpoint::from_sockaddr(reinterpret_cast<const sockaddr*>(&sin6), sizeof sin6);
}

std::error_code gai_error(int rc) {
#ifdef EAI_SYSTEM
  if (rc == EAI_SYSTEM) return last_error();
#endif
  return {rc, resolver_category()};
}

}  // namespace

endpoint endpoint::loopback_v4(std::uint16_t port) noexcept { return make_v4(INADDR_LOOPBACK, port); }
endpoint endpoint::loopback_v6(std::uint16_t port) noexcept { return make_v6(in6addr_loopback, port); }
endpoint endpoint::any_v4(std::uint16_t port) noexcept { return make_v4(INADDR_ANY, port); }
endpoint endpoint::any_v6(std::uint16_t port) noexcept { return make_v6(in6addr_any, port); }

result<endpoint> endpoint::numeric(std::string_view host, std::uint16_t port) {
  if (host.empty()) return errc::bad_host;
  resolve_options o;
  o.numeric_only = true;
  auto r = resolve(host, port, o);
  if (!r) return r.error();
  return r->front();
}

int endpoint::family() const noexcept { return storage_.ss_family; }

socklen_t endpoint::size() const noexcept {
  switch (family()) {
    case AF_INET: return sizeof(sockaddr_in);
    case AF_INET6: return sizeof(sockaddr_in6);
    default: return 0;
  }
}

std::uint16_t endpoint::port() const noexcept {
  if (is_v4()) return ntohs(reinterpret_cast<const sockaddr_in*>(&storage_)->sin_port);
  if (is_v6()) return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_port);
  return 0;
}

void endpoint::set_port(std::uint16_t port) noexcept {
  if (is_v4()) reinterpret_cast<sockaddr_in*>(&storage_)->sin_port = htons(port);
  if (is_v6()) reinterpret_cast<sockaddr_in6*>(&storage_)->sin6_port = htons(port);
}

bool endpoint::is_loopback() const noexcept {
  if (is_v4()) {
    return (ntohl(reinterpret_cast<const sockaddr_in*>(&storage_)->sin_addr.s_addr) >> 24) == 127;
  }
  if (is_v6()) {
    const auto& a = reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_addr;
    if (IN6_IS_ADDR_LOOPBACK(&a)) return true;
    return IN6_IS_ADDR_V4MAPPED(&a) && a.s6_addr[12] == 127;
  }
  return false;
}

bool endpoint::is_v4_mapped() const noexcept {
  return is_v6() && IN6_IS_ADDR_V4MAPPED(&reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_addr);
}

endpoint endpoint::unmapped() const noexcept {
  if (!is_v4_mapped()) return *this;
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(port());
  std::memcpy(&sin.sin_addr, &reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_addr.s6_addr[12], 4);
  endpoint e;
  std::memcpy(&e.storage_, &sin, sizeof sin);
  return e;
}

bool endpoint::is_unspecified() const noexcept {
  if (is_v4()) return reinterpret_cast<const sockaddr_in*>(&storage_)->sin_addr.s_addr == INADDR_ANY;
  if (is_v6()) {
    const auto& a = reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_addr;
    if (IN6_IS_ADDR_UNSPECIFIED(&a)) return true;
    // ::ffff:0.0.0.0 is 0.0.0.0 seen through a dual-stack socket.
    return IN6_IS_ADDR_V4MAPPED(&a) && a.s6_addr[12] == 0 && a.s6_addr[13] == 0 && a.s6_addr[14] == 0 &&
           a.s6_addr[15] == 0;
  }
  return false;
}

std::string endpoint::address() const {
  char buf[INET6_ADDRSTRLEN + 16 + 2] = {};  // an address, '%' and an interface name (IF_NAMESIZE)
  if (is_v4()) {
    ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&storage_)->sin_addr, buf, sizeof buf);
    return buf;
  }
  if (is_v6()) {
    // getnameinfo keeps the scope id ("fe80::1%lo"), which inet_ntop drops.
    if (::getnameinfo(data(), size(), buf, sizeof buf, nullptr, 0, NI_NUMERICHOST) == 0) return buf;
    return "?";
  }
  return "";
}

std::string endpoint::to_string() const {
  if (is_v4()) return address() + ":" + std::to_string(port());
  if (is_v6()) return "[" + address() + "]:" + std::to_string(port());
  return "(none)";
}

// Address, port and (IPv6) scope: not the padding of a sockaddr_in nor an IPv6 flow label, which
// two spellings of the same peer may differ in.
bool operator==(const endpoint& a, const endpoint& b) noexcept {
  if (a.family() != b.family()) return false;
  if (a.is_v4()) {
    const auto* x = reinterpret_cast<const sockaddr_in*>(a.data());
    const auto* y = reinterpret_cast<const sockaddr_in*>(b.data());
    return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
  }
  if (a.is_v6()) {
    const auto* x = reinterpret_cast<const sockaddr_in6*>(a.data());
    const auto* y = reinterpret_cast<const sockaddr_in6*>(b.data());
    return x->sin6_port == y->sin6_port && x->sin6_scope_id == y->sin6_scope_id &&
           std::memcmp(&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr) == 0;
  }
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size()) == 0;
}

result<std::uint16_t> parse_port(std::string_view text) {
  if (text.empty() || text.size() > 5) return errc::bad_port;
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value > 65535) return errc::bad_port;
  return static_cast<std::uint16_t>(value);
}

namespace {

bool valid_host_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == ':' || c == '%';
}

bool valid_host(std::string_view h) {
  return !h.empty() && h.size() <= 253 && std::all_of(h.begin(), h.end(), valid_host_char);
}

// True when a host can only have been meant as an IPv4 address: every dot-separated label is
// decimal digits, 0x-hex or empty ("127.1", "0x7f.1", "1.2.3.4.5", "2130706433", "1..2", "1.2.3.4.").
// No DNS name looks like this (a top-level domain is never all-numeric), so such a host must
// never reach a resolver.
bool looks_like_v4(std::string_view h) {
  while (true) {
    auto dot = h.find('.');
    std::string_view label = h.substr(0, dot);
    bool hex = label.size() >= 2 && label[0] == '0' && (label[1] == 'x' || label[1] == 'X');
    std::string_view digits = hex ? label.substr(2) : label;
    auto is_digit = [hex](char c) {
      return (c >= '0' && c <= '9') || (hex && ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')));
    };
    if (!std::all_of(digits.begin(), digits.end(), is_digit)) return false;
    if (dot == std::string_view::npos) return true;
    h.remove_prefix(dot + 1);
  }
}

}  // namespace

result<std::uint16_t> service_port(std::string_view name, transport t) {
  // Names in /etc/services are short words ("ssh", "http-alt", "z39.50"); anything else never
  // reaches NSS (the parser's own separators, spaces, a huge argument).
  auto name_char = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
           c == '.' || c == '+' || c == '/';
  };
  if (!is_service_name(name) || name.size() > 64 || !std::all_of(name.begin(), name.end(), name_char)) {
    return errc::unknown_service;
  }
  std::string name_z(name);
#ifdef _WIN32
  // Winsock keeps getservbyname's answer per thread: safe as it is.
  detail::ensure_winsock();
  const servent* found = ::getservbyname(name_z.c_str(), t == transport::udp ? "udp" : "tcp");
#else
  servent entry{};
  servent* found = nullptr;
  // getservbyname keeps its answer in static storage; the _r form is safe on any thread.
  std::vector<char> buf(4096);
  for (int tries = 0; tries < 4; ++tries) {
    int rc = ::getservbyname_r(name_z.c_str(), t == transport::udp ? "udp" : "tcp", &entry, buf.data(), buf.size(),
                               &found);
    if (rc != ERANGE) break;
    buf.resize(buf.size() * 4);
  }
#endif
  if (found == nullptr) return errc::unknown_service;
  auto port = ntohs(static_cast<std::uint16_t>(found->s_port));
  if (port == 0) return errc::unknown_service;
  return port;
}

bool is_service_name(std::string_view text) noexcept {
  return !text.empty() && !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

result<std::uint16_t> parse_port(std::string_view text, transport t) {
  if (!is_service_name(text)) return parse_port(text);
  return service_port(text, t);
}

namespace {

result<host_port> parse_host_port_impl(std::string_view text, const transport* t) {
  if (text.empty()) return errc::bad_address;
  host_port hp;
  std::string_view port_text;
  if (text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return errc::bad_address;
    }
    std::string_view host = text.substr(1, close - 1);
    if (!valid_host(host) || host.find(':') == std::string_view::npos) return errc::bad_host;
    hp.host = std::string(host);
    port_text = text.substr(close + 2);
  } else {
    auto colon = text.find(':');
    if (colon == std::string_view::npos) {
      port_text = text;
    } else {
      if (text.find(':', colon + 1) != std::string_view::npos) return errc::bad_address;  // bare IPv6
      std::string_view host = text.substr(0, colon);
      if (!host.empty() && !valid_host(host)) return errc::bad_host;
      hp.host = std::string(host);
      port_text = text.substr(colon + 1);
    }
  }
  auto port = t ? parse_port(port_text, *t) : parse_port(port_text);
  // A word alone that names no service ("239.1.2.3", "nosuch") may as well be a host without its
  // port: say what the forms are. After a ':' it can only have been a port.
  if (!port && port.error() == errc::unknown_service && port_text.size() == text.size()) return errc::bad_address;
  if (!port) return port.error();
  hp.port = *port;
  return hp;
}

}  // namespace

result<host_port> parse_host_port(std::string_view text) { return parse_host_port_impl(text, nullptr); }

result<host_port> parse_host_port(std::string_view text, transport t) { return parse_host_port_impl(text, &t); }

result<std::vector<endpoint>> resolve(std::string_view host, std::uint16_t port, const resolve_options& opts) {
  std::vector<endpoint> out;
  if (host.empty()) {
    // No name to resolve: loopback for a client, the wildcard for a server.
    bool v6 = opts.family == ip_family::v6;
    if (opts.passive) {
      out.push_back(v6 ? endpoint::any_v6(port) : endpoint::any_v4(port));
    } else {
      out.push_back(v6 ? endpoint::loopback_v6(port) : endpoint::loopback_v4(port));
    }
    return out;
  }
  if (!valid_host(host)) return errc::bad_host;
  std::string host_z(host);
  // getaddrinfo's AI_NUMERICHOST takes inet_aton's shorthand ("127.1" is 127.0.0.1, "1.2.3" is
  // 1.2.0.3, "0x7f.1" is hex, "010" octal) and sends what it refuses ("1.2.3.4.5") to DNS. Only
  // the dotted quad inet_pton accepts is an IPv4 address here; it also refuses leading zeros
  // ("01.2.3.4"), which some tools read as octal and others as decimal.
  if (looks_like_v4(host)) {
    in_addr a4{};
    if (::inet_pton(AF_INET, host_z.c_str(), &a4) != 1) return errc::bad_host;
  }

  addrinfo hints{};
  hints.ai_family = opts.family == ip_family::v4 ? AF_INET : opts.family == ip_family::v6 ? AF_INET6 : AF_UNSPEC;
  hints.ai_socktype = opts.socktype;
  hints.ai_flags = AI_NUMERICSERV | (opts.passive ? AI_PASSIVE : 0);
  std::string port_z = std::to_string(port);

  // Numeric first: an address never reaches a resolver, even when names are allowed.
  detail::ensure_winsock();
  addrinfo* list = nullptr;
  hints.ai_flags |= AI_NUMERICHOST;
  int rc = ::getaddrinfo(host_z.c_str(), port_z.c_str(), &hints, &list);
  // Not numeric, yet with ':' or '%': a typo ("1.2.3.4:80" as a host), never a name to send to DNS.
  // A good IPv6 address refused only by the family filter (-4 ::1) keeps getaddrinfo's error.
  if (rc != 0 && host.find_first_of(":%") != std::string_view::npos) {
    addrinfo any_hints = hints;
    any_hints.ai_family = AF_UNSPEC;
    addrinfo* probe = nullptr;
    if (::getaddrinfo(host_z.c_str(), port_z.c_str(), &any_hints, &probe) != 0) return errc::bad_host;
    ::freeaddrinfo(probe);
    return gai_error(rc);
  }
  if (rc != 0 && !opts.numeric_only) {
    hints.ai_flags &= ~AI_NUMERICHOST;
    rc = ::getaddrinfo(host_z.c_str(), port_z.c_str(), &hints, &list);
  }
  if (rc != 0) return gai_error(rc);
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> guard(list, &::freeaddrinfo);
  for (auto* ai = list; ai != nullptr; ai = ai->ai_next) {
    // ai_addrlen is a size_t in Winsock, a socklen_t in glibc.
    auto e = endpoint::from_sockaddr(ai->ai_addr, static_cast<socklen_t>(ai->ai_addrlen));
    if (e && std::find(out.begin(), out.end(), *e) == out.end()) out.push_back(*e);
  }
  if (out.empty()) return errc::no_addresses;
  return out;
}

}  // namespace sockit
