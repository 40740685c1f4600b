// Argument parsing for the server subcommands.
#include "server_args.hpp"

#include <algorithm>
#include <charconv>
#include <string>

#include <fmt/core.h>
#include <CLI/CLI.hpp>

#include "../cli.hpp"
#include "sockit/error.hpp"
#include "sockit/unix.hpp"

namespace sockit::cli {

void add_server_flags(CLI::App& cmd, server_flags& f, bool per_service) {
  cmd.add_flag("-t,--tcp", f.tcp, "Serve TCP (default: TCP and UDP)");
  cmd.add_flag("-u,--udp", f.udp, "Serve UDP (default: TCP and UDP)");
  cmd.add_option("--udp-rate", f.udp_rate, "UDP replies per second per source address; 0: unlimited")
      ->check(number_check(0, 1e9, "replies per second"))
      ->capture_default_str();
  cmd.add_option("--udp-burst", f.udp_burst, "UDP replies a quiet source may draw at once")
      ->check(number_check(1, 1e9, "replies"))
      ->capture_default_str();
  cmd.add_option("--threads", f.threads,
                 "Event loops, each on its own thread with its own listening sockets (SO_REUSEPORT): "
                 "a number or 'auto' (one per core)")
      ->capture_default_str();
  cmd.add_option("--max-conns,--max-connections", f.max_connections,
                 std::string(per_service ? "Open TCP connections per service and loop"
                                         : "Open TCP connections per loop") +
                     "; more are refused (clean close). Default: as many as the descriptor limit allows "
                     "(raised to the hard limit at start)")
      ->check(int_check(1, 1000000));
  cmd.add_option("--idle-timeout", f.idle_timeout,
                 "Close a TCP connection after SECS with no byte in or out; 0: never")
      ->check(seconds_check(true))
      ->capture_default_str();
  cmd.add_option("--drain-timeout", f.drain_timeout,
                 "On SIGINT/SIGTERM, let queued output leave for up to SECS before closing")
      ->check(seconds_check(true, 3600))
      ->capture_default_str();
  add_socket_flags(cmd, f.sock, {.tcp = true, .server = true, .client = false});
}

bool parse_server_bind(const std::optional<std::string>& text, endpoint& out, bool& loopback_pair, int& exit) {
  loopback_pair = !text;
  if (loopback_pair) {
    out = endpoint::loopback_v4(0);
    return true;
  }
  if (is_unix_address_text(*text)) {
    // echo and proto serve take it as their ADDRESS; serve (four ports) refuses it before this.
    exit = fail_message(fmt::format("bad --bind address '{}': an IP address or host name (a Unix socket is "
                                    "ADDRESS: sockit echo {})",
                                    *text, *text),
                        exit_usage);
    return false;
  }
  return parse_bind_address(*text, out, exit);
}

bool apply_server_flags(const server_flags& f, host_options& ho, int& exit) {
  ho.guard.rate = f.udp_rate;
  ho.guard.burst = f.udp_burst;
  ho.sock = f.sock;
  // TCP options (--nodelay...) on a UDP-only server would apply to nothing.
  if (!check_socket_flags(ho.sock, f.tcp || !f.udp, exit)) return false;
  if (!parse_threads_arg(f.threads, ho.threads, exit)) return false;
  ho.max_connections = f.max_connections;
  // seconds_to_ms clamps, and a positive timeout never rounds down to "off".
  ho.idle_timeout = seconds_to_ms(f.idle_timeout);
  ho.drain_timeout = seconds_to_ms(f.drain_timeout);
  return true;
}

}  // namespace sockit::cli
