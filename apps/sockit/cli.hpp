// Shared by every subcommand: global flags, exit codes, error and notice lines, logging. The
// argument helpers are in args.hpp.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <system_error>

#include "cli_fwd.hpp"

#include "output.hpp"
#include "sockit/endpoint.hpp"
#include "sockit/event_loop.hpp"

namespace sockit::cli {

// Exit codes, as nc and most Unix tools use them. ping keeps iputils' own codes.
enum exit_code : int {
  exit_ok = 0,
  exit_failure = 1,  // runtime failure: unknown host, refused, port in use, timeout
  exit_usage = 2,    // bad flag, malformed address, port out of range
};

struct context {
  int verbosity = 0;     // -v: info, -vv: debug
  bool hexdump = false;  // -x: dump traffic to stderr like ncat --hex-dump
  bool json = false;     // --json: machine-readable output
  // Set by the chosen subcommand's CLI11 callback; main runs it once parsing is done and
  // logging is set up, and returns its exit code.
  std::function<int()> run;
};

// Prints "sockit: <what>: <message> (ENAME)" to stderr and returns exit_failure.
int fail(std::string_view what, std::error_code ec);
// Prints "sockit: <message>" to stderr: what the user must know that is not output (where a
// server listens when the kernel chose the port).
void notice(std::string_view message);
// Prints "sockit: <message>" to stderr and returns the code.
int fail_message(std::string_view message, int code = exit_failure);
// A client given port 0 (which no server can listen on): "bad port '0': ..." and exit_usage.
int refuse_port_zero();
// Every server, once a socket is bound, says where on stderr, one line per socket:
// "sockit: listening on ADDR:PORT (tcp|udp) [SERVICE]", so scripts can start it on port 0 and
// read the port back.
void announce_listening(const endpoint& at, std::string_view proto, std::string_view service = {});
// A malformed argument: "sockit: bad address 'x': ..." and exit_usage.
int usage_error(std::string_view what, std::string_view text, std::error_code ec);

// Exit code for an error: argument errors (bad address, bad port...) are usage errors.
int code_for(std::error_code ec);

// Sets up spdlog on stderr with timestamps, at warn / info (-v) / debug (-vv).
void setup_logging(int verbosity);

// Writes all of `data` to fd (stdout, a pipe): loops over partial writes and signals.
std::error_code write_fd(int fd, std::string_view data);

}  // namespace sockit::cli
