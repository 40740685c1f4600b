// Looping, deadline-bounded blocking I/O.
#include "sockit/io.hpp"

#include <cerrno>
#include <poll.h>
#include <sys/socket.h>

#include "sockit/error.hpp"

namespace sockit {
namespace {

std::error_code wait_for(int fd, short events, deadline by) {
  pollfd p{fd, events, 0};
  for (;;) {
    int rc = ::poll(&p, 1, by.poll_timeout_ms());
    if (rc > 0) return {};  // ready, or in error: the next call says which
    if (rc == 0) return std::make_error_code(std::errc::timed_out);
    if (errno != EINTR) return last_error();
  }
}

bool would_block(int err) { return err == EAGAIN || err == EWOULDBLOCK; }

}  // namespace

std::error_code wait_readable(int fd, deadline by) { return wait_for(fd, POLLIN, by); }
std::error_code wait_writable(int fd, deadline by) { return wait_for(fd, POLLOUT, by); }

// MSG_DONTWAIT on every call, blocking socket or not, so the deadline is always ours to keep.
result<std::size_t> send_some(const socket& s, std::span<const std::byte> data, deadline by) {
  for (;;) {
    ssize_t n = ::send(s.native_handle(), data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno == EINTR) continue;
    if (!would_block(errno)) return last_error();
    if (auto ec = wait_writable(s.native_handle(), by)) return ec;
  }
}

result<std::size_t> recv_some(const socket& s, std::span<std::byte> data, deadline by) {
  for (;;) {
    ssize_t n = ::recv(s.native_handle(), data.data(), data.size(), MSG_DONTWAIT);
    if (n > 0 || (n == 0 && data.empty())) return static_cast<std::size_t>(n);
    if (n == 0) return make_error_code(errc::end_of_stream);
    if (errno == EINTR) continue;
    if (!would_block(errno)) return last_error();
    if (auto ec = wait_readable(s.native_handle(), by)) return ec;
  }
}

transfer send_all(const socket& s, std::span<const std::byte> data, deadline by) {
  transfer t;
  while (t.bytes < data.size()) {
    auto n = send_some(s, data.subspan(t.bytes), by);
    if (!n) {
      t.ec = n.error();
      break;
    }
    t.bytes += *n;
  }
  return t;
}

transfer send_all(const socket& s, std::string_view text, deadline by) { return send_all(s, as_bytes(text), by); }

transfer recv_exact(const socket& s, std::span<std::byte> data, deadline by) {
  transfer t;
  while (t.bytes < data.size()) {
    auto n = recv_some(s, data.subspan(t.bytes), by);
    if (!n) {
      t.ec = n.error();
      break;
    }
    t.bytes += *n;
  }
  return t;
}

}  // namespace sockit
