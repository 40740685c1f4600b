// Runs a set of services on N event loops (one per thread; each loop has its own listening
// sockets on the shared ports through SO_REUSEPORT, and its own connections): binds them all (or
// fails with one line), reports what listens where, serves until SIGINT/SIGTERM, drains (stop
// accepting, let queued output leave, up to a deadline), then reports the totals summed over the
// loops. The parts: bind_plan (which sockets, which ports), service_loops (loops, threads,
// signals, drain), service_report (what is printed). Shared by serve, echo and proto serve.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "service_report.hpp"
#include "service_spec.hpp"
#include "../socket_flags.hpp"
#include "../unix_flags.hpp"
#include "sockit/endpoint.hpp"
#include "sockit/event_loop.hpp"
#ifdef __linux__
#include "sockit/uring_stream_server.hpp"
#endif
#include "udp_guard.hpp"

namespace sockit::cli {

struct host_options {
  endpoint bind;  // address only; each service sets its port
  bool loopback_pair = false;  // the default: also ::1 on each port 127.0.0.1 got (see bind_plan)
  engine eng = engine::automatic;
  udp_guard_options guard;
  socket_flags sock;  // every listening socket's options (TCP ones on the TCP listeners only)
  // Per service and loop; 0: as many as the descriptor limit leaves room for (after raising it).
  std::size_t max_connections = 0;
  int threads = 1;                     // event loops; 0: one per core
  std::chrono::milliseconds idle_timeout{0};     // 0: never
  std::chrono::milliseconds drain_timeout{5000};  // graceful stop deadline
  bool json = false;
  // A unix: address (echo, proto serve) instead of `bind`: the first service alone, on one socket
  // of one loop (a Unix socket has no SO_REUSEPORT), bound by unix_flags' listen_unix (the
  // stale-file rule, --mode, the file removed at exit). With unix.dgram its UDP responder answers
  // on a datagram socket, else its TCP handler serves a stream listener.
  std::optional<unix_address> unix_at;
  unix_flags unix;
  // --tls (echo, proto serve): every TCP service runs its tls_hooks, each client's handshake first.
  // TCP on IP addresses only (the commands refuse UDP and unix: with it).
  const tls_context* tls = nullptr;
  std::chrono::milliseconds tls_handshake_timeout{0};  // with tls: see tcp_service_options
  // The TCP side on completions (completion_server.hpp) when the engine is iocp (or auto) on
  // Windows, uring on Linux, and nothing asks for what that server lacks: echo's, and proto
  // serve's through completion_sessions (Linux).
  bool completion = false;
#ifdef __linux__
  stream_session_factory completion_sessions;  // empty: the completion server echoes
#endif
};

// The number of loops for host_options::threads: itself, or one per core for 0.
int resolve_threads(int requested);

// host_options::max_connections 0: the descriptor soft limit in force, less a few for the loops,
// listeners and logs. No loop can hold more open at once anyway; past it the acceptor sheds.
std::size_t max_connections_for(std::uint64_t fd_soft_limit);

// Returns the process exit code. The first form reports with serve's table (make_table_report).
int run_services(const host_options& opts, const std::vector<service_spec>& specs);
int run_services(const host_options& opts, const std::vector<service_spec>& specs, service_report& report);

}  // namespace sockit::cli
