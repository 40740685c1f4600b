// UDP sockets.
#include "sockit/udp.hpp"

#include <algorithm>

#include "detail/net.hpp"
#include "detail/bound_socket.hpp"
#include "detail/syscall.hpp"
#include "sockit/error.hpp"
#include "sockit/io.hpp"
#include "sockit/wait.hpp"

namespace sockit {

result<socket> udp_open(int family, bool nonblocking) {
  return socket::open(family, SOCK_DGRAM | (nonblocking ? SOCK_NONBLOCK : 0));
}

result<socket> udp_bind(const endpoint& at, const udp_bind_options& opts) {
  return detail::open_bound(
      at, {SOCK_DGRAM, opts.nonblocking, opts.reuse_address, opts.reuse_port, opts.v6_only, &opts.prepare});
}

std::error_code udp_connect(const socket& s, const endpoint& to) {
  return detail::check_ec([&] { return ::connect(s.native_handle(), to.data(), to.size()); });
}

result<socket> udp_connect(const endpoint& to, const socket_prepare& prepare) {
  auto s = udp_open(to.family());
  if (!s) return s.error();
  if (prepare) {
    if (auto ec = prepare(*s)) return ec;
  }
  if (auto ec = udp_connect(*s, to)) return ec;
  return std::move(*s);
}

#ifdef _WIN32
result<std::size_t> try_send_to(const socket& s, std::span<const std::byte> data, const endpoint& to) {
  if (auto ec = detail::would_wait(s.native_handle(), wait_entry::writable)) return ec;
  return detail::check_size([&] {
    return ::sendto(detail::native(s.native_handle()), reinterpret_cast<const char*>(data.data()),
                    detail::io_len(data.size()), 0,
                    to.empty() ? nullptr : to.data(), to.empty() ? 0 : to.size());
  });
}

result<datagram> try_recv_from(const socket& s, std::span<std::byte> buffer) {
  if (auto ec = detail::would_wait(s.native_handle(), wait_entry::readable)) return ec;
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  datagram d;
  int n = ::recvfrom(detail::native(s.native_handle()), reinterpret_cast<char*>(buffer.data()),
                     detail::io_len(buffer.size()), 0,
                     reinterpret_cast<sockaddr*>(&ss), &len);
  if (n >= 0) {
    d.wire_size = d.size = static_cast<std::size_t>(n);
  } else if (detail::last_socket_error() == WSAEMSGSIZE) {
    // Truncated. Winsock fills the buffer but does not say how long the datagram was: report
    // one byte more than fitted, so the caller still sees wire_size > size.
    d.size = buffer.size();
    d.wire_size = buffer.size() + 1;
  } else {
    return detail::syscall_error();
  }
  if (len > 0) {
    if (auto e = endpoint::from_sockaddr(reinterpret_cast<sockaddr*>(&ss), len)) d.from = *e;
  }
  return d;
}
#else
result<std::size_t> try_send_to(const socket& s, std::span<const std::byte> data, const endpoint& to) {
  return detail::check_size([&] {
    return ::sendto(s.native_handle(), data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT,
                    to.empty() ? nullptr : to.data(), to.empty() ? 0 : to.size());
  });
}

result<datagram> try_recv_from(const socket& s, std::span<std::byte> buffer) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  // MSG_TRUNC makes recvfrom return the datagram's real length, so truncation is visible.
  auto n = detail::check_size([&] {
    return ::recvfrom(s.native_handle(), buffer.data(), buffer.size(), MSG_DONTWAIT | MSG_TRUNC,
                      reinterpret_cast<sockaddr*>(&ss), &len);
  });
  if (!n) return n.error();
  datagram d;
  d.wire_size = *n;
  d.size = std::min(d.wire_size, buffer.size());
  if (len > 0) {
    if (auto e = endpoint::from_sockaddr(reinterpret_cast<sockaddr*>(&ss), len)) d.from = *e;
  }
  return d;
}

#endif

result<std::size_t> send_to(const socket& s, std::span<const std::byte> data, const endpoint& to, deadline by) {
  for (;;) {
    auto n = try_send_to(s, data, to);
    if (n || n.error() != errc::would_block) return n;
    if (auto ec = wait_writable(s.native_handle(), by)) return ec;
  }
}

result<datagram> recv_from(const socket& s, std::span<std::byte> buffer, deadline by) {
  for (;;) {
    auto d = try_recv_from(s, buffer);
    if (d || d.error() != errc::would_block) return d;
    if (auto ec = wait_readable(s.native_handle(), by)) return ec;
  }
}

}  // namespace sockit
