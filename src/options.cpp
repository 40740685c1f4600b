// Socket options: thin setters, and getters that read back what the kernel set.
#include "sockit/options.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "detail/sockopt.hpp"
#include "detail/syscall.hpp"
#include "sockit/error.hpp"

namespace sockit {
namespace {

using detail::get_flag;
using detail::get_opt;
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

std::error_code set_tcp_nodelay(const socket& s, bool on) { return set_flag(s, IPPROTO_TCP, TCP_NODELAY, on); }
result<bool> tcp_nodelay(const socket& s) { return get_flag(s, IPPROTO_TCP, TCP_NODELAY); }
std::error_code set_tcp_cork(const socket& s, bool on) { return set_flag(s, IPPROTO_TCP, TCP_CORK, on); }
result<bool> tcp_cork(const socket& s) { return get_flag(s, IPPROTO_TCP, TCP_CORK); }

std::error_code set_keepalive(const socket& s, const keepalive_config& k) {
  if (auto ec = set_flag(s, SOL_SOCKET, SO_KEEPALIVE, k.enabled)) return ec;
  if (!k.enabled) return {};
  if (auto ec = set_opt(s, IPPROTO_TCP, TCP_KEEPIDLE, static_cast<int>(k.idle.count()))) return ec;
  if (auto ec = set_opt(s, IPPROTO_TCP, TCP_KEEPINTVL, static_cast<int>(k.interval.count()))) return ec;
  return set_opt(s, IPPROTO_TCP, TCP_KEEPCNT, k.count);
}

result<keepalive_config> keepalive(const socket& s) {
  keepalive_config k;
  auto on = get_flag(s, SOL_SOCKET, SO_KEEPALIVE);
  auto idle = get_opt<int>(s, IPPROTO_TCP, TCP_KEEPIDLE);
  auto intvl = get_opt<int>(s, IPPROTO_TCP, TCP_KEEPINTVL);
  auto cnt = get_opt<int>(s, IPPROTO_TCP, TCP_KEEPCNT);
  if (!on) return on.error();
  if (!idle) return idle.error();
  if (!intvl) return intvl.error();
  if (!cnt) return cnt.error();
  k.enabled = *on;
  k.idle = seconds(*idle);
  k.interval = seconds(*intvl);
  k.count = *cnt;
  return k;
}

std::error_code set_send_buffer_size(const socket& s, int bytes) { return set_opt(s, SOL_SOCKET, SO_SNDBUF, bytes); }
result<int> send_buffer_size(const socket& s) { return get_opt<int>(s, SOL_SOCKET, SO_SNDBUF); }
std::error_code set_recv_buffer_size(const socket& s, int bytes) { return set_opt(s, SOL_SOCKET, SO_RCVBUF, bytes); }
result<int> recv_buffer_size(const socket& s) { return get_opt<int>(s, SOL_SOCKET, SO_RCVBUF); }

std::error_code set_reuse_address(const socket& s, bool on) { return set_flag(s, SOL_SOCKET, SO_REUSEADDR, on); }
result<bool> reuse_address(const socket& s) { return get_flag(s, SOL_SOCKET, SO_REUSEADDR); }
std::error_code set_reuse_port(const socket& s, bool on) { return set_flag(s, SOL_SOCKET, SO_REUSEPORT, on); }
result<bool> reuse_port(const socket& s) { return get_flag(s, SOL_SOCKET, SO_REUSEPORT); }
std::error_code set_broadcast(const socket& s, bool on) { return set_flag(s, SOL_SOCKET, SO_BROADCAST, on); }
result<bool> broadcast(const socket& s) { return get_flag(s, SOL_SOCKET, SO_BROADCAST); }

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

std::error_code set_v6_only(const socket& s, bool on) { return set_flag(s, IPPROTO_IPV6, IPV6_V6ONLY, on); }
result<bool> v6_only(const socket& s) { return get_flag(s, IPPROTO_IPV6, IPV6_V6ONLY); }

std::error_code set_linger(const socket& s, std::optional<seconds> t) {
  ::linger l{};
  l.l_onoff = t.has_value() ? 1 : 0;
  l.l_linger = t ? static_cast<int>(t->count()) : 0;
  return set_opt(s, SOL_SOCKET, SO_LINGER, l);
}

result<std::optional<seconds>> linger(const socket& s) {
  auto l = get_opt<::linger>(s, SOL_SOCKET, SO_LINGER);
  if (!l) return l.error();
  if (!l->l_onoff) return std::optional<seconds>{};
  return std::optional<seconds>(seconds(l->l_linger));
}

}  // namespace sockit
