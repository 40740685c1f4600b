// SOCKS5 and HTTP CONNECT clients: the requests, the reply parsers (one state machine fed bytes in
// pieces of any size) and the blocking driver that peeks so it never reads past the proxy's reply.
#include "sockit/proxy.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <utility>

#include "detail/net.hpp"
#include "detail/syscall.hpp"
#include "sockit/base64.hpp"
#include "sockit/error.hpp"
#include "sockit/io.hpp"
#include "sockit/wait.hpp"

namespace sockit {
namespace {

class proxy_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "proxy"; }
  std::string message(int ev) const override {
    switch (static_cast<proxy_errc>(ev)) {
      case proxy_errc::general_failure: return "general SOCKS server failure (SOCKS5 reply 1)";
      case proxy_errc::not_allowed: return "connection not allowed by ruleset (SOCKS5 reply 2)";
      case proxy_errc::network_unreachable: return "network unreachable (SOCKS5 reply 3)";
      case proxy_errc::host_unreachable: return "host unreachable (SOCKS5 reply 4)";
      case proxy_errc::connection_refused: return "connection refused by the target (SOCKS5 reply 5)";
      case proxy_errc::ttl_expired: return "TTL expired (SOCKS5 reply 6)";
      case proxy_errc::command_not_supported: return "command not supported (SOCKS5 reply 7)";
      case proxy_errc::address_type_not_supported: return "address type not supported (SOCKS5 reply 8)";
      case proxy_errc::unknown_reply: return "unassigned SOCKS5 reply code";
      case proxy_errc::no_acceptable_method:
        return "the proxy accepts none of the offered authentication methods (SOCKS5 method 0xff)";
      case proxy_errc::unexpected_method: return "the proxy chose an authentication method that was not offered";
      case proxy_errc::auth_failed: return "username/password rejected";
      case proxy_errc::http_refused: return "the proxy refused the CONNECT request";
      case proxy_errc::bad_reply: return "the proxy's reply is not the protocol";
      case proxy_errc::reply_too_long: return "the proxy's HTTP reply header is over 16 KiB";
      case proxy_errc::closed: return "the proxy closed the connection during the handshake";
      case proxy_errc::bad_target: return "the target host is not a host name or an address a proxy can take";
      case proxy_errc::bad_credentials:
        return "proxy user must be 1 to 255 bytes (no ':' for HTTP), password at most 255 bytes";
    }
    return "unknown proxy error";
  }
};

constexpr std::size_t max_field = 255;  // SOCKS5 names, RFC 1929 user and password: one length byte

char byte_of(unsigned v) { return static_cast<char>(static_cast<unsigned char>(v)); }
unsigned ubyte(char c) { return static_cast<unsigned char>(c); }

void put_port(std::string& out, std::uint16_t port) {
  out += byte_of(port >> 8);
  out += byte_of(port & 0xff);
}

// A host name as a proxy takes one: letters, digits, '-', '.', '_', at most 255 bytes. Anything
// else (spaces, CR/LF, '/', '@') could change the meaning of an HTTP request line.
bool is_host_name(std::string_view host) {
  if (host.empty() || host.size() > max_field) return false;
  for (char c : host) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
              c == '_';
    if (!ok) return false;
  }
  return true;
}

std::error_code check_credentials(const proxy_credentials& auth, proxy_type type) {
  if (auth.user.empty() && auth.password.empty()) return {};
  if (auth.user.empty() || auth.user.size() > max_field || auth.password.size() > max_field) {
    return proxy_errc::bad_credentials;
  }
  // RFC 7617: the user-id of Basic credentials cannot contain ':'.
  if (type == proxy_type::http && auth.user.find(':') != std::string::npos) return proxy_errc::bad_credentials;
  return {};
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// A control byte other than HT has no place in an HTTP header (CR and LF are handled as line ends).
bool is_garbage(char c) { return (ubyte(c) < 0x20 && c != '\t' && c != '\r') || ubyte(c) == 0x7f; }

// A peek that waits: the bytes stay in the socket until recv takes them.
result<std::size_t> peek_some(const socket& s, std::span<std::byte> buf, deadline by) {
  for (;;) {
#ifdef _WIN32
    // No MSG_DONTWAIT: ask first whether the peek would wait.
    if (auto ec = detail::would_wait(s.native_handle(), wait_entry::readable)) {
      if (ec != errc::would_block) return ec;
      if (auto w = wait_readable(s.native_handle(), by)) return w;
      continue;
    }
#endif
    auto n = detail::check_size([&] {
      return ::recv(detail::native(s.native_handle()), reinterpret_cast<char*>(buf.data()), detail::io_len(buf.size()),
                    MSG_PEEK | detail::msg_dontwait);
    });
    if (n && *n == 0) return errc::end_of_stream;
    if (n || n.error() != errc::would_block) return n;
    if (auto ec = wait_readable(s.native_handle(), by)) return ec;
  }
}

std::error_code closed_as_proxy_error(std::error_code ec) {
  return ec == errc::end_of_stream ? make_error_code(proxy_errc::closed) : ec;
}

}  // namespace

