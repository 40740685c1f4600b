// TCP connect, listen and accept.
#include "sockit/tcp.hpp"

#include <cerrno>
#include <chrono>

#include "detail/net.hpp"
#include "detail/bound_socket.hpp"
#include "detail/syscall.hpp"
#include "sockit/error.hpp"
#include "sockit/io.hpp"
#include "sockit/liveness.hpp"
#include "sockit/options.hpp"

namespace sockit {

std::error_code connect_start(const socket& s, const endpoint& to) {
  auto ec = detail::check_ec([&] { return ::connect(detail::native(s.native_handle()), to.data(), to.size()); });
  // Winsock says WSAEWOULDBLOCK where Linux says EINPROGRESS: callers test the one value.
  if (detail::is_windows && ec == errc::would_block) return std::make_error_code(std::errc::operation_in_progress);
  return ec;
}

std::error_code connect_finish(const socket& s) { return pending_error(s); }

namespace {

// Waits for a pending handshake within `by`, in slices when `stop` is given so that it is asked
// at least every 200 ms.
std::error_code wait_connected(const socket& s, deadline by, const std::function<bool()>& stop) {
  if (!stop) return wait_writable(s.native_handle(), by);
  for (;;) {
    if (stop()) return std::make_error_code(std::errc::operation_canceled);
    auto slice = deadline::after(std::chrono::milliseconds(200));
    auto ec = wait_writable(s.native_handle(), by.is_never() || slice.when() < by.when() ? slice : by);
    if (ec != std::errc::timed_out || by.expired()) return ec;
  }
}

// One address. A failed `prepare` sets `prepare_failed`: its error is not the address's.
result<socket> connect_one(const endpoint& to, const connect_options& o, bool& prepare_failed) {
  auto s = socket::open(to.family(), SOCK_STREAM | SOCK_NONBLOCK);
  if (!s) return s.error();
  if (o.prepare) {
    if (auto ec = o.prepare(*s)) {
      prepare_failed = true;
      return ec;
    }
  }
  if (auto started = connect_start(*s, to)) {
    if (started != std::errc::operation_in_progress) return started;
    if (auto ec = wait_connected(*s, o.by, o.stop)) return ec;
    if (auto ec = connect_finish(*s)) return ec;
  }
  if (!o.nonblocking) {
    if (auto ec = set_nonblocking(*s, false)) return ec;
  }
  return std::move(*s);
}

}  // namespace

result<socket> tcp_connect(std::span<const endpoint> candidates, const connect_options& opts) {
  std::error_code last = make_error_code(errc::no_addresses);
  for (const auto& ep : candidates) {
    bool prepare_failed = false;
    auto s = connect_one(ep, opts, prepare_failed);
    if (s) {
      if (opts.connected_to) *opts.connected_to = ep;
      return s;
    }
    // A failed prepare or Ctrl+C ends the whole call; an address's own failure moves on.
    if (prepare_failed || s.error() == std::errc::operation_canceled) return s.error();
    last = s.error();
    if (opts.by.expired()) break;
  }
  return last;
}

result<socket> tcp_connect(const endpoint& to, deadline by, bool nonblocking, const socket_prepare& prepare) {
  connect_options o;
  o.by = by;
  o.nonblocking = nonblocking;
  o.prepare = prepare;
  bool prepare_failed = false;
  return connect_one(to, o, prepare_failed);
}

result<socket> tcp_connect(std::span<const endpoint> candidates, deadline by, endpoint* connected_to,
                           const socket_prepare& prepare) {
  connect_options o;
  o.by = by;
  o.connected_to = connected_to;
  o.prepare = prepare;
  return tcp_connect(candidates, o);
}

result<socket> tcp_connect(std::string_view host, std::uint16_t port, ip_family family, deadline by,
                           endpoint* connected_to, const socket_prepare& prepare) {
  resolve_options o;
  o.family = family;
  auto eps = resolve(host, port, o);
  if (!eps) return eps.error();
  return tcp_connect(*eps, by, connected_to, prepare);
}

result<socket> tcp_listen(const endpoint& at, const listen_options& opts) {
  auto s = detail::open_bound(
      at, {SOCK_STREAM, opts.nonblocking, opts.reuse_address, opts.reuse_port, opts.v6_only, &opts.prepare});
  if (!s) return s.error();
  if (auto ec = detail::check_ec([&] { return ::listen(detail::native(s->native_handle()), opts.backlog); })) return ec;
  return std::move(*s);
}

result<socket> tcp_accept(const socket& listener, const accept_options& opts) {
  for (;;) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
#ifdef _WIN32
    auto fd = detail::check_res([&] {
      return static_cast<int>(::accept(detail::native(listener.native_handle()), reinterpret_cast<sockaddr*>(&ss), &len));
    });
    if (fd) {
      socket s(*fd);
      // An accepted Winsock socket inherits the listener's mode; set the one asked for.
      if (auto ec = detail::set_native_nonblocking(*fd, opts.nonblocking)) return ec;
#else
    auto fd = detail::check_res([&] {
      return ::accept4(listener.native_handle(), reinterpret_cast<sockaddr*>(&ss), &len,
                       SOCK_CLOEXEC | (opts.nonblocking ? SOCK_NONBLOCK : 0));
    });
    if (fd) {
      socket s(*fd);
#endif
      if (opts.peer) {
        auto e = endpoint::from_sockaddr(reinterpret_cast<sockaddr*>(&ss), len);
        if (e) *opts.peer = *e;
      }
      return s;
    }
    // accept(2): these are the new connection's network errors; the listener is fine, try again.
    auto ec = fd.error();
#ifdef _WIN32
    // The connection was reset or aborted before it was taken off the queue: take the next.
    if (ec == std::errc::connection_reset || ec == std::errc::connection_aborted) continue;
    return ec;
#else
    // Categories compared by address: at EMFILE a sanitized run cannot check a member call (UBSan's
    // vptr check needs a pipe) and would report a false error.
    if (&ec.category() != &std::system_category()) return ec;
    switch (ec.value()) {
      case ECONNABORTED: case EPROTO: case ENETDOWN: case EHOSTDOWN: case ENONET: case EHOSTUNREACH:
      case ENETUNREACH:
        continue;
      case ENOPROTOOPT: case EOPNOTSUPP: {
        // Also what a socket that cannot accept at all says (a UDP socket): retrying that would
        // spin for ever, so only a socket that really listens tries again.
        if (detail::is_listening(listener.native_handle())) continue;
        return ec;
      }
      default:
        return ec;
    }
#endif
  }
}

}  // namespace sockit
