// Internal: setsockopt/getsockopt as typed calls returning error_code / result, shared by the
// public option setters, bound_socket and the multicast/ICMP code to come.
#pragma once

#include "detail/net.hpp"

#include "detail/syscall.hpp"
#include "sockit/result.hpp"
#include "sockit/socket.hpp"

namespace sockit::detail {

template <class T>
std::error_code set_opt(const socket& s, int level, int name, const T& v) {
  // Winsock types the value as char*.
  return check_ec([&] {
    return ::setsockopt(native(s.native_handle()), level, name, reinterpret_cast<const char*>(&v), sizeof v);
  });
}

template <class T>
result<T> get_opt(const socket& s, int level, int name) {
  T v{};
  socklen_t len = sizeof v;
  if (auto ec = check_ec([&] { return ::getsockopt(native(s.native_handle()), level, name, reinterpret_cast<char*>(&v), &len); })) {
    return ec;
  }
  return v;
}

// The socket's family: which of the IPv4 or IPv6 option pair applies (per platform: Linux asks
// SO_DOMAIN, Windows SO_PROTOCOL_INFO).
result<bool> is_v6(const socket& s);

// Boolean options are ints on the wire.
inline std::error_code set_flag(const socket& s, int level, int name, bool on) {
  return set_opt(s, level, name, on ? 1 : 0);
}

inline result<bool> get_flag(const socket& s, int level, int name) {
  auto v = get_opt<int>(s, level, name);
  if (!v) return v.error();
  return *v != 0;
}

}  // namespace sockit::detail
