// `sockit listen -k` over TCP: many clients at once on one event loop, as ncat's --keep-open (stdin
// to every client, what each client sends to stdout) and --broker (each client's input to all the
// others). Private to the CLI.
#pragma once

#include <chrono>

#include <cstddef>
#include <vector>

#include "hexdump.hpp"
#include "loopback_pair.hpp"
#include "listen_gate.hpp"
#include "sockit/tls_context.hpp"

namespace sockit::cli {

struct hub_options {
  bool broker = false;  // --broker: clients talk to each other; nothing goes to stdout
  listen_gate gate;
  // Bytes queued for one client (beyond what its kernel buffers took) before stdin, and in broker
  // mode every client, is no longer read until it drains.
  std::size_t queue_limit = 1 << 20;
  // A client whose queue is full and that takes no byte for this long is dropped, so one that never
  // reads cannot stall the others for good (--send-timeout sets it).
  double stall_seconds = 5;
  double recv_timeout = -1;    // --recv-timeout: drop a client silent this long; <= 0: never
  double quit_after_eof = -1;  // -q: exit this long after stdin's end; < 0: keep serving
  double line_interval = -1;   // -i: stdin a line at a time, this long apart; <= 0: as it comes
  bool crlf = false;           // -C
  bool send_only = false;      // clients' input is read and dropped
  bool recv_only = false;      // stdin is never read, clients are never half-closed
  const tls_context* tls = nullptr;  // --tls: every client gets a TLS handshake first
  // --tls-handshake-timeout: a client whose handshake is not done by then is dropped; 0: never.
  std::chrono::milliseconds tls_handshake_timeout{0};
};

// Serves the bound TCP `listeners` until a first Ctrl+C/SIGTERM (exit 0; a second one exits 130),
// -q after stdin's end, or stdout failing (exit 0, main reports it). Returns an exit code; errors
// have been printed.
int run_listen_hub(std::vector<bound_socket>& listeners, const hub_options& o, traffic_dumper& dump);

}  // namespace sockit::cli
