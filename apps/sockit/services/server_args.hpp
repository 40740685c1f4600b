// The options the server subcommands share (serve, echo): the load/abuse options (--threads,
// --max-conns, --idle-timeout, --drain-timeout). Address and port helpers are in ../args.hpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "../cli_fwd.hpp"

#include "../args.hpp"
#include "../socket_flags.hpp"
#include "service_host.hpp"
#include "sockit/endpoint.hpp"

namespace sockit::cli {

// --bind: empty (the default) is loopback in both families, 127.0.0.1 and ::1 on one port per
// service (`loopback_pair`); any other text binds exactly that address.
bool parse_server_bind(const std::optional<std::string>& text, endpoint& out, bool& loopback_pair, int& exit);
inline constexpr const char* bind_help =
    "Address to listen on (default: loopback, 127.0.0.1 and ::1; :: for every IPv4 and IPv6 address)";

// The options serve and echo share: protocols, the UDP guard, loops, limits and stopping.
struct server_flags {
  bool tcp = false, udp = false;  // neither (or both): serve both protocols
  double udp_rate = 50, udp_burst = 100;
  socket_flags sock;  // --nodelay, --rcvbuf...: every listening socket's options
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
