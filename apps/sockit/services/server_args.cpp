// Argument parsing for the server subcommands.
#include "server_args.hpp"

#include <algorithm>
#include <charconv>
#include <string>

#include "../cli.hpp"
#include "sockit/error.hpp"

namespace sockit::cli {

bool parse_bind_address(std::string_view text, endpoint& out, int& exit, std::string_view what) {
  std::string host(text);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host.empty()) {
    exit = usage_error("bad " + std::string(what), text, make_error_code(errc::bad_host));
    return false;
  }
  if (auto e = endpoint::numeric(host, 0)) {
    out = *e;
    return true;
  }
  // Not a numeric address: let the host:port parser judge the syntax of a name. Text that only
  // looks like an address ("127.1", "1.2.3.4.5", "1:2:zz") is refused by resolve() as bad_host.
  auto hp = parse_host_port(host + ":0");
  if (!hp || hp->host != host) {
    exit = usage_error("bad " + std::string(what), text,
                       hp ? make_error_code(errc::bad_host) : hp.error());
    return false;
  }
  resolve_options ro;
  ro.passive = true;
  auto r = resolve(host, 0, ro);
  if (!r) {
    if (code_for(r.error()) == exit_usage) {
      exit = usage_error("bad " + std::string(what), text, r.error());
      return false;
    }
    exit = fail("resolve " + host, r.error());
    return false;
  }
  if (r->empty()) {
    exit = fail("resolve " + host, make_error_code(errc::no_addresses));
    return false;
  }
  out = r->front();
  return true;
}

bool parse_port_option(std::string_view flag, std::string_view text, std::uint16_t& out, int& exit) {
  auto p = parse_port(text);
  if (!p) {
    exit = usage_error("bad " + std::string(flag), text, p.error());
    return false;
  }
  out = *p;
  return true;
}

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
      ->check(CLI::Range(std::size_t{1}, std::size_t{1000000}));
  cmd.add_option("--idle-timeout", f.idle_timeout,
                 "Close a TCP connection after SECS with no byte in or out; 0: never")
      ->check(seconds_check(true))
      ->capture_default_str();
  cmd.add_option("--drain-timeout", f.drain_timeout,
                 "On SIGINT/SIGTERM, let queued output leave for up to SECS before closing")
      ->check(seconds_check(true, 3600))
      ->capture_default_str();
}

bool parse_threads_option(std::string_view text, int& out, int& exit) {
  if (text == "auto") {
    out = 0;
    return true;
  }
  int n = 0;
  auto* end = text.data() + text.size();
  auto [p, ec] = std::from_chars(text.data(), end, n);
  if (ec != std::errc{} || p != end || n < 1 || n > 1024) {
    exit = fail_message("bad --threads '" + std::string(text) + "': a number from 1 to 1024 or 'auto'", exit_usage);
    return false;
  }
  out = n;
  return true;
}

bool apply_server_flags(const server_flags& f, host_options& ho, int& exit) {
  ho.guard.rate = f.udp_rate;
  ho.guard.burst = f.udp_burst;
  if (!parse_threads_option(f.threads, ho.threads, exit)) return false;
  ho.max_connections = f.max_connections;
  // seconds_to_ms clamps, and a positive timeout never rounds down to "off".
  ho.idle_timeout = seconds_to_ms(f.idle_timeout);
  ho.drain_timeout = seconds_to_ms(f.drain_timeout);
  return true;
}

}  // namespace sockit::cli
