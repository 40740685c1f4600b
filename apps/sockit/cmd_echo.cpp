// sockit echo: an RFC 862 echo server over TCP and UDP (both unless one is chosen), or on a Unix
// socket (echo unix:/path), on the event loop, until SIGINT/SIGTERM. The same service as serve's
// echo, run alone.
#include <memory>
#include <string>
#include <vector>

#include <fmt/core.h>
#include <CLI/CLI.hpp>

#include "args.hpp"
#include "cli.hpp"
#include "commands.hpp"
#include "services/echo.hpp"
#include "services/server_args.hpp"
#include "services/service_host.hpp"
#include "tls_flags.hpp"
#include "unix_flags.hpp"

namespace sockit::cli {

namespace {
struct echo_args {
  std::optional<std::string> bind;  // not given: loopback, both families
  std::string port = "7007";
  std::string address;  // unix:/path or unix:@name (the only positional)
  server_flags srv;
  engine eng = engine::automatic;
  unix_flags unix;  // --unix-dgram, --mode
  tls_flags tls;    // --tls --tls-cert --tls-key (tls_flags.hpp): TCP only
  // Options that mean nothing with a unix: address (refused, naming the first given).
  std::vector<CLI::Option*> ip_only;
};

// echo unix:/path: one socket, the same service (echo_open / echo_responder) on the same host.
int run_echo_unix(const echo_args& a, bool json) {
  int code = exit_ok;
  for (auto* o : a.ip_only) {
    if (o->count() > 0) {
      std::string hint = o->get_name() == "--udp" ? " (--unix-dgram for a datagram socket)" : "";
      return fail_message(fmt::format("{} has no meaning with a unix: address{}", o->get_name(), hint), exit_usage);
    }
  }
  host_options ho;
  ho.unix = a.unix;
  unix_address at;
  if (!check_unix_args(a.address, ho.unix, a.srv.sock, at, code)) return code;
  ho.unix_at = at;
  ho.eng = a.eng;
  ho.json = json;
  if (!apply_server_flags(a.srv, ho, code)) return code;
  const bool dgram = ho.unix.dgram;
  return run_services(ho, {{"echo", 0, "ADDRESS", !dgram, dgram, echo_open<tcp_connection>, echo_responder(), {}, {}, {}}});
}

int run_echo(const echo_args& a, bool json) {
  int code = exit_ok;
  // TLS is for the TCP service: --udp, --unix-dgram and a unix: address are refused by name.
  tls_flags tf = a.tls;
  const char* no_tls = a.srv.udp ? "--udp (echo --tls is TCP only)"
                       : a.unix.dgram ? "--unix-dgram"
                       : !a.address.empty() ? "a unix: address (echo --tls is TCP on IP addresses)"
                                            : nullptr;
  if (!check_tls_flags(tf, true, no_tls, code)) return code;
  if (!a.address.empty()) {
    if (is_unix_address_text(a.address)) return run_echo_unix(a, json);
    return fail_message(fmt::format("bad address '{}': echo takes unix:/path or unix:@name here (an IP address: "
                                    "--bind ADDR --port PORT)",
                                    a.address),
                        exit_usage);
  }
  {  // --unix-dgram or --mode without a unix: address
    unix_flags uf = a.unix;
    unix_address unused;
    if (!check_unix_args({}, uf, a.srv.sock, unused, code)) return code;
  }
  host_options ho;
  if (!parse_server_bind(a.bind, ho.bind, ho.loopback_pair, code)) return code;
  std::uint16_t port = 0;
  transport names_for = a.srv.udp && !a.srv.tcp ? transport::udp : transport::tcp;  // a port name's lookup
  if (!parse_port_option("--port", a.port, port, code, names_for)) return code;
  ho.eng = a.eng;
  ho.json = json;
  ho.completion = true;  // TCP on the completion server (IOCP, io_uring) when it fits
  if (!apply_server_flags(a.srv, ho, code)) return code;
  bool both = a.srv.tcp == a.srv.udp && !tf.on;
  service_spec spec{"echo", port, "--port", both || a.srv.tcp || tf.on, both || a.srv.udp, echo_open<tcp_connection>,
                    echo_responder(), {}, {}, {}};
  spec.tls_hooks.on_open = echo_open<tls_stream>;
  if (tf.on) {
    ho.tls = &*tf.ctx;
    ho.tls_handshake_timeout = tf.handshake_limit();
  }
  return run_services(ho, {spec});
}
}  // namespace

void setup_echo(CLI::App& cmd, context& ctx) {
  auto a = std::make_shared<echo_args>();
  cmd.add_option("ADDRESS", a->address,
                 "unix:/path or unix:@name: serve on a Unix stream socket (--unix-dgram: datagram) instead of TCP/UDP");
  auto* port = cmd.add_option("-p,--port", a->port, "Port for both protocols; 0: a free port (the same for both when it can)")->capture_default_str();
  auto* bind = cmd.add_option("-b,--bind", a->bind, bind_help);
  add_server_flags(cmd, a->srv, false);
  add_engine_option(cmd, a->eng);
  add_unix_flags(cmd, a->unix, true);
  add_tls_flags(cmd, a->tls, true);
  a->ip_only = {port, bind, cmd.get_option("--tcp"), cmd.get_option("--udp"), cmd.get_option("--udp-rate"),
                cmd.get_option("--udp-burst")};
  cmd.footer(
      "UDP replies leave from the port the datagram came to; datagrams from source ports below 1024\n"
      "get no reply, and replies are rate-limited per source address.\n"
      "Examples:\n"
      "  sockit echo                        # TCP and UDP on 127.0.0.1:7007\n"
      "  sockit echo --tcp --port 9000      # TCP only\n"
      "  sockit echo --bind :: --udp        # UDP on every IPv4 and IPv6 address\n"
      "  sockit echo --tcp --threads 2      # two loops sharing the port\n"
      "  sockit echo --idle-timeout 10      # close connections silent for 10 s\n"
      "  sockit -v echo --engine uring --tcp  # Linux: TCP on io_uring completions (the default where the ring opens)\n"
      "  sockit.exe echo --engine iocp --tcp   # Windows: the IOCP server (AcceptEx, overlapped WSARecv/WSASend)\n"
      "  nc -N 127.0.0.1 7007 < file        # a client\n"
      "  sockit -v echo --mode 660 unix:/tmp/echo.sock   # a Unix stream socket; -v: each client's pid uid gid\n"
      "  nc -NU /tmp/echo.sock < file                    # its client\n"
      "  sockit echo --unix-dgram unix:@echo             # datagrams, answered to each sender's address\n"
      "  sockit echo --tls --tls-cert cert.pem --tls-key key.pem --port 7443   # TCP over TLS\n"
      "  sockit connect --tls --tls-ca ca.pem localhost 7443 < file            # its client\n"
      "  openssl s_client -quiet -CAfile ca.pem -connect localhost:7443         # typed lines; Ctrl+C ends\n"
      "unix:/path replaces a socket file left by a dead server, refuses one a live server holds, and removes its\n"
      "own file at exit (Ctrl+C and SIGTERM too). A datagram client must bind an address of its own (nc -uU\n"
      "does): one that never bound cannot be answered. With --tls each client's handshake runs on the loop; one\n"
      "that fails is one warning line (-v shows why it closed) and the others are served on.");
  cmd.callback([a, &ctx] { ctx.run = [a, &ctx] { return run_echo(*a, ctx.json); }; });
}

}  // namespace sockit::cli
