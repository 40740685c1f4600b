// sockit/error.hpp: sockit's own error codes (parsing, end of stream, resolver failures) and the
// one function that renders any error with its context: "connect 127.0.0.1:7: Connection refused
// (ECONNREFUSED)".
#pragma once

#include <string>
#include <string_view>
#include <system_error>

namespace sockit {

enum class errc {
  end_of_stream = 1,   // the peer closed its side before the transfer completed
  bad_address,         // text is not host:port, [v6]:port, :port or port
  bad_port,            // port is not a number from 0 to 65535
  bad_host,            // empty or malformed host part
  fd_out_of_range,     // descriptor does not fit the chosen backend (select's FD_SETSIZE)
  message_too_long,    // datagram was truncated by the receive buffer
  no_addresses,        // name resolved to no usable address
  bad_duration,        // a duration text is not a non-negative number of seconds
  would_block,         // a non-blocking call found nothing to do now (EAGAIN/EWOULDBLOCK); compares
                       // equal to std::errc::resource_unavailable_try_again
  not_multicast,       // a group address that is not multicast (IPv4 224.0.0.0/4, IPv6 ff00::/8)
  no_such_interface,   // no network interface has that name, index or address
  bad_unix_address,    // text is not unix:/path or unix:@name
  unix_path_too_long,  // a Unix socket path or abstract name over 107 bytes (sun_path's 108 with NUL)
  unix_in_use,         // a live server holds the Unix socket address (compares equal to EADDRINUSE)
  not_a_socket_file,   // the path of a Unix socket to bind is another kind of file (left in place)
  unknown_service,     // a port that is neither a number nor a service name in /etc/services
  not_supported,       // the platform has no such call or option (Windows: MSG_MORE, splice,
                       // SO_BINDTODEVICE...); compares equal to std::errc::not_supported
};

const std::error_category& sockit_category() noexcept;
// getaddrinfo's EAI_* codes (negative numbers in glibc), rendered with gai_strerror.
const std::error_category& resolver_category() noexcept;

std::error_code make_error_code(errc e) noexcept;

#ifdef _WIN32
// Winsock's WSAE* codes, with the system's message; each compares equal to the std::errc that
// Linux reports for the same failure (WSAECONNREFUSED == std::errc::connection_refused).
const std::error_category& winsock_category() noexcept;
// "WSAECONNREFUSED", or "" if unknown.
std::string_view winsock_error_name(int err) noexcept;
#endif

// errno as a std::error_code.
std::error_code last_error() noexcept;

// "what: message (ENAME)"; ENAME only for system errors. `what` carries the context
// (operation and object), e.g. "connect 127.0.0.1:7".
std::string describe(std::string_view what, std::error_code ec);

// The symbolic errno name ("ECONNREFUSED"), or "" if unknown.
std::string_view errno_name(int err) noexcept;

}  // namespace sockit

template <>
struct std::is_error_code_enum<sockit::errc> : std::true_type {};
