// Open + options + bind, shared by tcp_listen and udp_bind.
#include "detail/bound_socket.hpp"

#include "detail/net.hpp"
#include "detail/sockopt.hpp"
#include "detail/syscall.hpp"

namespace sockit::detail {

result<socket> open_bound(const endpoint& at, const bind_options& o) {
  auto s = socket::open(at.family(), o.type | (o.nonblocking ? SOCK_NONBLOCK : 0));
  if (!s) return s.error();
  if (o.reuse_address) {
#ifdef _WIN32
    // Winsock's SO_REUSEADDR lets another socket take a port that is in use (port stealing);
    // what Linux's SO_REUSEADDR gives, a restart past TIME_WAIT, Windows allows by default.
    // The safe equivalent is to claim the port exclusively.
    if (auto ec = set_flag(*s, SOL_SOCKET, SO_EXCLUSIVEADDRUSE, true)) return ec;
#else
    if (auto ec = set_flag(*s, SOL_SOCKET, SO_REUSEADDR, true)) return ec;
#endif
  }
  if (o.reuse_port) {
#ifdef _WIN32
    return make_error_code(errc::not_supported);  // Winsock has no SO_REUSEPORT
#else
    if (auto ec = set_flag(*s, SOL_SOCKET, SO_REUSEPORT, true)) return ec;
#endif
  }
  if (at.is_v6()) {
    if (auto ec = set_flag(*s, IPPROTO_IPV6, IPV6_V6ONLY, o.v6_only)) return ec;
  }
  if (o.prepare && *o.prepare) {
    if (auto ec = (*o.prepare)(*s)) return ec;
  }
  if (auto ec = bind(*s, at)) return ec;
  return std::move(*s);
}

}  // namespace sockit::detail
