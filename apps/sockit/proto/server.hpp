// `sockit proto serve`: the chapter's framed command protocol served by the service host (as serve
// and echo: loops, limits, idle closes, graceful stop), for many clients at once. Each response is
// encoded whole (header + payload) before one send; bad input gets a RESP_ERROR frame with the
// reason, then a FIN and a bounded drain of the peer's input, so the close is never a RST while
// the peer is still sending.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>

#include "../socket_flags.hpp"
#include "../unix_flags.hpp"
#include "sockit/endpoint.hpp"
#include "sockit/event_loop.hpp"
#include "sockit/tls_context.hpp"

namespace sockit::cli::proto {

struct server_options {
  endpoint at;
  bool loopback_pair = false;  // the default: 127.0.0.1 and ::1 (see services/bind_plan)
  engine eng = engine::automatic;
  std::size_t max_payload = 4096;       // v1 limit, requests and responses (at most 65535)
  std::size_t max_payload_v2 = 1 << 20;
  bool v2 = false;                      // also accept v2 frames (detected by their magic)
  int threads = 1;                      // event loops sharing the port; 0: one per core
  std::size_t max_connections = 0;      // per loop, more are refused (clean close); 0: the fd limit
  double idle_timeout = 0;              // seconds; 0: never
  // Seconds to read-and-discard after an error or QUIT, and the graceful stop's deadline.
  double drain_timeout = 2;
  std::string time_format;              // strftime; empty: ISO 8601 with the UTC offset
  bool json = false;
  socket_flags sock;  // the listeners' options (--nodelay, --rcvbuf...), checked by the caller
  // proto serve unix:/path (or unix:@name): a Unix stream socket instead of `at`, checked by the
  // caller (check_unix_args; --mode in `unix`).
  std::optional<unix_address> unix_at;
  unix_flags unix;
  const tls_context* tls = nullptr;  // --tls: every client's TLS handshake first (TCP on IP only)
  std::chrono::milliseconds tls_handshake_timeout{0};  // --tls-handshake-timeout; 0: never
};

// Runs until SIGINT/SIGTERM (the first drains, a second stops at once); prints the listening
// address first and the totals last. Returns the exit code.
int run_server(const server_options& opts);

}  // namespace sockit::cli::proto
