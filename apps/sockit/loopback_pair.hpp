// The default binding of `listen` and `udp recv`: loopback in both families (127.0.0.1 and ::1 on
// one port, as `localhost` names both), or IPv4 alone where the host has no usable ::1.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

#include "sockit/endpoint.hpp"
#include "sockit/result.hpp"
#include "sockit/socket.hpp"

namespace sockit::cli {

struct bound_socket {
  socket sock;
  endpoint at;  // where it is bound (the port the kernel chose, for port 0)
};

// Binds one socket at an address (tcp_listen, udp_bind, ...).
using bind_function = std::function<result<socket>(const endpoint&)>;

// Binds 127.0.0.1:port, then ::1 on the port 127.0.0.1 got, and prints one "listening on" line per
// socket, IPv4 first. With port 0, a ::1 port already taken elsewhere makes it start over with a
// new port (a few times). Where ::1 cannot be bound at all (IPv6 disabled: EADDRNOTAVAIL,
// EAFNOSUPPORT) it keeps IPv4 alone and says so in one notice line. On failure an error line has
// been printed (bind_failure, naming `what` and the address) and its exit code is returned;
// exit_ok means `out` holds the sockets.
int bind_loopback_pair(std::uint16_t port, const bind_function& bind, std::string_view what, std::string_view proto,
                       std::vector<bound_socket>& out);

}  // namespace sockit::cli
