// The descriptor owner.
#include "sockit/socket.hpp"

#include <cerrno>
#include <sys/socket.h>
#include <unistd.h>

#include "sockit/error.hpp"

namespace sockit {

socket& socket::operator=(socket&& other) noexcept {
  if (this != &other) reset(other.release());
  return *this;
}

socket::~socket() { reset(); }

result<socket> socket::open(int family, int type, int protocol) {
  int fd = ::socket(family, type | SOCK_CLOEXEC, protocol);
  if (fd < 0) return last_error();
  return socket(fd);
}

int socket::release() noexcept {
  int fd = fd_;
  fd_ = -1;
  return fd;
}

void socket::reset(int fd) noexcept {
  if (fd_ >= 0 && fd_ != fd) ::close(fd_);
  fd_ = fd;
}

std::error_code socket::close() noexcept {
  if (fd_ < 0) return std::make_error_code(std::errc::bad_file_descriptor);
  int fd = release();
  // No retry on EINTR: on Linux the descriptor is gone whatever close returns.
  if (::close(fd) != 0 && errno != EINTR) return last_error();
  return {};
}

std::error_code socket::shutdown(shutdown_how how) const noexcept {
  if (::shutdown(fd_, static_cast<int>(how)) != 0) return last_error();
  return {};
}

result<endpoint> socket::local_endpoint() const {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return last_error();
  return endpoint::from_sockaddr(reinterpret_cast<sockaddr*>(&ss), len);
}

result<endpoint> socket::peer_endpoint() const {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getpeername(fd_, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return last_error();
  return endpoint::from_sockaddr(reinterpret_cast<sockaddr*>(&ss), len);
}

}  // namespace sockit
