// Shared by every subcommand: global flags, exit codes, error lines, argument parsing helpers.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <system_error>

#include <CLI/CLI.hpp>

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
// A failed bind, in one line with a hint where the errno alone does not say what to do: for
// EACCES the lowest unprivileged port, for EADDRINUSE that someone holds it; `choose` says how to
// pick another ("choose another with --echo-port").
int bind_failure(std::string_view what, std::error_code ec, std::string_view choose);
// A malformed argument: "sockit: bad address 'x': ..." and exit_usage.
int usage_error(std::string_view what, std::string_view text, std::error_code ec);

// Exit code for an error: argument errors (bad address, bad port...) are usage errors.
int code_for(std::error_code ec);

// Parses "HOST:PORT", "[v6]:PORT", ":PORT" or "PORT"; on error prints a usage error line.
bool parse_address_arg(std::string_view text, host_port& out, int& exit);

// Every count of seconds a user types (-w, --wait, --idle-timeout, --drain-timeout) goes through
// one check: a finite decimal number, not negative (and above 0 unless zero means something), at
// most `max` (one year unless the flag says less), so converting it can never overflow.
inline constexpr double max_seconds = 365.0 * 24 * 3600;
// Why `text` is not such a number, or "" when it is: "must be a number of seconds from 0 to ...".
std::string seconds_problem(std::string_view text, bool zero_ok, double max = max_seconds);
// Parses seconds; on error prints "sockit: bad <what> '<text>': <why>" and sets exit_usage.
bool parse_seconds_arg(std::string_view what, std::string_view text, double& out, int& exit, bool zero_ok,
                       double max = max_seconds);
// The same check as a CLI11 validator for options parsed straight into a double.
CLI::Validator seconds_check(bool zero_ok, double max = max_seconds);
// A finite number from min to max (CLI::Range lets "nan" through and prints DBL_MAX bounds);
// `what` names the unit in the message ("replies per second").
CLI::Validator number_check(double min, double max, std::string what);
// Seconds as a duration: clamped to max_seconds, and a positive value never rounds down to zero.
std::chrono::milliseconds seconds_to_ms(double seconds);

// Adds --engine (auto|epoll...) to a subcommand that runs an event loop.
CLI::Option* add_engine_option(CLI::App& app, engine& e);

// Sets up spdlog on stderr with timestamps, at warn / info (-v) / debug (-vv).
void setup_logging(int verbosity);

// Writes all of `data` to fd (stdout, a pipe): loops over partial writes, retries EINTR.
std::error_code write_fd(int fd, std::string_view data);

}  // namespace sockit::cli
