// sockit connect HOST PORT: the netcat-style client (nc HOST PORT); connect unix:/path (nc -U).
#include <memory>
#include <string>

#include <fmt/core.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "args.hpp"
#include "commands.hpp"
#include "netcat_flags.hpp"
#include "exec_session.hpp"
#include "netcat_pump.hpp"
#include "proxy_flags.hpp"
#include "socket_flags.hpp"
#include "stop_signals.hpp"
#include "tls_flags.hpp"
#include "unix_flags.hpp"
#include "sockit/error.hpp"
#include "sockit/tcp.hpp"
#include "sockit/udp.hpp"

namespace sockit::cli {
namespace {

struct connect_args {
  std::string host;
  std::string port;
  bool udp = false;
  bool v4 = false;
  bool v6 = false;
  std::string wait;
  bool shutdown_on_eof = false;
  socket_flags sock;
  netcat_flags nc;
  proxy_flags proxy;
  exec_args exec;  // --exec/--sh-exec (exec_session.hpp)
  unix_flags unix;  // --unix-dgram (unix_flags.hpp)
  tls_flags tls;    // --tls and its companions (tls_flags.hpp)
};

// What --tls cannot go with, or nullptr.
const char* tls_refused_with(const connect_args& a) {
  return a.udp ? "-u (UDP)" : a.unix.dgram ? "--unix-dgram" : a.exec.set() ? "--exec/--sh-exec" : nullptr;
}

// connect unix:/path or unix:@name: no port, no resolver; the same relay as TCP (or connected UDP,
// with --unix-dgram).
// The stdin <-> peer session of both paths (IP and unix:), once connected.
int relay_session(const socket& s, const connect_args& a, const socket_flags& flags, double wait_s, bool datagrams,
                  std::string peer_name, const context& ctx, tls_session* tls = nullptr) {
  traffic_dumper dump(ctx.hexdump);
  netcat_pump pump(dump);
  pump_options po;
  po.udp = datagrams;
  po.udp_exit_on_stdin_eof = a.shutdown_on_eof;
  po.idle_seconds = wait_s;
  po.recv_timeout = flags.recv_timeout.value_or(-1);
  po.send_timeout = flags.send_timeout.value_or(-1);
  apply_netcat_flags(a.nc, po);
  po.peer_name = std::move(peer_name);
  po.tls = tls;
  return pump.run(s, po);
}

int run_connect_unix(const connect_args& a, const context& ctx) {
  int code = exit_ok;
  if (!a.port.empty()) {
    return fail_message(fmt::format("unexpected PORT '{}' after {}: a unix: address has none", a.port, a.host),
                        exit_usage);
  }
  const char* ip_flag = a.udp ? "-u (UDP; --unix-dgram for a datagram socket)" : a.v4 ? "-4" : a.v6 ? "-6"
                        : a.proxy.address ? "--proxy" : nullptr;
  if (ip_flag) return fail_message(fmt::format("{} has no meaning with a unix: address", ip_flag), exit_usage);
  unix_flags uf = a.unix;
  unix_address at;
  if (!check_unix_args(a.host, uf, a.sock, at, code)) return code;
  tls_flags tf = a.tls;
  if (!check_tls_flags(tf, false, tls_refused_with(a), code)) return code;
  double wait_s = -1;
  if (!a.wait.empty() && !parse_seconds_arg("wait", a.wait, wait_s, code, false)) return code;
  exec_command ex;
  if (a.exec.set() && !check_exec_args(a.exec, true, uf.dgram, ctx.hexdump, ex, code)) return code;
  if (const char* flag = stream_flag_given(a.nc); a.exec.set() && flag) {
    return fail_message(fmt::format("{} has no meaning with --exec/--sh-exec: the program talks to the peer itself", flag),
                        exit_usage);
  }
  socket_flags flags = a.sock;
  if (!check_socket_flags(flags, false, code)) return code;
  auto s = connect_unix(at, uf, flags, wait_s, code);
  if (!s) return code;
  if (a.exec.set()) return run_exec_connect(std::move(*s), at.to_string(), ex);
  if (tf.on) {  // no host name to check: the chain only, or --tls-sni's name
    auto ts = tls_handshake(*s, tf, false, "", at.to_string(), wait_s, code);
    if (!ts) return code;
    return relay_session(*s, a, flags, wait_s, false, at.to_string(), ctx, &*ts);
  }
  return relay_session(*s, a, flags, wait_s, uf.dgram, at.to_string(), ctx);
}

int run_connect(const connect_args& a, const context& ctx) {
  install_stop_handlers();
  if (is_unix_address_text(a.host)) return run_connect_unix(a, ctx);
  int code = exit_ok;
  if (a.port.empty()) return fail_message("port is required (usage: sockit connect HOST PORT)", exit_usage);
  {  // --unix-dgram without a unix: address
    unix_flags uf = a.unix;
    unix_address unused;
    if (!check_unix_args({}, uf, a.sock, unused, code)) return code;
  }
  std::string host = a.host;
  std::uint16_t port = 0;
  double wait_s = -1;
  if (!check_host_arg(host, code) || !check_numeric_host(a.nc, host, code) ||
      !check_numeric_port(a.nc, "port", a.port, code) || !check_numeric_port(a.nc, "--source-port", a.sock.source_port, code) ||
      !parse_port_arg(a.port, port, code, a.udp ? transport::udp : transport::tcp)) {
    return code;
  }
  if (port == 0) return refuse_port_zero();
  const std::string target_host = host;  // without brackets: what a TLS certificate must name
  if (!a.wait.empty() && !parse_seconds_arg("wait", a.wait, wait_s, code, false)) return code;
  exec_command ex;
  if (a.exec.set() && !check_exec_args(a.exec, true, a.udp, ctx.hexdump, ex, code)) return code;
  if (const char* flag = stream_flag_given(a.nc); a.exec.set() && flag) {
    return fail_message(fmt::format("{} has no meaning with --exec/--sh-exec: the program talks to the peer itself", flag),
                        exit_usage);
  }
  socket_flags flags = a.sock;
  if (!check_socket_flags(flags, !a.udp, code)) return code;
  tls_flags tf = a.tls;
  if (!check_tls_flags(tf, false, tls_refused_with(a), code)) return code;
  proxy_flags proxy = a.proxy;
  if (!check_proxy_flags(proxy, a.udp, host, port, code)) return code;
  if (proxy.on) {  // connect to the proxy, which resolves the target; -4/-6/-s apply to the proxy
    host = proxy.at.host;
    port = proxy.at.port;
  }

  resolve_options ro;
  ro.family = a.v4 ? ip_family::v4 : a.v6 ? ip_family::v6 : source_family(flags);
  if (ro.family != ip_family::any && source_family(flags) != ip_family::any && ro.family != source_family(flags)) {
    return fail_message("-s/--source is an address of the other family than -4/-6 asks for", exit_usage);
  }
  ro.socktype = a.udp ? SOCK_DGRAM : SOCK_STREAM;
  auto eps = resolve(host, port, ro);
  if (!eps) {
    if (code_for(eps.error()) == exit_usage) return usage_error("bad host", host, eps.error());
    return fail(a.v4 || a.v6 ? "resolve " + host : lookup_what("resolve", host, flags), eps.error());
  }
  for (const auto& ep : *eps) spdlog::debug("{} resolves to {}", host, ep.to_string());

  socket s;
  endpoint peer;
  std::vector<applied_option> applied;
  std::string failed;
  socket_prepare prepare;
  if (!no_socket_flags(flags)) prepare = socket_preparer(flags, !a.udp, applied, failed);
  if (a.udp) {
    // A connected UDP socket: the kernel drops datagrams from anyone else and turns ICMP port
    // unreachable into ECONNREFUSED. Connecting UDP sends nothing, so the first address is the one.
    peer = eps->front();
    auto r = udp_connect(peer, prepare);
    if (!r) return prepare_failure("connect udp " + peer.to_string(), failed, r.error());
    s = std::move(*r);
  } else {
    auto r = tcp_connect(*eps, deadline::after_seconds(wait_s), &peer, prepare);
    if (!r) {
      std::string what = eps->size() == 1 ? eps->front().to_string() : host + " port " + std::to_string(port);
      return prepare_failure("connect " + what, failed, r.error());
    }
    s = std::move(*r);
    if (proxy.on) {
      if (int c = open_proxy_tunnel(s, peer, proxy, wait_s); c != exit_ok) return c;
    }
  }
  if (!proxy.on) spdlog::info("connected to {} ({})", peer.to_string(), a.udp ? "udp" : "tcp");
  log_applied(applied);
  if (a.exec.set()) return run_exec_connect(std::move(s), peer.to_string(), ex);
  std::string peer_name = proxy.on ? proxy.target : peer.to_string();
  if (tf.on) {  // over the proxy's tunnel too: the certificate is the target's
    auto ts = tls_handshake(s, tf, false, target_host, peer_name, wait_s, code);
    if (!ts) return code;
    return relay_session(s, a, flags, wait_s, false, peer_name, ctx, &*ts);
  }
  return relay_session(s, a, flags, wait_s, a.udp, peer_name, ctx);
}

}  // namespace

void setup_connect(CLI::App& cmd, context& ctx) {
  auto a = std::make_shared<connect_args>();
  cmd.add_option("host", a->host, "Host name or address to connect to, or unix:/path, unix:@name")->required();
  cmd.add_option("port", a->port, "Port: a number (1-65535) or a service name (ssh, http); none after a unix: address");
  cmd.add_flag("-u,--udp", a->udp, "Use UDP: each read from stdin is sent as one datagram");
  auto* o4 = cmd.add_flag("-4,--ipv4", a->v4, "Use IPv4 addresses only");
  auto* o6 = cmd.add_flag("-6,--ipv6", a->v6, "Use IPv6 addresses only");
  o4->excludes(o6);
  cmd.add_option("-w,--wait", a->wait,
                 "Connect timeout and idle timeout in seconds, fractions allowed (default: none)")
      ->option_text("SECS");
  cmd.add_flag("-N,--shutdown-on-eof", a->shutdown_on_eof,
               "On stdin EOF shut the socket down, as nc -N (TCP always half-closes; UDP: exit at stdin EOF)");
  add_netcat_flags(cmd, a->nc);
  add_socket_flags(cmd, a->sock, {.tcp = true, .server = false, .client = true, .timeouts = true});
  add_proxy_flags(cmd, a->proxy);
  add_exec_flags(cmd, a->exec, false);
  add_unix_flags(cmd, a->unix, false);
  add_tls_flags(cmd, a->tls, false);
  cmd.footer(
      "Examples:\n"
      "  echo hello | sockit connect 127.0.0.1 7007        # send a line, print the reply\n"
      "  sockit connect -w 2 localhost 8080 < request.bin   # give up after 2 s without an answer\n"
      "  printf 'ping' | sockit connect -u -w 0.5 ::1 7007  # one UDP datagram, wait 0.5 s for replies\n"
      "  sockit -x connect 127.0.0.1 7007                   # hex dump of the traffic on stderr\n"
      "  sockit -v connect --nodelay --rcvbuf 65536 -s 127.0.0.2 -p 40000 127.0.0.1 7007\n"
      "                                      # options set before connecting; -v shows what the kernel made of them\n"
      "  sockit connect --recv-timeout 5 127.0.0.1 7007    # fail (exit 1) if the server is silent for 5 s\n"
      "  printf 'HELO x\\nQUIT\\n' | sockit connect -C -i 1 -q 2 127.0.0.1 25   # CRLF lines, 1 s apart; quit 2 s after\n"
      "  sockit connect --recv-only -n 127.0.0.1 7008       # print only; never resolve a name\n"
      "  sockit connect --proxy 127.0.0.1:3128 example.org 80   # through an HTTP proxy (CONNECT)\n"
      "  sockit connect --proxy [::1]:1080 --proxy-type socks5 --proxy-auth me:pw localhost 22\n"
      "                                      # through SOCKS5 with a password; the proxy resolves the name\n"
      "  sockit connect unix:/run/app.sock < req.json       # a Unix stream socket (nc -U)\n"
      "  sockit -v connect unix:@myapp                      # abstract name; -v: the server's pid uid gid\n"
      "  echo hi | sockit connect --unix-dgram -w 1 unix:/tmp/d.sock   # one datagram, replies for 1 s\n"
      "  sockit connect --exec rev 127.0.0.1 9000           # run rev on the connection (DANGER: the peer drives it)\n"
      "  printf 'GET / HTTP/1.0\\r\\n\\r\\n' | sockit -v connect --tls --tls-alpn http/1.1 localhost 443\n"
      "                                      # TLS, verified against the system's CAs; -v: version, cipher, ALPN, subject\n"
      "  sockit connect --tls --tls-ca ca.pem 127.0.0.1 4433   # trust only ca.pem (the name checked: 127.0.0.1)\n"
      "Exit status: 0 done (also after a first Ctrl+C or SIGTERM), 1 runtime failure (unknown host, refused,\n"
      "timeout), 2 usage error, 130 a second Ctrl+C; with --exec/--sh-exec, the program's exit status.");
  cmd.callback([a, &ctx] { ctx.run = [a, &ctx] { return run_connect(*a, ctx); }; });
}

}  // namespace sockit::cli
