// sockit serve: the classic small services (echo, discard, daytime, chargen) over TCP and UDP on
// one event loop (or N with --threads), with the UDP reflection guard, until SIGINT/SIGTERM.
#include <memory>
#include <string>
#include <vector>

#include <fmt/core.h>
#include <CLI/CLI.hpp>

#include "args.hpp"
#include "cli.hpp"
#include "commands.hpp"
#include "services/chargen.hpp"
#include "services/daytime.hpp"
#include "services/discard.hpp"
#include "services/echo.hpp"
#include "services/server_args.hpp"
#include "services/service_host.hpp"
#include "sockit/unix.hpp"

namespace sockit::cli {

namespace {

struct serve_args {
  std::optional<std::string> bind;  // not given: loopback, both families
  std::string echo_port = "7007", discard_port = "9009", daytime_port = "13013", chargen_port = "19019";
  bool standard_ports = false;
  std::vector<std::string> services{"echo", "discard", "daytime", "chargen"};
  server_flags srv;
  engine eng = engine::automatic;
  CLI::Option* port_opts[4] = {};
  std::vector<std::string> stray;  // a hidden positional: an address typed where none is taken
};

int run_serve(const serve_args& a, bool json) {
  int code = exit_ok;
  // Four services on four ports: no Unix socket (one path cannot hold four services).
  for (const std::string* text : {a.bind ? &*a.bind : nullptr, a.stray.empty() ? nullptr : &a.stray.front()}) {
    if (text && is_unix_address_text(*text)) {
      return fail_message(fmt::format("serve takes no unix: address ('{}'): it runs four services on four ports; "
                                      "sockit echo {} serves echo on a Unix socket",
                                      *text, *text),
                          exit_usage);
    }
  }
  if (!a.stray.empty()) {
    return fail_message(fmt::format("unexpected argument '{}' for 'sockit serve' (see 'sockit serve --help')",
                                    a.stray.front()),
                        exit_usage);
  }
  host_options ho;
  if (!parse_server_bind(a.bind, ho.bind, ho.loopback_pair, code)) return code;
  ho.eng = a.eng;
  ho.json = json;
  if (!apply_server_flags(a.srv, ho, code)) return code;

  struct def {
    const char* name;
    const std::string* port_text;
    const char* flag;
    std::uint16_t standard;
    tcp_service::open_handler open;
    udp_service::responder respond;
  };
  const def defs[] = {
      {"echo", &a.echo_port, "--echo-port", 7, echo_open<tcp_connection>, echo_responder()},
      {"discard", &a.discard_port, "--discard-port", 9, discard_open, discard_responder()},
      {"daytime", &a.daytime_port, "--daytime-port", 13, daytime_open, daytime_responder()},
      {"chargen", &a.chargen_port, "--chargen-port", 19, chargen_open, chargen_responder()},
  };
  bool both = a.srv.tcp == a.srv.udp;  // neither flag (or both): both protocols
  transport names_for = a.srv.udp && !a.srv.tcp ? transport::udp : transport::tcp;  // a port name's lookup
  std::vector<service_spec> specs;
  for (std::size_t i = 0; i < 4; ++i) {
    const auto& d = defs[i];
    std::uint16_t port = 0;
    if (!parse_port_option(d.flag, *d.port_text, port, code, names_for)) return code;
    if (a.standard_ports && a.port_opts[i]->count() == 0) port = d.standard;
    bool wanted = false;
    for (const auto& s : a.services) wanted = wanted || s == d.name;
    if (!wanted) continue;
    specs.push_back({d.name, port, d.flag, both || a.srv.tcp, both || a.srv.udp, d.open, d.respond, {}, {}, {}});
  }
  return run_services(ho, specs);
}

}  // namespace

void setup_serve(CLI::App& cmd, context& ctx) {
  auto a = std::make_shared<serve_args>();
  cmd.add_option("-b,--bind", a->bind, bind_help);
  cmd.add_option("stray", a->stray, "")->group("");
  a->port_opts[0] = cmd.add_option("--echo-port", a->echo_port, "Echo (RFC 862) port; 0: any free port")->capture_default_str();
  a->port_opts[1] = cmd.add_option("--discard-port", a->discard_port, "Discard (RFC 863) port")->capture_default_str();
  a->port_opts[2] = cmd.add_option("--daytime-port", a->daytime_port, "Daytime (RFC 867) port")->capture_default_str();
  a->port_opts[3] = cmd.add_option("--chargen-port", a->chargen_port, "Chargen (RFC 864) port")->capture_default_str();
  cmd.add_flag("-S,--standard-ports", a->standard_ports,
               "Use the well-known ports 7, 9, 13, 19 (needs root or CAP_NET_BIND_SERVICE); "
               "an explicit --<service>-port still wins");
  cmd.add_option("-s,--services", a->services, "Comma-separated services to run (default: all)")
      ->delimiter(',')
      ->check(CLI::IsMember({"echo", "discard", "daytime", "chargen"}))
      ->default_str("echo,discard,daytime,chargen");
  add_server_flags(cmd, a->srv, true);
  add_engine_option(cmd, a->eng);
  cmd.footer(
      "Default ports: echo 7007, discard 9009, daytime 13013, chargen 19019 (TCP and UDP each).\n"
      "UDP services never answer source ports below 1024 and rate-limit replies per source address.\n"
      "Ctrl+C (SIGINT) or SIGTERM stops accepting, drains queued output (--drain-timeout), prints totals.\n"
      "Examples:\n"
      "  sockit serve                              # all four services on 127.0.0.1\n"
      "  sockit serve --bind :: --echo-port 7777   # every address, IPv4 and IPv6\n"
      "  sockit serve --services echo,daytime --tcp\n"
      "  sudo sockit serve --standard-ports        # 7, 9, 13, 19\n"
      "  sockit serve --threads auto --max-conns 10000  # one loop per core\n"
      "  sockit serve --idle-timeout 30 --drain-timeout 2\n"
      "  sockit --json serve --echo-port 0         # any free port, table and totals as JSON");
  cmd.callback([a, &ctx] { ctx.run = [a, &ctx] { return run_serve(*a, ctx.json); }; });
}

}  // namespace sockit::cli