std::string_view proxy_type_name(proxy_type t) noexcept { return t == proxy_type::http ? "http" : "socks5"; }

const std::error_category& proxy_category() noexcept {
  static const proxy_category_impl c;
  return c;
}

std::error_code make_error_code(proxy_errc e) noexcept { return {static_cast<int>(e), proxy_category()}; }

// ---- requests --------------------------------------------------------------------------------

//   +-----+----------+----------+
//   | VER | NMETHODS | METHODS  |   05 01 00, or 05 02 00 02 with username/password
//   +-----+----------+----------+
std::string socks5_greeting(bool with_auth) {
  return with_auth ? std::string("\x05\x02\x00\x02", 4) : std::string("\x05\x01\x00", 3);
}

//   +-----+------+-------+------+--------+
//   | VER | ULEN | UNAME | PLEN | PASSWD |   VER 01 (RFC 1929)
//   +-----+------+-------+------+--------+
result<std::string> socks5_auth_request(const proxy_credentials& auth) {
  if (auth.user.empty()) return proxy_errc::bad_credentials;
  if (auto ec = check_credentials(auth, proxy_type::socks5)) return ec;
  std::string out;
  out += '\x01';
  out += byte_of(static_cast<unsigned>(auth.user.size()));
  out += auth.user;
  out += byte_of(static_cast<unsigned>(auth.password.size()));
  out += auth.password;
  return out;
}

//   +-----+-----+-----+------+----------+----------+
//   | VER | CMD | RSV | ATYP | DST.ADDR | DST.PORT |   05 01 00, ATYP 1 (4 bytes), 3 (length, name)
//   +-----+-----+-----+------+----------+----------+   or 4 (16 bytes), port in network order
result<std::string> socks5_connect_request(std::string_view host, std::uint16_t port) {
  std::string out("\x05\x01\x00", 3);
  if (auto ep = endpoint::numeric(host, port)) {
    if (ep->is_v4()) {
      const auto* sin = reinterpret_cast<const sockaddr_in*>(ep->data());
      out += '\x01';
      out.append(reinterpret_cast<const char*>(&sin->sin_addr), 4);
    } else {
      const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(ep->data());
      out += '\x04';
      out.append(reinterpret_cast<const char*>(&sin6->sin6_addr), 16);
    }
  } else {
    if (!is_host_name(host)) return proxy_errc::bad_target;
    out += '\x03';
    out += byte_of(static_cast<unsigned>(host.size()));
    out += host;
  }
  put_port(out, port);
  return out;
}

// CONNECT host:port HTTP/1.1, the same authority in Host (RFC 9110 section 7.2), Basic credentials
// (RFC 7617) when a user is given.
result<std::string> http_connect_request(std::string_view host, std::uint16_t port, const proxy_credentials& auth) {
  if (auto ec = check_credentials(auth, proxy_type::http)) return ec;
  std::string authority;
  if (auto ep = endpoint::numeric(host, port)) {
    if (ep->is_v6()) {
      // A scope is written %25 inside brackets (RFC 6874).
      authority = "[";
      for (char c : ep->address()) authority += c == '%' ? std::string("%25") : std::string(1, c);
      authority += "]";
    } else {
      authority = ep->address();
    }
  } else {
    if (!is_host_name(host)) return proxy_errc::bad_target;
    authority = host;
  }
  authority += ":" + std::to_string(port);
  std::string out = "CONNECT " + authority + " HTTP/1.1\r\nHost: " + authority + "\r\n";
  if (!auth.user.empty()) out += "Proxy-Authorization: Basic " + base64_encode(auth.user + ":" + auth.password) + "\r\n";
  out += "\r\n";
  return out;
}

// ---- the state machine -----------------------------------------------------------------------

