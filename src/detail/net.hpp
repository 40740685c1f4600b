// Internal: the platform's socket headers, and the handful of calls whose spelling differs
// between Linux and Winsock (closing a socket, the last socket error, non-blocking mode), so a
// portable source includes this one header and branches only where behaviour really differs.
#pragma once

#ifdef _WIN32
// winsock2.h and ws2tcpip.h come through the public endpoint.hpp (lean, without min/max macros).
// FD_SETSIZE (1024, not Winsock's 64) comes from the build, so every file sees the same fd_set.
#include "sockit/endpoint.hpp"

#include <mswsock.h>
// Windows 10's TCP option names, missing from mingw-w64's headers (the Windows SDK's values).
#ifndef TCP_MAXSEG
#define TCP_MAXSEG 4
#endif
#ifndef TCP_KEEPIDLE
#define TCP_KEEPIDLE 3  // the SDK's TCP_KEEPALIVE: seconds idle before the first probe
#endif
#ifndef TCP_KEEPCNT
#define TCP_KEEPCNT 16
#endif
#ifndef TCP_KEEPINTVL
#define TCP_KEEPINTVL 17
#endif
#else
#include <arpa/inet.h>
#include <cerrno>
#include <fcntl.h>
#include <linux/sockios.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#endif

#include <cstddef>
#include <system_error>

#include "sockit/error.hpp"

namespace sockit::detail {

#ifdef _WIN32
inline constexpr bool is_windows = true;
// Winsock has neither flag: try_send/try_recv wait with a zero-timeout poll instead, and no
// signal is raised on a broken connection.
inline constexpr int msg_dontwait = 0;
inline constexpr int msg_nosignal = 0;
inline SOCKET native(int fd) noexcept { return static_cast<SOCKET>(fd); }
// Winsock's send and recv take an int length.
inline int io_len(std::size_t n) noexcept { return n > 0x7fffffff ? 0x7fffffff : static_cast<int>(n); }
inline std::error_code set_native_nonblocking(int fd, bool on) noexcept {
  u_long mode = on ? 1 : 0;
  if (::ioctlsocket(static_cast<SOCKET>(fd), FIONBIO, &mode) == 0) return {};
  return {::WSAGetLastError(), winsock_category()};
}
// Winsock's sockets are kernel handles; their values fit an int (OpenSSL's BIO relies on the
// same), and INVALID_SOCKET becomes -1.
inline int close_socket(int fd) noexcept { return ::closesocket(static_cast<SOCKET>(fd)); }
inline int last_socket_error() noexcept { return ::WSAGetLastError(); }
inline bool interrupted(int err) noexcept { return err == WSAEINTR; }
inline const std::error_category& socket_category() noexcept { return winsock_category(); }
// A socket that is open now (poll and select would silently accept a closed one).
inline bool is_open_socket(int fd) noexcept {
  int type = 0;
  int len = sizeof type;
  return fd >= 0 && ::getsockopt(static_cast<SOCKET>(fd), SOL_SOCKET, SO_TYPE, reinterpret_cast<char*>(&type), &len) == 0;
}
// Winsock has no MSG_DONTWAIT: a call that must not wait first asks, with a zero-timeout poll,
// whether fd is ready for `want` (a sockit::wait_entry bit); errc::would_block when it is not.
std::error_code would_wait(int fd, unsigned want);
// Starts Winsock once per process (WSAStartup, WSACleanup at exit); every entry point that makes
// a socket or resolves a name calls it, so a caller never does.
void ensure_winsock() noexcept;
// Winsock has no SIOCOUTQ: what the kernel still holds for the peer is unknown, reported as 0.
inline std::size_t kernel_unsent(int) noexcept { return 0; }
#else
inline constexpr bool is_windows = false;
inline constexpr int msg_dontwait = MSG_DONTWAIT;
inline constexpr int msg_nosignal = MSG_NOSIGNAL;
inline int native(int fd) noexcept { return fd; }
inline std::size_t io_len(std::size_t n) noexcept { return n; }
inline int close_socket(int fd) noexcept { return ::close(fd); }
inline int last_socket_error() noexcept { return errno; }
inline bool interrupted(int err) noexcept { return err == EINTR; }
inline const std::error_category& socket_category() noexcept { return std::system_category(); }
inline bool is_open_socket(int fd) noexcept { return fd >= 0 && ::fcntl(fd, F_GETFD) >= 0; }
inline void ensure_winsock() noexcept {}
// Bytes the kernel still holds for the peer, unsent or unacknowledged (SIOCOUTQ); 0 on error.
inline std::size_t kernel_unsent(int fd) noexcept {
  int n = 0;
  if (::ioctl(fd, SIOCOUTQ, &n) != 0 || n < 0) return 0;
  return static_cast<std::size_t>(n);
}
#endif

// Whether fd is a socket that listens (SO_ACCEPTCONN); false on any error.
inline bool is_listening(int fd) noexcept {
  int on = 0;
  socklen_t len = sizeof on;
  return ::getsockopt(native(fd), SOL_SOCKET, SO_ACCEPTCONN, reinterpret_cast<char*>(&on), &len) == 0 && on != 0;
}

}  // namespace sockit::detail
