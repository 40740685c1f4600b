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
  // Not a numeric address: let the host:port parser judge the syntax of a name.
  bool numeric_looking = !host.empty() && host.find_first_not_of("0123456789.") == std::string::npos;
  bool has_colon = host.find(':') != std::string::npos;
  auto hp = parse_host_port(host + ":0");
  if (host.empty() || numeric_looking || has_colon || !hp || hp->host != host) {
    exit = usage_error("bad " + std::string(what), text,
                       hp ? make_error_code(errc::bad_host) : hp.error());
    return false;
  }
  resolve_options ro;
  ro.passive = true;
  auto r = resolve(host, 0, ro);
  if (!r) {
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
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd.add_option("--udp-burst", f.udp_burst, "UDP replies a quiet source may draw at once")
      ->check(CLI::Range(1.0, 1e9))
      ->capture_default_str();
  cmd.add_option("--threads", f.threads,
                 "Event loops, each on its own thread with its own listening sockets (SO_REUSEPORT): "
                 "a number or 'auto' (one per core)")
      ->capture_default_str();
  cmd.add_option("--max-conns,--max-connections", f.max_connections,
                 per_service ? "Open TCP connections per service and loop; more are refused (clean close)"
                             : "Open TCP connections per loop; more are refused (clean close)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1000000}))
      ->capture_default_str();
  cmd.add_option("--idle-timeout", f.idle_timeout,
                 "Close a TCP connection after SECS with no byte in or out; 0: never")
      ->check(CLI::Range(0.0, 86400.0 * 365))
      ->capture_default_str();
  cmd.add_option("--drain-timeout", f.drain_timeout,
                 "On SIGINT/SIGTERM, let queued output leave for up to SECS before closing")
      ->check(CLI::Range(0.0, 3600.0))
      ->capture_default_str();
}

bool apply_server_flags(const server_flags& f, host_options& ho, int& exit) {
  ho.guard.rate = f.udp_rate;
  ho.guard.burst = f.udp_burst;
  if (f.threads == "auto") {
    ho.threads = 0;
  } else {
    int n = 0;
    auto* end = f.threads.data() + f.threads.size();
    auto [p, ec] = std::from_chars(f.threads.data(), end, n);
    if (ec != std::errc{} || p != end || n < 1 || n > 1024) {
      exit = fail_message("bad --threads '" + f.threads + "': a number from 1 to 1024 or 'auto'", exit_usage);
      return false;
    }
    ho.threads = n;
  }
  ho.max_connections = f.max_connections;
  using ms = std::chrono::milliseconds;
  // A positive timeout never rounds down to "off".
  ho.idle_timeout = f.idle_timeout > 0 ? std::max(ms(1), ms(static_cast<std::int64_t>(f.idle_timeout * 1000))) : ms(0);
  ho.drain_timeout = ms(static_cast<std::int64_t>(f.drain_timeout * 1000));
  return true;
}

}  // namespace sockit::cli
