// One service as the host runs it: its name, its port, which protocols, and what it does with a
// connection or a datagram. A new service (relay, multicast, ping...) is a new one of these, not a
// new server.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <system_error>

#include "tcp_service.hpp"
#include "udp_service.hpp"

namespace sockit::cli {

struct service_spec {
  std::string name;
  std::uint16_t port = 0;  // 0: the kernel picks one (the table shows it)
  std::string port_flag;   // the option that sets it, for error hints ("--echo-port")
  bool tcp = true;
  bool udp = true;
  tcp_service::open_handler on_open;
  udp_service::responder respond;
  // Optional TCP hooks (see tcp_handler): a close, and an idle connection the service should not
  // simply close.
  std::function<void(tcp_connection&, std::error_code)> on_close;
  std::function<void(tcp_connection&)> on_idle;

  // The same service over TLS (echo, proto serve: their handlers are templates on the connection
  // type); empty for a service that has no TLS form.
  tls_handler tls_hooks;

  tcp_handler tcp_hooks() const { return {on_open, on_close, on_idle}; }
};

}  // namespace sockit::cli
