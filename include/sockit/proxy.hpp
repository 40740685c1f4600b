// sockit/proxy.hpp: a TCP tunnel through a proxy, the client side of SOCKS5 (RFC 1928, with the
// username/password method of RFC 1929) and of HTTP CONNECT (RFC 9110 section 9.3.6). Public.
//
// Two layers: proxy_handshake is the protocol without I/O (it says what to send and is fed what
// arrives, in pieces of any size, so tests drive it byte by byte); proxy_connect runs it over a
// connected socket with a deadline.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <system_error>

#include "sockit/deadline.hpp"
#include "sockit/endpoint.hpp"
#include "sockit/result.hpp"
#include "sockit/socket.hpp"

namespace sockit {

enum class proxy_type { http, socks5 };

// "http" / "socks5".
std::string_view proxy_type_name(proxy_type t) noexcept;

// Why a proxy did not open the tunnel. The first eight are SOCKS5's reply codes, with their numbers.
enum class proxy_errc {
  general_failure = 1,         // SOCKS5 reply 1: general SOCKS server failure
  not_allowed = 2,             // 2: connection not allowed by ruleset
  network_unreachable = 3,     // 3
  host_unreachable = 4,        // 4
  connection_refused = 5,      // 5: the target refused the proxy's connection
  ttl_expired = 6,             // 6
  command_not_supported = 7,   // 7
  address_type_not_supported = 8,  // 8
  unknown_reply = 100,         // a SOCKS5 reply code RFC 1928 does not assign (proxy_reply has it)
  no_acceptable_method,        // SOCKS5 method 0xff: none of the offered authentication methods
  unexpected_method,           // the proxy chose a method that was not offered
  auth_failed,                 // RFC 1929: username/password rejected
  http_refused,                // an HTTP status other than 2xx (proxy_reply has the status line)
  bad_reply,                   // what came back is not the protocol
  reply_too_long,              // HTTP reply header over max_http_reply bytes
  closed,                      // the proxy closed the connection before the handshake ended
  bad_target,                  // a host that cannot be put in a request (empty, over 255 bytes, not a name)
  bad_credentials,             // user empty or over 255 bytes, password over 255 bytes, ':' in an HTTP user
};

const std::error_category& proxy_category() noexcept;
std::error_code make_error_code(proxy_errc e) noexcept;

struct proxy_credentials {
  std::string user;  // empty: no authentication
  std::string password;
};

// Where the tunnel goes. A host that is a numeric address goes to a SOCKS5 proxy as one (ATYP 1
// or 4), a name as a name (ATYP 3), so the proxy resolves it, as ncat's default --proxy-dns remote.
struct proxy_request {
  proxy_type type = proxy_type::http;
  std::string host;  // name or numeric address, IPv6 without brackets
  std::uint16_t port = 0;
  proxy_credentials auth;
};

// What the proxy said, as far as the handshake got.
struct proxy_reply {
  int socks_reply = -1;        // SOCKS5 REP (0: succeeded), -1 before it arrived
  int socks_method = -1;       // SOCKS5 authentication method the proxy chose (0, 2 or 0xff)
  endpoint bound;              // SOCKS5 BND.ADDR:BND.PORT when the proxy gave an address
  int http_status = 0;         // HTTP status code, 0 before the status line arrived
  std::string http_status_line;  // "HTTP/1.1 403 Forbidden" (without CRLF), for error lines
};

// Longest HTTP reply header accepted (status line, header lines and the blank line).
inline constexpr std::size_t max_http_reply = 16 * 1024;

// The handshake as a state machine without I/O. A driver sends take_output(), feeds what the
// proxy sends, and repeats until done() or an error. feed() takes only the bytes of the proxy's
// replies: what follows the last one belongs to the tunnel and is left to the caller.
class proxy_handshake {
 public:
  // Checks the request (proxy_errc::bad_target, bad_credentials) and prepares the first message.
  static result<proxy_handshake> start(const proxy_request& req);

  // The bytes to send now (empty while waiting for the proxy, and once done). Taking clears them.
  std::string take_output();
  // Feeds bytes from the proxy; returns how many of them the handshake used (all of them unless
  // the reply ended inside `data`, or a new request waits in take_output(): nothing is read
  // before the request it answers has been taken), or why the proxy refused or what was wrong.
  // After an error the handshake is over: feed() returns the same error again.
  result<std::size_t> feed(std::span<const std::byte> data);
  result<std::size_t> feed(std::string_view data);

  bool done() const noexcept { return stage_ == stage::done; }
  const proxy_reply& reply() const noexcept { return reply_; }

 private:
  enum class stage { socks_method, socks_auth, socks_connect, http_header, done, failed };
  proxy_handshake() = default;
  std::error_code step_socks(std::string_view data, std::size_t& used);
  std::error_code step_http(std::string_view data, std::size_t& used);
  std::error_code http_line(std::string_view line);

  proxy_request req_;
  stage stage_ = stage::done;
  std::string out_;
  std::string socks_connect_;  // SOCKS5: the CONNECT request, sent once authentication is settled
  std::string in_;             // SOCKS5: the reply message so far; HTTP: the header line so far
  std::size_t want_ = 0;       // SOCKS5: bytes the current message needs (grows as its length is known)
  std::size_t http_bytes_ = 0;  // HTTP: header bytes so far, for max_http_reply
  std::size_t lines_ = 0;       // HTTP: lines of the current response so far
  std::error_code failed_;
  proxy_reply reply_;
};

// The SOCKS5 and HTTP requests a handshake sends, for tests and for callers with their own I/O.
// socks5_greeting offers no authentication, and username/password when `with_auth`.
std::string socks5_greeting(bool with_auth);
result<std::string> socks5_auth_request(const proxy_credentials& auth);
result<std::string> socks5_connect_request(std::string_view host, std::uint16_t port);
result<std::string> http_connect_request(std::string_view host, std::uint16_t port, const proxy_credentials& auth = {});

// Runs the handshake on `s`, connected to the proxy, within `by`. On {} the socket carries the
// tunnel to req.host:req.port, and no byte that came after the proxy's reply has been read (the
// replies are peeked at, then only the handshake's bytes are taken). Errors: proxy_category()'s,
// proxy_errc::closed for an early close, std::errc::timed_out when the proxy says nothing in time,
// or the socket's own (ECONNRESET...). `reply`, if given, receives what the proxy said, also on error.
std::error_code proxy_connect(const socket& s, const proxy_request& req, deadline by = {},
                              proxy_reply* reply = nullptr);

}  // namespace sockit

template <>
struct std::is_error_code_enum<sockit::proxy_errc> : std::true_type {};
