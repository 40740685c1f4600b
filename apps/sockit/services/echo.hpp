// RFC 862 echo: every byte that arrives goes back. Over TCP until the client's EOF (then the
// connection half-closes in turn); the connection's backpressure bounds memory for a client that
// sends but never reads. Over UDP, each datagram is returned as it came.
#pragma once

#include "tcp_service.hpp"
#include "udp_service.hpp"

namespace sockit::cli {

// Conn: tcp_connection, or tls_stream for echo --tls.
template <class Conn>
void echo_open(Conn& c) {
  c.on_data([](Conn& conn, buffer& input) {
    conn.send(input.readable());
    input.clear();
  });
  // The default EOF handling is what RFC 862 needs: finish echoing, then half-close.
}
udp_service::responder echo_responder();

}  // namespace sockit::cli
