// RFC 862 echo: every byte that arrives goes back. Over TCP until the client's EOF (then the
// connection half-closes in turn); the connection's backpressure bounds memory for a client that
// sends but never reads. Over UDP, each datagram is returned as it came.
#pragma once

#include "tcp_service.hpp"
#include "udp_service.hpp"

namespace sockit::cli {

void echo_open(tcp_connection& c);
udp_service::responder echo_responder();

}  // namespace sockit::cli
