// RFC 862 echo.
#include "echo.hpp"

namespace sockit::cli {

void echo_open(tcp_connection& c) {
  c.on_data([](tcp_connection& conn, buffer& input) {
    conn.send(input.readable());
    input.clear();
  });
  // The default EOF handling is what RFC 862 needs: finish echoing, then half-close.
}

udp_service::responder echo_responder() {
  return [](std::span<const std::byte> in, std::string& reply) {
    reply.assign(reinterpret_cast<const char*>(in.data()), in.size());
    return true;
  };
}

}  // namespace sockit::cli
