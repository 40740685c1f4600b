// Argument parsing shared by the server subcommands (serve, echo, udp recv): the --bind address
// and port options, and the load/abuse options of serve and echo (--threads, --max-conns,
// --idle-timeout, --drain-timeout), with the CLI's error lines and exit codes.
#pragma once

#include <cstdint>
#include <string_view>

#include <CLI/CLI.hpp>

#include "service_host.hpp"
#include "sockit/endpoint.hpp"

namespace sockit::cli {

// "127.0.0.1", "::1", "[::1]", "0.0.0.0", "::" or a host name ("localhost"). Malformed text is a
// usage error (exit 2); a name that does not resolve is a runtime failure (exit 1). Text that
// could only be a mistyped address (digits and dots, "127.1") never reaches a resolver.
bool parse_bind_address(std::string_view text, endpoint& out, int& exit, std::string_view what = "--bind address");

// A port option's value "0".."65535"; otherwise a usage error naming the flag.
bool parse_port_option(std::string_view flag, std::string_view text, std::uint16_t& out, int& exit);

// --threads: "1".."1024", or "auto" (0: one per core); otherwise a usage error.
bool parse_threads_option(std::string_view text, int& out, int& exit);

// The options serve and echo share: protocols, the UDP guard, loops, limits and stopping.
struct server_flags {
  bool tcp = false, udp = false;  // neither (or both): serve both protocols
  double udp_rate = 50, udp_burst = 100;
  std::string threads = "1";
  std::size_t max_connections = 0;  // 0: as many as the descriptor limit allows
  double idle_timeout = 0;   // seconds; 0: off
  double drain_timeout = 5;  // seconds
};
// `per_service`: serve's limit is per service ("Open TCP connections per service").
void add_server_flags(CLI::App& cmd, server_flags& f, bool per_service);
// Fills ho's guard/threads/limits/timeouts; false (with `exit` set) on a bad --threads.
bool apply_server_flags(const server_flags& f, host_options& ho, int& exit);

}  // namespace sockit::cli
