// sockit/socket.hpp: the move-only owner of a socket descriptor. It closes exactly once, reports
// close errors when closed explicitly, and never caches a "last error".
#pragma once

#include <functional>

#include "sockit/endpoint.hpp"
#include "sockit/result.hpp"

namespace sockit {

enum class shutdown_how { read = 0, write = 1, both = 2 };  // SHUT_RD, SHUT_WR, SHUT_RDWR

class socket {
 public:
  socket() noexcept = default;
  // Takes ownership of fd (which may be -1).
  explicit socket(int fd) noexcept : fd_(fd) {}
  socket(const socket&) = delete;
  socket& operator=(const socket&) = delete;
  socket(socket&& other) noexcept : fd_(other.release()) {}
  socket& operator=(socket&& other) noexcept;
  ~socket();

  // socket(2) with SOCK_CLOEXEC always set; type may include SOCK_NONBLOCK.
  static result<socket> open(int family, int type, int protocol = 0);

  int native_handle() const noexcept { return fd_; }
  bool is_open() const noexcept { return fd_ >= 0; }
  explicit operator bool() const noexcept { return is_open(); }

  // Gives up ownership without closing.
  int release() noexcept;
  // Closes the current descriptor (errors ignored, as in a destructor) and owns fd instead.
  void reset(int fd = -1) noexcept;
  // Closes now and reports what close(2) said. The descriptor is released even on error (Linux
  // frees it whatever close returns), so a retry could never close someone else's fd.
  std::error_code close() noexcept;

  std::error_code shutdown(shutdown_how how) const noexcept;

  result<endpoint> local_endpoint() const;
  result<endpoint> peer_endpoint() const;

 private:
  int fd_ = -1;
};

// bind(2): gives s the local address `at` (port 0: the kernel picks one). tcp_listen and udp_bind
// do this themselves; this is for a client choosing its source address before it connects.
std::error_code bind(const socket& s, const endpoint& at);

// A step run on a new socket after it is opened and before it binds or connects: options that
// must be in place before the handshake (buffer sizes, TCP_MAXSEG, SO_BINDTODEVICE, a source
// address) go here. Its error ends the attempt and is returned as the call's error.
using socket_prepare = std::function<std::error_code(const socket&)>;

}  // namespace sockit
