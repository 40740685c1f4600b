// Connection-closure detection.
#include "sockit/liveness.hpp"

#include "detail/net.hpp"
#include "detail/sockopt.hpp"
#include "detail/syscall.hpp"
#include "sockit/error.hpp"

namespace sockit {

result<bool> peer_closed(const socket& s) {
  // poll(2) silently skips a negative descriptor, which would read as "alive".
  if (!s.is_open()) return std::make_error_code(std::errc::bad_file_descriptor);
#ifdef _WIN32
  WSAPOLLFD p{detail::native(s.native_handle()), POLLIN, 0};
  auto rc = detail::check_res([&] { return ::WSAPoll(&p, 1, 0); });
#else
  pollfd p{s.native_handle(), POLLIN | POLLRDHUP, 0};
  auto rc = detail::check_res([&] { return ::poll(&p, 1, 0); });
#endif
  if (!rc) return rc.error();
  if (*rc == 0) return false;  // nothing to read, no hang-up: alive as far as we can tell
  if (p.revents & POLLNVAL) return std::make_error_code(std::errc::bad_file_descriptor);
  char c;
  // The poll above said there is something to read: the peek does not wait, even on Windows.
  auto n = detail::check_size([&] { return ::recv(detail::native(s.native_handle()), &c, 1, MSG_PEEK | detail::msg_dontwait); });
  if (n) return *n == 0;  // 0: orderly close; unread data: not closed yet, and the data stays put
  auto ec = n.error();
  if (ec == errc::would_block) return false;
  if (ec == std::errc::connection_reset || ec == std::errc::broken_pipe || ec == std::errc::timed_out) return true;
  return ec;
}

std::error_code pending_error(const socket& s) {
  auto err = detail::get_opt<int>(s, SOL_SOCKET, SO_ERROR);
  if (!err) return err.error();
  return *err ? std::error_code(*err, detail::socket_category()) : std::error_code{};
}

}  // namespace sockit
