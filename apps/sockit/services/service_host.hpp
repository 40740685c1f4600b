// Runs a set of classic services on N event loops (one per thread; each loop has its own
// listening sockets on the shared ports through SO_REUSEPORT, and its own connections): binds them
// all (or fails with one line), prints what listens where, serves until SIGINT/SIGTERM, drains
// (stop accepting, let queued output leave, up to a deadline), then prints per-service totals
// summed over the loops. Shared by `sockit serve` and `sockit echo`.
#pragma once

#include <chrono>
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
  std::size_t max_connections = 1000;  // per service and loop
  int threads = 1;                     // event loops; 0: one per core
  std::chrono::milliseconds idle_timeout{0};     // 0: never
  std::chrono::milliseconds drain_timeout{5000};  // graceful stop deadline
  bool json = false;
};

// The number of loops for host_options::threads: itself, or one per core for 0.
int resolve_threads(int requested);

// Returns the process exit code.
int run_services(const host_options& opts, const std::vector<service_spec>& specs);

}  // namespace sockit::cli
