// Socket options whose Linux form has no Winsock twin (timeouts as timeval, fcntl's O_NONBLOCK,
// TCP_CORK, SO_REUSEPORT, SO_BINDTODEVICE, path MTU discovery...); options_windows.cpp has the
// Windows forms, options.cpp the options both share.
#include "sockit/options.hpp"

#include <algorithm>
#include <cstring>

#include <net/if.h>

#include "detail/net.hpp"
#include "detail/sockopt.hpp"
#include "detail/syscall.hpp"
#include "sockit/error.hpp"

namespace sockit::detail {

// The socket's family (SO_DOMAIN): which of the IPv4 or IPv6 option pair applies.
result<bool> is_v6(const socket& s) {
  auto d = get_opt<int>(s, SOL_SOCKET, SO_DOMAIN);
  if (!d) return d.error();
  return *d == AF_INET6;
}

}  // namespace sockit::detail

namespace sockit {
namespace {

using detail::get_flag;
using detail::get_opt;
using detail::is_v6;
using detail::set_flag;
using detail::set_opt;

std::error_code set_timeout(const socket& s, int name, microseconds t) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(t.count() / 1000000);
  tv.tv_usec = static_cast<suseconds_t>(t.count() % 1000000);
  return set_opt(s, SOL_SOCKET, name, tv);
}

result<microseconds> get_timeout(const socket& s, int name) {
  auto tv = get_opt<timeval>(s, SOL_SOCKET, name);
  if (!tv) return tv.error();
  return microseconds(static_cast<long long>(tv->tv_sec) * 1000000 + tv->tv_usec);
}

}  // namespace

std::error_code set_tcp_cork(const socket& s, bool on) { return set_flag(s, IPPROTO_TCP, TCP_CORK, on); }
result<bool> tcp_cork(const socket& s) { return get_flag(s, IPPROTO_TCP, TCP_CORK); }

std::error_code set_reuse_port(const socket& s, bool on) { return set_flag(s, SOL_SOCKET, SO_REUSEPORT, on); }
result<bool> reuse_port(const socket& s) { return get_flag(s, SOL_SOCKET, SO_REUSEPORT); }

std::error_code set_nonblocking(const socket& s, bool on) {
  auto flags = detail::check_res([&] { return ::fcntl(s.native_handle(), F_GETFL); });
  if (!flags) return flags.error();
  int want = on ? (*flags | O_NONBLOCK) : (*flags & ~O_NONBLOCK);
  if (want == *flags) return {};
  return detail::check_ec([&] { return ::fcntl(s.native_handle(), F_SETFL, want); });
}

result<bool> nonblocking(const socket& s) {
  auto flags = detail::check_res([&] { return ::fcntl(s.native_handle(), F_GETFL); });
  if (!flags) return flags.error();
  return (*flags & O_NONBLOCK) != 0;
}

std::error_code set_recv_timeout(const socket& s, microseconds t) { return set_timeout(s, SO_RCVTIMEO, t); }
result<microseconds> recv_timeout(const socket& s) { return get_timeout(s, SO_RCVTIMEO); }
std::error_code set_send_timeout(const socket& s, microseconds t) { return set_timeout(s, SO_SNDTIMEO, t); }
result<microseconds> send_timeout(const socket& s) { return get_timeout(s, SO_SNDTIMEO); }

std::error_code set_keepalive(const socket& s, const keepalive_config& k) {
  if (auto ec = set_flag(s, SOL_SOCKET, SO_KEEPALIVE, k.enabled)) return ec;
  if (!k.enabled) return {};
  if (auto ec = set_opt(s, IPPROTO_TCP, TCP_KEEPIDLE, static_cast<int>(k.idle.count()))) return ec;
  if (auto ec = set_opt(s, IPPROTO_TCP, TCP_KEEPINTVL, static_cast<int>(k.interval.count()))) return ec;
  return set_opt(s, IPPROTO_TCP, TCP_KEEPCNT, k.count);
}

std::error_code set_bind_device(const socket& s, std::string_view name) {
  // The kernel would cut a longer name to 15 bytes and bind whatever interface that names.
  if (name.size() >= IFNAMSIZ || name.find('\0') != std::string_view::npos) {
    return std::make_error_code(std::errc::invalid_argument);
  }
  char buf[IFNAMSIZ] = {};
  std::memcpy(buf, name.data(), name.size());
  return detail::check_ec([&] {
    return ::setsockopt(s.native_handle(), SOL_SOCKET, SO_BINDTODEVICE, buf, static_cast<socklen_t>(name.size()));
  });
}

result<std::string> bind_device(const socket& s) {
  char buf[IFNAMSIZ] = {};
  socklen_t len = sizeof buf;
  if (auto ec = detail::check_ec([&] { return ::getsockopt(s.native_handle(), SOL_SOCKET, SO_BINDTODEVICE, buf, &len); })) {
    return ec;
  }
  return std::string(buf, ::strnlen(buf, std::min<std::size_t>(len, sizeof buf)));
}

std::error_code set_dont_fragment(const socket& s, bool on) {
  auto v6 = is_v6(s);
  if (!v6) return v6.error();
  if (*v6) return set_opt(s, IPPROTO_IPV6, IPV6_MTU_DISCOVER, on ? IPV6_PMTUDISC_DO : IPV6_PMTUDISC_WANT);
  return set_opt(s, IPPROTO_IP, IP_MTU_DISCOVER, on ? IP_PMTUDISC_DO : IP_PMTUDISC_WANT);
}

result<bool> dont_fragment(const socket& s) {
  auto v6 = is_v6(s);
  if (!v6) return v6.error();
  auto mode = *v6 ? get_opt<int>(s, IPPROTO_IPV6, IPV6_MTU_DISCOVER) : get_opt<int>(s, IPPROTO_IP, IP_MTU_DISCOVER);
  if (!mode) return mode.error();
  // IP_PMTUDISC_PROBE and _INTERFACE/_OMIT never fragment either.
  return *mode != IP_PMTUDISC_DONT && *mode != IP_PMTUDISC_WANT;
}

std::error_code set_recv_errors(const socket& s, bool on) {
  auto v6 = is_v6(s);
  if (!v6) return v6.error();
  return *v6 ? set_opt(s, IPPROTO_IPV6, IPV6_RECVERR, on ? 1 : 0) : set_opt(s, IPPROTO_IP, IP_RECVERR, on ? 1 : 0);
}

result<int> path_mtu(const socket& s) {
  auto v6 = is_v6(s);
  if (!v6) return v6.error();
  return *v6 ? get_opt<int>(s, IPPROTO_IPV6, IPV6_MTU) : get_opt<int>(s, IPPROTO_IP, IP_MTU);
}

std::error_code set_tcp_user_timeout(const socket& s, milliseconds t) {
  return set_opt(s, IPPROTO_TCP, TCP_USER_TIMEOUT, static_cast<unsigned>(t.count()));
}
result<milliseconds> tcp_user_timeout(const socket& s) {
  auto v = get_opt<unsigned>(s, IPPROTO_TCP, TCP_USER_TIMEOUT);
  if (!v) return v.error();
  return milliseconds(*v);
}

std::error_code set_bind_address_no_port(const socket& s, bool on) {
  return set_flag(s, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, on);
}
result<bool> bind_address_no_port(const socket& s) { return get_flag(s, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT); }

}  // namespace sockit
