// Socket options both platforms share: thin setters, and getters that read back what the kernel
// set. The platform forms are in options_linux.cpp and options_windows.cpp.
#include "sockit/options.hpp"

#include <algorithm>
#include <limits>

#include "detail/net.hpp"
#include "detail/sockopt.hpp"
#include "detail/syscall.hpp"
#include "sockit/error.hpp"

namespace sockit {
namespace {

using detail::get_flag;
using detail::get_opt;
using detail::is_v6;
using detail::set_flag;
using detail::set_opt;

}  // namespace

std::error_code set_tcp_nodelay(const socket& s, bool on) { return set_flag(s, IPPROTO_TCP, TCP_NODELAY, on); }
result<bool> tcp_nodelay(const socket& s) { return get_flag(s, IPPROTO_TCP, TCP_NODELAY); }

// Read back the same way on both platforms (Windows 10 reads its timings with these options).
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
std::error_code set_broadcast(const socket& s, bool on) { return set_flag(s, SOL_SOCKET, SO_BROADCAST, on); }
result<bool> broadcast(const socket& s) { return get_flag(s, SOL_SOCKET, SO_BROADCAST); }

std::error_code set_v6_only(const socket& s, bool on) { return set_flag(s, IPPROTO_IPV6, IPV6_V6ONLY, on); }
result<bool> v6_only(const socket& s) { return get_flag(s, IPPROTO_IPV6, IPV6_V6ONLY); }

std::error_code set_ttl(const socket& s, int hops) {
  auto v6 = is_v6(s);
  if (!v6) return v6.error();
  return *v6 ? set_opt(s, IPPROTO_IPV6, IPV6_UNICAST_HOPS, hops) : set_opt(s, IPPROTO_IP, IP_TTL, hops);
}
result<int> ttl(const socket& s) {
  auto v6 = is_v6(s);
  if (!v6) return v6.error();
  return *v6 ? get_opt<int>(s, IPPROTO_IPV6, IPV6_UNICAST_HOPS) : get_opt<int>(s, IPPROTO_IP, IP_TTL);
}

std::error_code set_tos(const socket& s, int tos) {
  auto v6 = is_v6(s);
  if (!v6) return v6.error();
  return *v6 ? set_opt(s, IPPROTO_IPV6, IPV6_TCLASS, tos) : set_opt(s, IPPROTO_IP, IP_TOS, tos);
}
result<int> tos(const socket& s) {
  auto v6 = is_v6(s);
  if (!v6) return v6.error();
  return *v6 ? get_opt<int>(s, IPPROTO_IPV6, IPV6_TCLASS) : get_opt<int>(s, IPPROTO_IP, IP_TOS);
}

std::error_code set_tcp_max_segment(const socket& s, int bytes) { return set_opt(s, IPPROTO_TCP, TCP_MAXSEG, bytes); }
result<int> tcp_max_segment(const socket& s) { return get_opt<int>(s, IPPROTO_TCP, TCP_MAXSEG); }

std::error_code set_linger(const socket& s, std::optional<seconds> t) {
  ::linger l{};
  l.l_onoff = t.has_value() ? 1 : 0;
  // l_linger is an int on Linux, a u_short on Windows: clamp to what the field holds.
  using field = decltype(l.l_linger);
  l.l_linger = t ? static_cast<field>(std::min<long long>(t->count(), std::numeric_limits<field>::max())) : 0;
  return set_opt(s, SOL_SOCKET, SO_LINGER, l);
}

result<std::optional<seconds>> linger(const socket& s) {
  auto l = get_opt<::linger>(s, SOL_SOCKET, SO_LINGER);
  if (!l) return l.error();
  if (!l->l_onoff) return std::optional<seconds>{};
  return std::optional<seconds>(seconds(l->l_linger));
}

}  // namespace sockit
