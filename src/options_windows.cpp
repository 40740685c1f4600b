// Socket options in their Winsock forms: timeouts in DWORD milliseconds (the chapter's
// SetSocketTimeoutPortable), FIONBIO, keepalive timings through SIO_KEEPALIVE_VALS. What Windows
// lacks (TCP_CORK, SO_REUSEPORT, SO_BINDTODEVICE, path MTU control, IP_RECVERR, TCP_USER_TIMEOUT,
// IP_BIND_ADDRESS_NO_PORT) is errc::not_supported, never a silent no-op.
#include "sockit/options.hpp"

#include <mstcpip.h>

#include "detail/net.hpp"
#include "detail/sockopt.hpp"
#include "detail/syscall.hpp"
#include "sockit/error.hpp"


namespace sockit::detail {

result<bool> is_v6(const socket& s) {
  auto info = get_opt<WSAPROTOCOL_INFOW>(s, SOL_SOCKET, SO_PROTOCOL_INFOW);
  if (!info) return info.error();
  return info->iAddressFamily == AF_INET6;
}

}  // namespace sockit::detail

namespace sockit {
namespace {

using detail::get_flag;
using detail::get_opt;
using detail::set_flag;
using detail::set_opt;

std::error_code unsupported() { return make_error_code(errc::not_supported); }

std::error_code set_timeout(const socket& s, int name, microseconds t) {
  // Round up: a timeout under a millisecond must not become 0, which Winsock reads as "none".
  auto ms = (t.count() + 999) / 1000;
  DWORD v = ms > 0x7fffffff ? 0x7fffffff : static_cast<DWORD>(ms);
  return set_opt(s, SOL_SOCKET, name, v);
}

result<microseconds> get_timeout(const socket& s, int name) {
  auto v = get_opt<DWORD>(s, SOL_SOCKET, name);
  if (!v) return v.error();
  return microseconds(static_cast<long long>(*v) * 1000);
}

}  // namespace

std::error_code set_nonblocking(const socket& s, bool on) { return detail::set_native_nonblocking(s.native_handle(), on); }
// Winsock cannot say whether a socket is in non-blocking mode.
result<bool> nonblocking(const socket&) { return unsupported(); }

std::error_code set_recv_timeout(const socket& s, microseconds t) { return set_timeout(s, SO_RCVTIMEO, t); }
result<microseconds> recv_timeout(const socket& s) { return get_timeout(s, SO_RCVTIMEO); }
std::error_code set_send_timeout(const socket& s, microseconds t) { return set_timeout(s, SO_SNDTIMEO, t); }
result<microseconds> send_timeout(const socket& s) { return get_timeout(s, SO_SNDTIMEO); }

std::error_code set_tcp_cork(const socket&, bool) { return unsupported(); }
result<bool> tcp_cork(const socket&) { return unsupported(); }

std::error_code set_keepalive(const socket& s, const keepalive_config& k) {
  if (auto ec = set_flag(s, SOL_SOCKET, SO_KEEPALIVE, k.enabled)) return ec;
  if (!k.enabled) return {};
  tcp_keepalive v{};
  v.onoff = 1;
  v.keepalivetime = static_cast<ULONG>(k.idle.count() * 1000);
  v.keepaliveinterval = static_cast<ULONG>(k.interval.count() * 1000);
  DWORD returned = 0;
  if (::WSAIoctl(detail::native(s.native_handle()), SIO_KEEPALIVE_VALS, &v, sizeof v, nullptr, 0, &returned, nullptr,
                 nullptr) != 0) {
    return detail::syscall_error();
  }
  // The probe count has no SIO_KEEPALIVE_VALS field; Windows 10 takes it as TCP_KEEPCNT.
  return set_opt(s, IPPROTO_TCP, TCP_KEEPCNT, k.count);
}

std::error_code set_reuse_port(const socket&, bool) { return unsupported(); }
result<bool> reuse_port(const socket&) { return unsupported(); }
std::error_code set_bind_device(const socket&, std::string_view) { return unsupported(); }
result<std::string> bind_device(const socket&) { return unsupported(); }
std::error_code set_dont_fragment(const socket&, bool) { return unsupported(); }
result<bool> dont_fragment(const socket&) { return unsupported(); }
std::error_code set_recv_errors(const socket&, bool) { return unsupported(); }
result<int> path_mtu(const socket&) { return unsupported(); }
std::error_code set_tcp_user_timeout(const socket&, milliseconds) { return unsupported(); }
result<milliseconds> tcp_user_timeout(const socket&) { return unsupported(); }
std::error_code set_bind_address_no_port(const socket&, bool) { return unsupported(); }
result<bool> bind_address_no_port(const socket&) { return unsupported(); }

}  // namespace sockit
