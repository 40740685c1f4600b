// UDP sockets.
#include "sockit/udp.hpp"

#include <cerrno>
#include <netinet/in.h>
#include <sys/socket.h>

#include "detail/bound_socket.hpp"
#include "sockit/error.hpp"
#include "sockit/io.hpp"
#include "sockit/options.hpp"

namespace sockit {

result<socket> udp_open(int family, bool nonblocking) {
  return socket::open(family, SOCK_DGRAM | (nonblocking ? SOCK_NONBLOCK : 0));
}

result<socket> udp_bind(const endpoint& at, const udp_bind_options& opts) {
  return detail::open_bound(at, {SOCK_DGRAM, opts.nonblocking, opts.reuse_address, opts.reuse_port, opts.v6_only});
}

result<socket> udp_connect(const endpoint& to) {
  auto s = udp_open(to.family());
  if (!s) return s.error();
  if (::connect(s->native_handle(), to.data(), to.size()) != 0) return last_error();
  return std::move(*s);
}

result<std::size_t> send_to(const socket& s, std::span<const std::byte> data, const endpoint& to, deadline by) {
  for (;;) {
    ssize_t n = ::sendto(s.native_handle(), data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT,
                         to.empty() ? nullptr : to.data(), to.empty() ? 0 : to.size());
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) return last_error();
    if (auto ec = wait_writable(s.native_handle(), by)) return ec;
  }
}

result<datagram> recv_from(const socket& s, std::span<std::byte> buffer, deadline by) {
  for (;;) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    // MSG_TRUNC makes recvfrom return the datagram's real length, so truncation is visible.
    ssize_t n = ::recvfrom(s.native_handle(), buffer.data(), buffer.size(), MSG_DONTWAIT | MSG_TRUNC,
                           reinterpret_cast<sockaddr*>(&ss), &len);
    if (n >= 0) {
      datagram d;
      d.wire_size = static_cast<std::size_t>(n);
      d.size = std::min(d.wire_size, buffer.size());
      if (len > 0) {
        if (auto e = endpoint::from_sockaddr(reinterpret_cast<sockaddr*>(&ss), len)) d.from = *e;
      }
      return d;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) return last_error();
    if (auto ec = wait_readable(s.native_handle(), by)) return ec;
  }
}

}  // namespace sockit
