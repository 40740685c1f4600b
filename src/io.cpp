// Looping, deadline-bounded blocking I/O, and the one-shot non-blocking calls it is built on.
#include "sockit/io.hpp"

#include <algorithm>
#ifdef _WIN32
#include <cerrno>
#include <io.h>
#endif

#include "detail/net.hpp"
#include "detail/syscall.hpp"
#include "sockit/error.hpp"
#include "sockit/wait.hpp"

namespace sockit {
namespace {

std::error_code wait_for(int fd, unsigned want, deadline by) {
  // wait_any skips a negative entry; here it is the only one, so waiting would only time out.
  if (fd < 0) return std::make_error_code(std::errc::bad_file_descriptor);
  wait_entry e{fd, want, 0};
  auto n = wait_any({&e, 1}, by);
  if (!n) return n.error();
  if (*n == 0) return std::make_error_code(std::errc::timed_out);
  return {};  // ready, or in error: the next call says which
}

// What recv's 0 means: a stream's end, or on a datagram socket an empty datagram (asked only on
// that rare path).
result<std::size_t> zero_received(const socket& s) {
  int type = 0;
  socklen_t len = sizeof type;
  if (::getsockopt(detail::native(s.native_handle()), SOL_SOCKET, SO_TYPE, reinterpret_cast<char*>(&type), &len) == 0 &&
      type == SOCK_DGRAM) {
    return std::size_t{0};
  }
  return errc::end_of_stream;
}

// The loop send_all and recv_exact share: step(rest) moves some of what is left until all of
// `data` has moved or a step fails; the bytes moved are reported with the error that stopped it.
template <class Span, class Step>
transfer transfer_all(Span data, Step step) {
  transfer t;
  while (t.bytes < data.size()) {
    auto n = step(data.subspan(t.bytes));
    if (!n) {
      t.ec = n.error();
      break;
    }
    t.bytes += *n;
  }
  return t;
}


}  // namespace

std::error_code wait_readable(int fd, deadline by) { return wait_for(fd, wait_entry::readable, by); }
std::error_code wait_writable(int fd, deadline by) { return wait_for(fd, wait_entry::writable, by); }

#ifdef _WIN32
// Winsock has no MSG_DONTWAIT: the socket is asked first whether the call would wait (a
// zero-timeout poll). A blocking socket that is writable may still lack room for a large send
// and wait for it, so one call sends at most 64 KiB: less than a writable socket has room for.
constexpr std::size_t max_send_per_call = 64 * 1024;

result<std::size_t> try_send(const socket& s, std::span<const std::byte> data) {
  if (auto ec = detail::would_wait(s.native_handle(), wait_entry::writable)) return ec;
  return detail::check_size([&] {
    return ::send(detail::native(s.native_handle()), reinterpret_cast<const char*>(data.data()),
                  detail::io_len(std::min(data.size(), max_send_per_call)), 0);
  });
}

result<std::size_t> try_recv(const socket& s, std::span<std::byte> data) {
  if (auto ec = detail::would_wait(s.native_handle(), wait_entry::readable)) return ec;
  auto n = detail::check_size([&] {
    return ::recv(detail::native(s.native_handle()), reinterpret_cast<char*>(data.data()), detail::io_len(data.size()), 0);
  });
  if (n && *n == 0 && !data.empty()) return zero_received(s);
  return n;
}

result<std::size_t> try_read(int, std::span<std::byte>) { return errc::not_supported; }

result<std::size_t> write_once(int fd, std::span<const std::byte> data) {
  int n = ::_write(fd, data.data(), static_cast<unsigned>(std::min<std::size_t>(data.size(), 1u << 30)));
  if (n < 0) return std::error_code(errno, std::generic_category());
  return static_cast<std::size_t>(n);
}

// A C runtime descriptor (stdout, stderr, a file): _write takes an unsigned int length, and says
// why it failed in errno.
transfer write_all(int fd, std::span<const std::byte> data) {
  transfer t;
  while (t.bytes < data.size()) {
    auto rest = data.subspan(t.bytes);
    int n = ::_write(fd, rest.data(), static_cast<unsigned>(std::min<std::size_t>(rest.size(), 1u << 30)));
    if (n < 0) {
      t.ec = std::error_code(errno, std::generic_category());
      break;
    }
    t.bytes += static_cast<std::size_t>(n);
  }
  return t;
}
#else
// MSG_DONTWAIT on every call, blocking socket or not, so the caller's deadline is always ours to keep.
result<std::size_t> try_send(const socket& s, std::span<const std::byte> data) {
  return detail::check_size(
      [&] { return ::send(s.native_handle(), data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT); });
}

result<std::size_t> try_recv(const socket& s, std::span<std::byte> data) {
  auto n = detail::check_size([&] { return ::recv(s.native_handle(), data.data(), data.size(), MSG_DONTWAIT); });
  if (n && *n == 0 && !data.empty()) return zero_received(s);
  return n;
}

result<std::size_t> write_once(int fd, std::span<const std::byte> data) {
  const ssize_t n = ::write(fd, data.data(), data.size());
  if (n < 0) return std::error_code(errno, std::system_category());  // EINTR too: the caller's to see
  return static_cast<std::size_t>(n);
}

result<std::size_t> try_read(int fd, std::span<std::byte> data) {
  auto n = detail::check_size([&] { return ::read(fd, data.data(), data.size()); });
  if (n && *n == 0 && !data.empty()) return errc::end_of_stream;
  return n;
}

transfer write_all(int fd, std::span<const std::byte> data) {
  transfer t;
  while (t.bytes < data.size()) {
    auto rest = data.subspan(t.bytes);
    auto n = detail::check_size([&] { return ::write(fd, rest.data(), rest.size()); });
    if (!n) {
      t.ec = n.error();
      break;
    }
    t.bytes += *n;
  }
  return t;
}
#endif

result<std::size_t> send_some(const socket& s, std::span<const std::byte> data, deadline by) {
  for (;;) {
    auto n = try_send(s, data);
    if (n || n.error() != errc::would_block) return n;
    if (auto ec = wait_writable(s.native_handle(), by)) return ec;
  }
}

result<std::size_t> recv_some(const socket& s, std::span<std::byte> data, deadline by) {
  for (;;) {
    auto n = try_recv(s, data);
    if (n || n.error() != errc::would_block) return n;
    if (auto ec = wait_readable(s.native_handle(), by)) return ec;
  }
}

transfer send_all(const socket& s, std::span<const std::byte> data, deadline by) {
  return transfer_all(data, [&](std::span<const std::byte> rest) { return send_some(s, rest, by); });
}

transfer send_all(const socket& s, std::string_view text, deadline by) { return send_all(s, as_bytes(text), by); }

transfer recv_exact(const socket& s, std::span<std::byte> data, deadline by) {
  return transfer_all(data, [&](std::span<std::byte> rest) { return recv_some(s, rest, by); });
}

}  // namespace sockit
