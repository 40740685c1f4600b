// The descriptor owner.
#include "sockit/socket.hpp"

#include "detail/net.hpp"
#include "detail/syscall.hpp"
#include "sockit/error.hpp"

namespace sockit {
namespace {

// One of the two ends of fd, as getsockname or getpeername (`get`) reports it.
template <class Get>
result<endpoint> endpoint_by(int fd, Get get) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (auto ec = detail::check_ec([&] { return get(detail::native(fd), reinterpret_cast<sockaddr*>(&ss), &len); })) return ec;
  return endpoint::from_sockaddr(reinterpret_cast<sockaddr*>(&ss), len);
}

}  // namespace

socket& socket::operator=(socket&& other) noexcept {
  if (this != &other) reset(other.release());
  return *this;
}

socket::~socket() { reset(); }

result<socket> socket::open(int family, int type, int protocol) {
#ifdef _WIN32
  detail::ensure_winsock();
  // Winsock has no SOCK_NONBLOCK (sockit's own bit, see net.hpp) nor close-on-exec: handles are
  // not inherited unless asked (WSA_FLAG_NO_HANDLE_INHERIT).
  bool nonblock = (type & SOCK_NONBLOCK) != 0;
  auto fd = detail::check_res([&] {
    return static_cast<int>(::WSASocketW(family, type & ~SOCK_NONBLOCK, protocol, nullptr, 0,
                                         WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT));
  });
  if (!fd) return fd.error();
  socket s(*fd);
  if (nonblock) {
    if (auto ec = detail::set_native_nonblocking(*fd, true)) return ec;
  }
  return s;
#else
  auto fd = detail::check_res([&] { return ::socket(family, type | SOCK_CLOEXEC, protocol); });
  if (!fd) return fd.error();
  return socket(*fd);
#endif
}

int socket::release() noexcept {
  int fd = fd_;
  fd_ = -1;
  return fd;
}

void socket::reset(int fd) noexcept {
  if (fd_ >= 0 && fd_ != fd) detail::close_socket(fd_);
  fd_ = fd;
}

std::error_code socket::close() noexcept {
  if (fd_ < 0) return std::make_error_code(std::errc::bad_file_descriptor);
  // Not check_res: close must never be retried, since on Linux the descriptor is gone whatever
  // close returns, and an interrupted close has done its work.
  if (detail::close_socket(release()) == 0) return {};
  auto ec = detail::syscall_error();
  return ec == std::errc::interrupted ? std::error_code{} : ec;
}

std::error_code socket::shutdown(shutdown_how how) const noexcept {
  return detail::check_ec([&] { return ::shutdown(detail::native(fd_), static_cast<int>(how)); });
}

result<endpoint> socket::local_endpoint() const { return endpoint_by(fd_, ::getsockname); }

result<endpoint> socket::peer_endpoint() const { return endpoint_by(fd_, ::getpeername); }

std::error_code bind(const socket& s, const endpoint& at) {
  return detail::check_ec([&] { return ::bind(detail::native(s.native_handle()), at.data(), at.size()); });
}

}  // namespace sockit
