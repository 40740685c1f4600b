// sockit echo: an RFC 862 echo server over TCP and UDP (both unless one is chosen), on the event
// loop, until SIGINT/SIGTERM. The same service as serve's echo, run alone.
#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "args.hpp"
#include "commands.hpp"
#include "services/echo.hpp"
#include "services/server_args.hpp"
#include "services/service_host.hpp"

namespace sockit::cli {

namespace {
struct echo_args {
  std::optional<std::string> bind;  // not given: loopback, both families
  std::string port = "7007";
  server_flags srv;
  engine eng = engine::automatic;
};

int run_echo(const echo_args& a, bool json) {
  int code = exit_ok;
  host_options ho;
  if (!parse_server_bind(a.bind, ho.bind, ho.loopback_pair, code)) return code;
  std::uint16_t port = 0;
  transport names_for = a.srv.udp && !a.srv.tcp ? transport::udp : transport::tcp;  // a port name's lookup
  if (!parse_port_option("--port", a.port, port, code, names_for)) return code;
  ho.eng = a.eng;
  ho.json = json;
  if (!apply_server_flags(a.srv, ho, code)) return code;
  bool both = a.srv.tcp == a.srv.udp;
  return run_services(ho, {{"echo", port, "--port", both || a.srv.tcp, both || a.srv.udp, echo_open, echo_responder(), {}, {}}});
}
}  // namespace

void setup_echo(CLI::App& cmd, context& ctx) {
  auto a = std::make_shared<echo_args>();
  cmd.add_option("-p,--port", a->port, "Port for both protocols; 0: a free port (the same for both when it can)")->capture_default_str();
  cmd.add_option("-b,--bind", a->bind, bind_help);
  add_server_flags(cmd, a->srv, false);
  add_engine_option(cmd, a->eng);
  cmd.footer(
      "UDP replies leave from the port the datagram came to; datagrams from source ports below 1024\n"
      "get no reply, and replies are rate-limited per source address.\n"
      "Examples:\n"
      "  sockit echo                        # TCP and UDP on 127.0.0.1:7007\n"
      "  sockit echo --tcp --port 9000      # TCP only\n"
      "  sockit echo --bind :: --udp        # UDP on every IPv4 and IPv6 address\n"
      "  sockit echo --tcp --threads 2      # two loops sharing the port\n"
      "  sockit echo --idle-timeout 10      # close connections silent for 10 s\n"
      "  nc -N 127.0.0.1 7007 < file        # a client");
  cmd.callback([a, &ctx] { ctx.run = [a, &ctx] { return run_echo(*a, ctx.json); }; });
}

}  // namespace sockit::cli
