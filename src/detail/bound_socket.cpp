// Open + options + bind, shared by tcp_listen and udp_bind.
#include "detail/bound_socket.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

#include "sockit/error.hpp"
#include "sockit/options.hpp"

namespace sockit::detail {

result<socket> open_bound(const endpoint& at, const bind_options& o) {
  auto s = socket::open(at.family(), o.type | (o.nonblocking ? SOCK_NONBLOCK : 0));
  if (!s) return s.error();
  if (o.reuse_address) {
    if (auto ec = set_reuse_address(*s, true)) return ec;
  }
  if (o.reuse_port) {
    if (auto ec = set_reuse_port(*s, true)) return ec;
  }
  if (at.is_v6()) {
    int v6only = o.v6_only ? 1 : 0;
    if (::setsockopt(s->native_handle(), IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof v6only) != 0) {
      return last_error();
    }
  }
  if (::bind(s->native_handle(), at.data(), at.size()) != 0) return last_error();
  return std::move(*s);
}

}  // namespace sockit::detail
