// sockit/tcp.hpp: TCP connect with a deadline, listen and accept.
#pragma once

#include <functional>
#include <span>
#include <string_view>

#include "sockit/deadline.hpp"
#include "sockit/endpoint.hpp"
#include "sockit/result.hpp"
#include "sockit/socket.hpp"

namespace sockit {

// Connects within the deadline (non-blocking connect, poll, SO_ERROR). The returned socket is
// blocking again unless `nonblocking` is set. `prepare` runs on the socket before it connects.
result<socket> tcp_connect(const endpoint& to, deadline by = {}, bool nonblocking = false,
                           const socket_prepare& prepare = {});

// The two halves of a non-blocking connect, for callers that run many at once (a port probe)
// or prepare the socket first (bind to a source address). connect_start on a non-blocking
// socket returns {} when connected at once, std::errc::operation_in_progress while the handshake
// runs (wait for writability, e.g. wait_writable or wait_any), or the error. connect_finish then
// says how it ended (SO_ERROR, which reading clears): {} for connected, or the error.
std::error_code connect_start(const socket& s, const endpoint& to);
std::error_code connect_finish(const socket& s);

// Tries each address in order until one connects, sharing the deadline; the error is the last
// address's. `connected_to`, if given, receives the address that answered; `prepare` runs on each
// attempt's socket before it connects (its error ends the whole call: it is not the address's).
result<socket> tcp_connect(std::span<const endpoint> candidates, deadline by = {},
                           endpoint* connected_to = nullptr, const socket_prepare& prepare = {});

// Everything a connect may be told; the overloads above are shorthands for it.
struct connect_options {
  deadline by;                       // shared by all the candidates
  bool nonblocking = false;          // leave the connected socket non-blocking
  endpoint* connected_to = nullptr;  // receives the address that answered
  socket_prepare prepare;            // runs on each attempt's socket before it connects
  // Asked before each wait of at most 200 ms while a handshake is pending: true ends the call
  // with std::errc::operation_canceled. For a caller whose signal handlers only raise a flag
  // (Ctrl+C must not wait for the deadline behind a port that drops SYNs).
  std::function<bool()> stop;
};

result<socket> tcp_connect(std::span<const endpoint> candidates, const connect_options& opts);

// Resolves host (see resolve()) and connects to the first address that answers.
result<socket> tcp_connect(std::string_view host, std::uint16_t port, ip_family family = ip_family::any,
                           deadline by = {}, endpoint* connected_to = nullptr, const socket_prepare& prepare = {});

struct listen_options {
  int backlog = 511;
  bool reuse_address = true;  // SO_REUSEADDR: restart while old connections sit in TIME_WAIT
  bool reuse_port = false;    // SO_REUSEPORT: several listeners share the port
  bool v6_only = false;       // for [::]: false = dual-stack (also accepts IPv4-mapped peers)
  bool nonblocking = false;
  socket_prepare prepare;     // runs before bind
};

result<socket> tcp_listen(const endpoint& at, const listen_options& opts = {});

struct accept_options {
  bool nonblocking = false;
  endpoint* peer = nullptr;  // receives the peer address if given
};

// accept4 with SOCK_CLOEXEC, retrying EINTR and the transient errors accept(2) says to retry.
// On a non-blocking listener with nothing pending: errc::would_block (which compares equal to
// std::errc::resource_unavailable_try_again).
result<socket> tcp_accept(const socket& listener, const accept_options& opts = {});

}  // namespace sockit
