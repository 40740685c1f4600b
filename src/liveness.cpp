// Connection-closure detection.
#include "sockit/liveness.hpp"

#include <cerrno>
#include <poll.h>
#include <sys/socket.h>

#include "sockit/error.hpp"

namespace sockit {

result<bool> peer_closed(const socket& s) {
  // poll(2) silently skips a negative descriptor, which would read as "alive".
  if (!s.is_open()) return std::make_error_code(std::errc::bad_file_descriptor);
  pollfd p{s.native_handle(), POLLIN | POLLRDHUP, 0};
  int rc;
  do {
    rc = ::poll(&p, 1, 0);
  } while (rc < 0 && errno == EINTR);
  if (rc < 0) return last_error();
  if (rc == 0) return false;  // nothing to read, no hang-up: alive as far as we can tell
  if (p.revents & POLLNVAL) return std::make_error_code(std::errc::bad_file_descriptor);
  char c;
  ssize_t n;
  do {
    n = ::recv(s.native_handle(), &c, 1, MSG_PEEK | MSG_DONTWAIT);
  } while (n < 0 && errno == EINTR);
  if (n > 0) return false;  // unread data: not closed yet, and the data stays put
  if (n == 0) return true;  // orderly close
  if (errno == EAGAIN || errno == EWOULDBLOCK) return false;
  if (errno == ECONNRESET || errno == EPIPE || errno == ETIMEDOUT) return true;
  return last_error();
}

std::error_code pending_error(const socket& s) {
  int err = 0;
  socklen_t len = sizeof err;
  if (::getsockopt(s.native_handle(), SOL_SOCKET, SO_ERROR, &err, &len) != 0) return last_error();
  return err ? std::error_code(err, std::system_category()) : std::error_code{};
}

}  // namespace sockit
