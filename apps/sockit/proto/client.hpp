// `sockit proto call`: a client for the framed command protocol. One command from the arguments
// (repeated with --count, like ping), or commands line by line from stdin: a REPL on a terminal,
// pipelined when stdin is a pipe. Reads whole frames however the server splits them (the
// chapter's server sends header and payload as two segments).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "../socket_flags.hpp"
#include "../tls_flags.hpp"

namespace sockit::cli::proto {

struct client_options {
  std::string address;              // HOST:PORT
  std::vector<std::string> words;   // the command and its text; empty: read stdin
  bool v2 = false;
  bool json = false;
  bool hexdump = false;
  double timeout = 10;              // connect, and each response
  double heartbeat = 0;             // seconds; 0: off
  long count = 1;
  bool count_given = false;
  double interval = 1;
  std::size_t max_payload = 65535;  // largest response accepted (v1 cannot say more)
  std::size_t max_payload_v2 = 1 << 20;
  std::string never_filled;         // storage for a parsing device in cmd_proto.cpp
  socket_flags sock;                // --nodelay, -s, ...: the socket's options
  tls_flags tls;                    // --tls, --tls-ca, --tls-insecure...: TCP only
};

int run_client(const client_options& opts);

}  // namespace sockit::cli::proto
