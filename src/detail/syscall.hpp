// Internal: the one place a syscall's return becomes a sockit result (after sockpp's check_res).
// EINTR is retried here so no caller tests errno for it, and EAGAIN/EWOULDBLOCK become
// errc::would_block so a caller of a non-blocking call tests one value.
#pragma once

#include <cerrno>
#include <cstddef>
#include <system_error>
#include <type_traits>

#include "detail/net.hpp"
#include "sockit/error.hpp"
#include "sockit/result.hpp"

namespace sockit::detail {

// errno after a failed call; EAGAIN and EWOULDBLOCK (the same number on Linux, not by POSIX) as
// errc::would_block.
// "No error", for paths taken every loop turn: a default-constructed std::error_code calls the
// out-of-line std::system_category() (libstdc++); copying this one does not.
inline const std::error_code no_error{};

inline std::error_code syscall_error() noexcept {
#ifdef _WIN32
  // On Windows every call that goes through here is a Winsock call.
  int err = last_socket_error();
  if (err == WSAEWOULDBLOCK) return make_error_code(errc::would_block);
  return {err, winsock_category()};
#else
  int err = errno;
  if (err == EAGAIN || err == EWOULDBLOCK) return make_error_code(errc::would_block);
  return {err, std::system_category()};
#endif
}

// Calls f (a syscall returning -1 and setting errno on failure) until a signal no longer
// interrupts it; returns what it returned, or the error.
template <class F>
auto check_res(F&& f) -> result<decltype(f())> {
  for (;;) {
    auto rc = f();
    if (rc >= 0) return rc;
    if (!interrupted(last_socket_error())) return syscall_error();
  }
}

// For calls that return a byte count (send, recv, read, readv...).
template <class F>
result<std::size_t> check_size(F&& f) {
  auto r = check_res(std::forward<F>(f));
  if (!r) return r.error();
  return static_cast<std::size_t>(*r);
}

// For calls that return 0 or -1 (connect, bind, setsockopt...).
template <class F>
std::error_code check_ec(F&& f) {
  auto r = check_res(std::forward<F>(f));
  return r ? std::error_code{} : r.error();
}

}  // namespace sockit::detail
