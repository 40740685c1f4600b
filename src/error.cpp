// Error categories and rendering.
#include "sockit/error.hpp"

#include <cerrno>
#include <cstring>

#include "detail/net.hpp"

namespace sockit {
namespace {

class sockit_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "sockit"; }
  std::string message(int ev) const override {
    switch (static_cast<errc>(ev)) {
      case errc::end_of_stream: return "connection closed by peer";
      case errc::bad_address: return "expected host:port, [ipv6]:port, :port or port";
      case errc::bad_port: return "port must be a number from 0 to 65535";
      case errc::bad_host: return "malformed host";
      case errc::unknown_service: return "not a port number (1-65535) nor a service name in /etc/services";
      case errc::fd_out_of_range: return "descriptor too large for this backend";
      case errc::message_too_long: return "datagram truncated";
      case errc::no_addresses: return "name has no usable address";
      case errc::bad_duration: return "duration must be a non-negative number of seconds";
      case errc::would_block: return "operation would block";
      case errc::not_multicast: return "not a multicast group (IPv4 224.0.0.0/4, IPv6 ff00::/8)";
      case errc::no_such_interface: return "no such network interface";
      case errc::bad_unix_address: return "expected unix:/path or unix:@name";
      case errc::unix_path_too_long: return "too long for a Unix socket address (at most 107 bytes)";
      case errc::unix_in_use: return "a server is listening there (in use)";
      case errc::not_a_socket_file: return "exists and is not a socket (left in place)";
      case errc::not_supported: return "not supported on this platform";
    }
    return "unknown sockit error";
  }
  // would_block is EAGAIN under its own name: code that tests for std::errc's spelling (or a
  // caller of tcp_accept written before it existed) keeps working.
  std::error_condition default_error_condition(int ev) const noexcept override {
    if (static_cast<errc>(ev) == errc::would_block) return std::errc::resource_unavailable_try_again;
    if (static_cast<errc>(ev) == errc::unix_in_use) return std::errc::address_in_use;
    if (static_cast<errc>(ev) == errc::not_supported) return std::errc::not_supported;
    return {ev, *this};
  }
};

class resolver_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "resolver"; }
  std::string message(int ev) const override {
    std::string out = ::gai_strerror(ev);
    // Windows' text is a sentence (FormatMessage's "Host not found. "): one clause, as glibc's.
    while (!out.empty() && (out.back() == ' ' || out.back() == '.' || out.back() == '\r' || out.back() == '\n')) {
      out.pop_back();
    }
    return out;
  }
};

}  // namespace

const std::error_category& sockit_category() noexcept {
  static const sockit_category_impl c;
  return c;
}

const std::error_category& resolver_category() noexcept {
  static const resolver_category_impl c;
  return c;
}

std::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), sockit_category()}; }

std::error_code last_error() noexcept { return {errno, std::system_category()}; }

std::string_view errno_name(int err) noexcept {
#ifdef _WIN32
  (void)err;  // the C runtime has no strerrorname_np; Winsock errors have their own names
  return {};
#else
  const char* n = ::strerrorname_np(err);
  return n ? std::string_view(n) : std::string_view();
#endif
}

std::string describe(std::string_view what, std::error_code ec) {
  std::string out(what);
  if (!out.empty()) out += ": ";
  out += ec.message();
  if (ec.category() == std::system_category() || ec.category() == std::generic_category()) {
    if (auto n = errno_name(ec.value()); !n.empty()) {
      out += " (";
      out += n;
      out += ')';
    }
  }
#ifdef _WIN32
  if (ec.category() == winsock_category()) {
    if (auto n = winsock_error_name(ec.value()); !n.empty()) {
      out += " (";
      out += n;
      out += ')';
    }
  }
#endif
  return out;
}

}  // namespace sockit