result<proxy_handshake> proxy_handshake::start(const proxy_request& req) {
  proxy_handshake h;
  h.req_ = req;
  if (auto ec = check_credentials(req.auth, req.type)) return ec;
  if (req.type == proxy_type::socks5) {
    auto connect = socks5_connect_request(req.host, req.port);
    if (!connect) return connect.error();
    h.socks_connect_ = std::move(*connect);
    h.out_ = socks5_greeting(!req.auth.user.empty());
    h.stage_ = stage::socks_method;
    h.want_ = 2;
  } else {
    auto request = http_connect_request(req.host, req.port, req.auth);
    if (!request) return request.error();
    h.out_ = std::move(*request);
    h.stage_ = stage::http_header;
  }
  return h;
}

std::string proxy_handshake::take_output() { return std::exchange(out_, {}); }

result<std::size_t> proxy_handshake::feed(std::span<const std::byte> data) {
  return feed(std::string_view(reinterpret_cast<const char*>(data.data()), data.size()));
}

result<std::size_t> proxy_handshake::feed(std::string_view data) {
  if (stage_ == stage::failed) return failed_;
  std::size_t used = 0;
  // A reply is read only once the request it answers has been taken: a proxy that sends its
  // replies ahead (all in one write) must not make the handshake skip a request of its own.
  while (used < data.size() && stage_ != stage::done && out_.empty()) {
    std::size_t n = 0;
    auto rest = data.substr(used);
    auto ec = stage_ == stage::http_header ? step_http(rest, n) : step_socks(rest, n);
    used += n;
    if (ec) {
      stage_ = stage::failed;
      failed_ = ec;
      return ec;
    }
  }
  return used;
}

// Collects the current SOCKS5 message into in_ until it has want_ bytes, then reads it. A reply's
// length is known only from its ATYP (and a name's length byte), so want_ grows as they arrive.
std::error_code proxy_handshake::step_socks(std::string_view data, std::size_t& used) {
  used = std::min(data.size(), want_ - in_.size());
  in_.append(data.substr(0, used));
  if (in_.size() < want_) return {};

  switch (stage_) {
    case stage::socks_method: {
      //   +-----+--------+
      //   | VER | METHOD |   05 00 (no authentication), 05 02 (username/password), 05 ff (none)
      //   +-----+--------+
      if (in_[0] != '\x05') return proxy_errc::bad_reply;
      reply_.socks_method = static_cast<int>(ubyte(in_[1]));
      in_.clear();
      if (reply_.socks_method == 0xff) return proxy_errc::no_acceptable_method;
      if (reply_.socks_method == 0x02 && !req_.auth.user.empty()) {
        auto auth = socks5_auth_request(req_.auth);
        if (!auth) return auth.error();
        out_ = std::move(*auth);
        stage_ = stage::socks_auth;
        want_ = 2;
        return {};
      }
      if (reply_.socks_method != 0x00) return proxy_errc::unexpected_method;
      out_ = std::move(socks_connect_);
      stage_ = stage::socks_connect;
      want_ = 4;
      return {};
    }
    case stage::socks_auth:
      //   +-----+--------+
      //   | VER | STATUS |   01 00 (success); some servers answer with VER 05, which is taken too
      //   +-----+--------+
      if (in_[0] != '\x01' && in_[0] != '\x05') return proxy_errc::bad_reply;
      if (in_[1] != '\x00') return proxy_errc::auth_failed;
      in_.clear();
      out_ = std::move(socks_connect_);
      stage_ = stage::socks_connect;
      want_ = 4;
      return {};
    case stage::socks_connect: {
      //   +-----+-----+-----+------+----------+----------+
      //   | VER | REP | RSV | ATYP | BND.ADDR | BND.PORT |
      //   +-----+-----+-----+------+----------+----------+
      if (want_ == 4) {
        if (in_[0] != '\x05') return proxy_errc::bad_reply;
        reply_.socks_reply = static_cast<int>(ubyte(in_[1]));
        if (reply_.socks_reply != 0) {
          if (reply_.socks_reply <= 8) return static_cast<proxy_errc>(reply_.socks_reply);
          return proxy_errc::unknown_reply;
        }
        switch (in_[3]) {
          case '\x01': want_ = 4 + 4 + 2; return {};
          case '\x04': want_ = 4 + 16 + 2; return {};
          case '\x03': want_ = 5; return {};
          default: return proxy_errc::bad_reply;
        }
      }
      if (want_ == 5 && in_[3] == '\x03') {
        want_ = 5 + ubyte(in_[4]) + 2;
        return {};
      }
      const auto port = static_cast<std::uint16_t>(ubyte(in_[want_ - 2]) << 8 | ubyte(in_[want_ - 1]));
      if (in_[3] == '\x01') {
        sockaddr_in sin{};
        sin.sin_family = AF_INET;
        std::memcpy(&sin.sin_addr, in_.data() + 4, 4);
        sin.sin_port = htons(port);
        if (auto ep = endpoint::from_sockaddr(reinterpret_cast<const sockaddr*>(&sin), sizeof sin)) reply_.bound = *ep;
      } else if (in_[3] == '\x04') {
        sockaddr_in6 sin6{};
        sin6.sin6_family = AF_INET6;
        std::memcpy(&sin6.sin6_addr, in_.data() + 4, 16);
        sin6.sin6_port = htons(port);
        if (auto ep = endpoint::from_sockaddr(reinterpret_cast<const sockaddr*>(&sin6), sizeof sin6)) {
          reply_.bound = *ep;
        }
      }
      in_.clear();
      stage_ = stage::done;
      return {};
    }
    default: return proxy_errc::bad_reply;
  }
}

