// Runs a set of classic services on one event loop: binds them all (or fails with one line),
// prints what listens where, serves until SIGINT/SIGTERM, then prints per-service totals.
// Shared by `sockit serve` and `sockit echo`.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sockit/endpoint.hpp"
#include "sockit/event_loop.hpp"
#include "tcp_service.hpp"
#include "udp_guard.hpp"
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
};

struct host_options {
  endpoint bind;  // address only; each service sets its port
  engine eng = engine::automatic;
  udp_guard_options guard;
  std::size_t max_connections = 1000;
  bool json = false;
};

// Returns the process exit code.
int run_services(const host_options& opts, const std::vector<service_spec>& specs);

}  // namespace sockit::cli
