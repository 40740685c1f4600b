// Internal: opens a socket and binds it with the options TCP listeners and UDP sockets share.
#pragma once

#include "sockit/endpoint.hpp"
#include "sockit/result.hpp"
#include "sockit/socket.hpp"

namespace sockit::detail {

struct bind_options {
  int type;  // SOCK_STREAM or SOCK_DGRAM
  bool nonblocking;
  bool reuse_address;
  bool reuse_port;
  bool v6_only;  // for an IPv6 address: false = dual-stack
  const socket_prepare* prepare = nullptr;  // runs before bind
};

result<socket> open_bound(const endpoint& at, const bind_options& o);

}  // namespace sockit::detail