// Reads the HTTP reply a byte at a time up to the blank line that ends its header: lines end at LF
// (a CR before it is dropped; RFC 9112 lets a recipient take a bare LF). Garbage is refused as soon
// as it shows, not after 16 KiB: the reply must start with "HTTP/".
std::error_code proxy_handshake::step_http(std::string_view data, std::size_t& used) {
  static constexpr std::string_view prefix = "HTTP/";
  for (used = 0; used < data.size();) {
    char c = data[used++];
    if (++http_bytes_ > max_http_reply) return proxy_errc::reply_too_long;
    if (c == '\n') {
      if (!in_.empty() && in_.back() == '\r') in_.pop_back();
      auto ec = http_line(in_);
      in_.clear();
      if (ec || stage_ == stage::done) return ec;
      continue;
    }
    if (is_garbage(c)) return proxy_errc::bad_reply;
    in_ += c;
    if (lines_ == 0 && in_.size() <= prefix.size() && in_ != prefix.substr(0, in_.size())) {
      return proxy_errc::bad_reply;
    }
  }
  return {};
}

// One line of the header: the status line first ("HTTP/1.1 200 Connection established"), then
// fields (ignored), then the empty line. A 1xx interim response is skipped, a 2xx opens the
// tunnel (RFC 9110 section 15.3), anything else is the refusal.
std::error_code proxy_handshake::http_line(std::string_view line) {
  if (lines_++ == 0) {
    // HTTP/D.D SP DDD [SP reason]
    if (line.size() < 12 || line.substr(0, 5) != "HTTP/" || !is_digit(line[5]) || line[6] != '.' ||
        !is_digit(line[7]) || line[8] != ' ' || !is_digit(line[9]) || !is_digit(line[10]) || !is_digit(line[11]) ||
        (line.size() > 12 && line[12] != ' ')) {
      return proxy_errc::bad_reply;
    }
    reply_.http_status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
    reply_.http_status_line = std::string(line);
    if (reply_.http_status < 100 || reply_.http_status > 599) return proxy_errc::bad_reply;
    return {};
  }
  if (!line.empty()) return {};
  if (reply_.http_status >= 100 && reply_.http_status < 200 && reply_.http_status != 101) {
    lines_ = 0;
    return {};
  }
  if (reply_.http_status >= 200 && reply_.http_status < 300) {
    stage_ = stage::done;
    return {};
  }
  return proxy_errc::http_refused;
}

// ---- the blocking driver ---------------------------------------------------------------------

std::error_code proxy_connect(const socket& s, const proxy_request& req, deadline by, proxy_reply* reply) {
  auto h = proxy_handshake::start(req);
  if (!h) return h.error();
  std::array<std::byte, 4096> buf;
  std::error_code ec;
  while (!ec) {
    if (auto out = h->take_output(); !out.empty()) {
      if (auto t = send_all(s, out, by); !t) {
        ec = t.ec;
        break;
      }
    }
    if (h->done()) break;
    // Peek, then take only what the handshake used: an HTTP proxy may send the target's first
    // bytes right behind its header, and those belong to the caller's stream.
    auto n = peek_some(s, buf, by);
    if (!n) {
      ec = n.error();
      break;
    }
    auto used = h->feed(std::span<const std::byte>(buf.data(), *n));
    if (!used) {
      ec = used.error();
      break;
    }
    if (*used == 0) {  // cannot happen while the handshake waits for bytes; never spin on it
      ec = proxy_errc::bad_reply;
      break;
    }
    if (auto t = recv_exact(s, std::span<std::byte>(buf.data(), *used), by); !t) ec = t.ec;
  }
  if (reply) *reply = h->reply();
  return closed_as_proxy_error(ec);
}

}  // namespace sockit
