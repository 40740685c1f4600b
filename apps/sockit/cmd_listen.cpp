// sockit listen [ADDR] PORT: the netcat-style server (nc -l [ADDR] PORT); listen unix:/path (nc -lU). Binds loopback (127.0.0.1
// and ::1) unless told otherwise: a relay of the user's terminal should not be reachable from the
// network by accident.
#include <memory>
#include <string>
#include <vector>

#include <fmt/core.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "args.hpp"
#include "commands.hpp"
#include "exec_session.hpp"
#include "listen_gate.hpp"
#include "listen_hub.hpp"
#include "loopback_pair.hpp"
#include "netcat_flags.hpp"
#include "netcat_pump.hpp"
#include "tls_flags.hpp"
#include "socket_flags.hpp"
#include "stop_signals.hpp"
#include "sys_socket.hpp"
#include "unix_datagram_relay.hpp"
#include "unix_flags.hpp"
#include "sockit/error.hpp"
#include "sockit/options.hpp"
#include "sockit/tcp.hpp"
#include "sockit/udp.hpp"
#include "sockit/wait.hpp"

namespace sockit::cli {
namespace {

struct listen_args {
  std::string addr;  // "" without ADDR
  std::string port;
  const CLI::Option* port_word = nullptr;  // given: two words were typed (ADDR PORT), even an empty PORT
  bool udp = false;
  bool keep_open = false;
  bool v4 = false;
  bool v6 = false;
  socket_flags sock;
  netcat_flags nc;
  exec_args exec;  // --exec/--sh-exec (exec_session.hpp)
  hub_flags hub;   // --broker, --allow, --deny, --max-conns (listen_gate.hpp)
  listen_gate gate;
  unix_flags unix;  // --unix-dgram, --mode (unix_flags.hpp)
  tls_flags tls;    // --tls, --tls-cert, --tls-key, --tls-alpn (tls_flags.hpp)
};

// Where to bind: ADDR resolved (passive), or loopback of the chosen family.
result<endpoint> bind_address(const std::string& addr, std::uint16_t port, const listen_args& a) {
  if (addr.empty()) return a.v6 ? endpoint::loopback_v6(port) : endpoint::loopback_v4(port);
  resolve_options ro;
  ro.family = a.v4 ? ip_family::v4 : a.v6 ? ip_family::v6 : ip_family::any;
  ro.socktype = a.udp ? SOCK_DGRAM : SOCK_STREAM;
  ro.passive = true;
  auto eps = resolve(addr, port, ro);
  if (!eps) return eps.error();
  return eps->front();
}


// Binds where the user asked: one socket at `at`, or (at null: no ADDR, -4 or -6) loopback in
// both families on `port` (loopback_pair.hpp). Each gets its "listening on" line. Returns an exit code.
int bind_sockets(const endpoint* at, std::uint16_t port, const listen_args& a, std::vector<bound_socket>& out) {
  const char* what = a.udp ? "bind udp" : "listen";
  const char* proto = a.udp ? "udp" : "tcp";
  std::vector<applied_option> applied;
  std::string failed;
  socket_prepare prepare;
  if (!no_socket_flags(a.sock)) prepare = socket_preparer(a.sock, !a.udp, applied, failed);
  auto open = [&](const endpoint& e) -> result<socket> {
    if (!a.udp) {
      listen_options lo;
      lo.prepare = prepare;
      return tcp_listen(e, lo);
    }
    udp_bind_options bo;
    bo.reuse_address = false;  // a second listener on the same port must fail, as for TCP
    bo.prepare = prepare;
    return udp_bind(e, bo);
  };
  bind_function bind = [&](const endpoint& e) -> result<socket> {
    auto s = open(e);
    if (s) log_applied(applied);  // accepted connections inherit the listener's options
    return s;
  };
  if (!at) return bind_loopback_pair(port, bind, what, proto, out);
  auto s = bind(*at);
  if (!s) return bind_failure(std::string(what) + " " + at->to_string(), s.error(), "choose another, or 0");
  auto local = s->local_endpoint();
  out.push_back({std::move(*s), local ? *local : *at});
  announce_listening(out.back().at, proto);
  return exit_ok;
}

// Waits until one of the sockets is readable (a pending connection, a datagram) and returns its
// index; a negative value is an exit code (the error has been printed).
int wait_readable(const std::vector<bound_socket>& socks) {
  std::vector<wait_entry> w(socks.size());
  for (std::size_t i = 0; i < socks.size(); ++i) {
    w[i].fd = socks[i].sock.native_handle();
    w[i].want = wait_entry::readable;
  }
  auto rc = wait_any(w, deadline::never());
  if (!rc) return -fail("wait", rc.error());
  for (std::size_t i = 0; i < w.size(); ++i) {
    if (w[i].ready) return static_cast<int>(i);
  }
  return 0;  // not reached: a wait without a deadline returns with one ready
}

int run_tcp(std::vector<bound_socket>& listeners, const listen_args& a, const context& ctx) {
  // Non-blocking, so an accept after the wait never blocks the other listener's peers.
  for (auto& l : listeners) {
    if (auto ec = set_nonblocking(l.sock, true)) return fail("set non-blocking", ec);
  }
  traffic_dumper dump(ctx.hexdump);
  netcat_pump pump(dump);
  for (;;) {
    int i = wait_readable(listeners);
    if (i < 0) return -i;
    const bound_socket& l = listeners[static_cast<std::size_t>(i)];
    endpoint peer;
    accept_options ao;
    ao.peer = &peer;
    auto c = tcp_accept(l.sock, ao);
    if (!c && c.error() == errc::would_block) continue;  // the peer left before we took it
    if (!c) return fail("accept on " + l.at.to_string(), c.error());
    if (!a.gate.admit(peer, 0)) continue;  // --allow/--deny: closed, and the next one is awaited
    spdlog::info("connection from {}", accepted_peer_name(*c, peer));
    log_peer_credentials(*c);  // Unix sockets, -v
    listeners.clear();  // one peer only: later clients are refused instead of queueing unanswered
    pump_options po;
    po.peer_name = accepted_peer_name(*c, peer);
    po.recv_timeout = a.sock.recv_timeout.value_or(-1);
    po.send_timeout = a.sock.send_timeout.value_or(-1);
    apply_netcat_flags(a.nc, po);
    std::optional<tls_session> ts;
    if (a.tls.on) {  // the client's hello, within --tls-handshake-timeout (and --recv-timeout)
      int hc = exit_ok;
      double limit = std::chrono::duration<double>(a.tls.handshake_limit()).count();
      if (po.recv_timeout > 0 && (limit <= 0 || po.recv_timeout < limit)) limit = po.recv_timeout;
      ts = tls_handshake(*c, a.tls, true, "", po.peer_name, limit, hc);
      if (!ts) return hc;
      po.tls = &*ts;
    }
    return pump.run(*c, po);
  }
}

// -k (or --broker) over TCP or a Unix stream socket: clients at once (listen_hub.hpp).
int run_hub(std::vector<bound_socket>& listeners, const listen_args& a, const context& ctx) {
  hub_options o;
  o.broker = a.hub.broker;
  o.gate = a.gate;
  if (a.sock.send_timeout) o.stall_seconds = *a.sock.send_timeout;
  o.recv_timeout = a.sock.recv_timeout.value_or(-1);
  o.quit_after_eof = a.nc.quit_after_eof.value_or(-1);
  o.line_interval = a.nc.line_interval.value_or(-1);
  o.crlf = a.nc.crlf;
  o.send_only = a.nc.send_only;
  o.recv_only = a.nc.recv_only;
  if (a.tls.on) {
    o.tls = &*a.tls.ctx;
    o.tls_handshake_timeout = a.tls.handshake_limit();
  }
  traffic_dumper dump(ctx.hexdump);
  return run_listen_hub(listeners, o, dump);
}

int run_udp(std::vector<bound_socket>& socks, const listen_args& a, const context& ctx) {
  // The first datagram, from either socket, tells us who the peer is; stdin is not read before
  // that.
  int i = wait_readable(socks);
  if (i < 0) return -i;
  bound_socket& s = socks[static_cast<std::size_t>(i)];
  std::vector<std::byte> buf(65536);
  auto d = recv_from(s.sock, buf);
  if (!d) return fail("receive on " + s.at.to_string(), d.error());
  spdlog::info("datagram from {}", d->from.to_string());
  traffic_dumper dump(ctx.hexdump);
  std::string_view first(reinterpret_cast<const char*>(buf.data()), d->size);
  dump.received(first);
  if (write_out(first)) return exit_ok;  // main reports it (output.hpp)

  netcat_pump pump(dump);
  pump_options po;
  po.udp = true;
  po.peer_name = d->from.to_string();
  po.recv_timeout = a.sock.recv_timeout.value_or(-1);
  po.send_timeout = a.sock.send_timeout.value_or(-1);
  apply_netcat_flags(a.nc, po);
  if (a.keep_open) {  // datagrams from anyone, on every socket
    const socket* other = socks.size() > 1 ? &socks[i == 0 ? 1 : 0].sock : nullptr;
    return pump.run_udp_any(s.sock, d->from, po, other);
  }
  // One peer: close the other family's socket, and connect this one to the peer so the kernel
  // drops everyone else's datagrams.
  if (socks.size() > 1) (void)socks[i == 0 ? 1 : 0].sock.close();
  if (auto ec = udp_connect(s.sock, d->from)) return fail("connect udp " + d->from.to_string(), ec);
  return pump.run(s.sock, po);
}

struct listen_usage : CLI::Formatter {
  std::string make_usage(const CLI::App*, std::string name) const override {
    return "Usage: " + name + " [OPTIONS] [ADDR] PORT\n       " + name + " [OPTIONS] unix:/path | unix:@name\n";
  }
};

int run_listen(const listen_args& a, const context& ctx) {
  install_stop_handlers();
  int code = exit_ok;
  // One word is PORT, two are ADDR PORT (see setup_listen).
  const bool two_words = a.port_word && a.port_word->count() > 0;
  std::string addr = two_words ? a.addr : std::string();
  std::string port_text = two_words ? a.port : a.addr;
  if (two_words && port_text.empty()) return fail_message("bad port '': empty (usage: sockit listen [ADDR] PORT)", exit_usage);
  if (two_words && addr.empty()) {
    return fail_message("bad address '': empty (leave ADDR out for 127.0.0.1 and ::1)", exit_usage);
  }
  if (port_text.empty()) return fail_message("port is required (usage: sockit listen [ADDR] PORT)", exit_usage);
  // A Unix socket: one word, unix:/path or unix:@name (unix_flags.hpp).
  const bool on_unix = is_unix_address_text(port_text) || is_unix_address_text(addr);
  unix_flags uf = a.unix;
  unix_address unix_at;
  if (on_unix) {
    if (!addr.empty()) return fail_message(fmt::format("a unix: address takes no PORT ('{} {}')", addr, port_text), exit_usage);
    const char* ip_flag = a.udp ? "-u (UDP; --unix-dgram for a datagram socket)" : a.v4 ? "-4" : a.v6 ? "-6" : nullptr;
    if (ip_flag) return fail_message(fmt::format("{} has no meaning with a unix: address", ip_flag), exit_usage);
    if (a.keep_open && uf.dgram && (a.nc.quit_after_eof || a.nc.line_interval || a.nc.crlf)) {
      return fail_message("-q, -i and -C are not supported with -k --unix-dgram", exit_usage);
    }
  }
  if (!check_unix_args(on_unix ? port_text : std::string(), uf, a.sock, unix_at, code)) return code;
  if (!on_unix && !addr.empty() && (!check_host_arg(addr, code) || !check_numeric_host(a.nc, addr, code))) return code;
  std::uint16_t port = 0;
  if (!on_unix && (!check_numeric_port(a.nc, "port", port_text, code) ||
                   !parse_port_arg(port_text, port, code, a.udp ? transport::udp : transport::tcp))) {
    return code;
  }
  exec_command ex;
  if (a.exec.set() && !check_exec_args(a.exec, false, a.udp || uf.dgram, ctx.hexdump, ex, code)) return code;
  if (const char* flag = stream_flag_given(a.nc); a.exec.set() && flag) {
    return fail_message(fmt::format("{} has no meaning with --exec/--sh-exec: the program talks to the peer itself", flag),
                        exit_usage);
  }
  if (a.udp && (a.hub.broker || a.hub.any_gate())) {
    return fail_message("--broker, --allow, --deny and --max-conns are for TCP: not with -u", exit_usage);
  }
  if (on_unix && (!a.hub.allow.empty() || !a.hub.deny.empty())) {
    return fail_message("--allow and --deny filter IP addresses: not with a unix: address", exit_usage);
  }
  if (on_unix && uf.dgram && (a.hub.broker || a.hub.max_conns)) {
    return fail_message("--broker and --max-conns are for stream clients: not with --unix-dgram", exit_usage);
  }
  if (a.hub.broker && a.exec.set()) return fail_message("--broker relays clients to each other: not with --exec", exit_usage);
  socket_flags flags = a.sock;
  if (!check_socket_flags(flags, !a.udp && !on_unix, code)) return code;
  if (int tc = on_unix ? exit_ok : try_socket_flags(flags, !a.udp, a.v6 ? AF_INET6 : AF_INET); tc != exit_ok) return tc;
  tls_flags tf = a.tls;
  const char* no_tls = a.udp ? "-u (UDP)" : uf.dgram ? "--unix-dgram" : a.exec.set() ? "--exec/--sh-exec" : nullptr;
  if (!check_tls_flags(tf, true, no_tls, code)) return code;
  listen_args checked = a;
  checked.sock = flags;
  checked.tls = std::move(tf);
  if (!make_listen_gate(a.hub, checked.gate, code)) return code;
  unix_socket_file unix_file;  // before socks: the file goes after the socket is closed
  std::vector<bound_socket> socks;
  if (on_unix) {
    if (int uc = listen_unix(unix_at, uf, flags, unix_file, socks); uc != exit_ok) return uc;
  } else if (addr.empty() && !a.v4 && !a.v6) {
    if (int bc = bind_sockets(nullptr, port, checked, socks); bc != exit_ok) return bc;
  } else {
    auto at = bind_address(addr, port, a);
    if (!at) {
      if (code_for(at.error()) == exit_usage) return usage_error("bad address", addr, at.error());
      return fail("resolve " + addr, at.error());
    }
    if (int bc = bind_sockets(&*at, port, checked, socks); bc != exit_ok) return bc;
  }
  if (a.exec.set()) return run_exec_listen(socks, a.keep_open, ex, &checked.gate);
  if (on_unix && uf.dgram) {
    traffic_dumper dump(ctx.hexdump);
    pump_options po;
    po.recv_timeout = flags.recv_timeout.value_or(-1);
    po.send_timeout = flags.send_timeout.value_or(-1);
    apply_netcat_flags(a.nc, po);
    return run_unix_datagrams(socks.front().sock, unix_at, a.keep_open, po, dump);
  }
  // TCP and Unix stream sockets alike: clients at once (ncat's --keep-open).
  if (!a.udp && (a.keep_open || a.hub.broker)) return run_hub(socks, checked, ctx);
  return a.udp ? run_udp(socks, checked, ctx) : run_tcp(socks, checked, ctx);
}

}  // namespace

void setup_listen(CLI::App& cmd, context& ctx) {
  auto a = std::make_shared<listen_args>();
  // CLI11 2.1 fills positionals in order, so both are optional here and run_listen reads one word
  // as PORT; the usage line says what a user types.
  cmd.add_option("ADDR", a->addr,
                 "Address to bind (default 127.0.0.1 and ::1; 0.0.0.0 or :: for all), or unix:/path, unix:@name");
  a->port_word = cmd.add_option("PORT", a->port, "Port, a number or a service name (0: the kernel picks one, printed on stderr)");
  cmd.formatter(std::make_shared<listen_usage>());
  cmd.add_flag("-u,--udp", a->udp, "Use UDP: print datagrams from the first peer, send stdin back to it");
  cmd.add_flag("-k,--keep-open", a->keep_open,
               "Serve clients at once: stdin to all, each one's input to stdout (UDP: datagrams from any peer, "
               "replies to the latest)");
  auto* o4 = cmd.add_flag("-4,--ipv4", a->v4, "IPv4 only (without ADDR: 127.0.0.1 alone)");
  auto* o6 = cmd.add_flag("-6,--ipv6", a->v6, "IPv6 only (without ADDR: ::1 alone)");
  o4->excludes(o6);
  add_netcat_flags(cmd, a->nc);
  add_socket_flags(cmd, a->sock, {.tcp = true, .server = true, .client = false, .timeouts = true});
  add_exec_flags(cmd, a->exec, true);
  add_hub_flags(cmd, a->hub);
  add_unix_flags(cmd, a->unix, true);
  add_tls_flags(cmd, a->tls, true);
  cmd.footer(
      "Examples:\n"
      "  sockit listen 9000 > received.bin           # one TCP peer (127.0.0.1 or ::1), save what it sends\n"
      "  sockit listen 0.0.0.0 9000 < reply.txt       # all interfaces; send reply.txt to the peer\n"
      "  sockit -v listen -k 9000 < news.txt          # many clients at once: each gets stdin, all print\n"
      "  sockit listen --broker 9000                  # chat: each client's lines go to the others\n"
      "  sockit -v listen -k --allow 10.0.0.0/8,::1 --deny 10.0.0.13 :: 9000   # only these clients\n"
      "  sockit listen -k --max-conns 10 9000         # at most 10 at once, more are closed at once\n"
      "  sockit listen -u 9000                        # print datagrams, send stdin back to the sender\n"
      "  sockit listen 0                              # kernel picks a port: 'listening on ...' on stderr\n"
      "  sockit -v listen --rcvbuf 1000000 --mss 1200 9000   # accepted sockets inherit the listener's options\n"
      "  sockit listen -k --recv-timeout 30 9000      # drop a client silent for 30 s\n"
      "  sockit listen --send-only 9000 < file.bin    # serve a file, ignore what the peer says\n"
      "  sockit listen --mode 660 unix:/tmp/app.sock  # a Unix stream socket (nc -lU), group may connect\n"
      "  sockit -v listen -k unix:@myapp              # abstract name; -v: each client's pid uid gid\n"
      "  sockit listen --unix-dgram unix:/tmp/d.sock  # print datagrams, send stdin back to the sender\n"
      "  sockit -v listen -k --exec rev 9000          # a program per client, side by side (DANGER, see below)\n"
      "  sockit -v listen -k --tls --tls-cert cert.pem --tls-key key.pem 4433   # TLS, clients at once\n"
      "Without ADDR, -4 or -6 it listens on 127.0.0.1 and on ::1 (same port, one stderr line each) and takes\n"
      "the first peer from either; where IPv6 is disabled, on 127.0.0.1 alone (a notice says so).\n"
      "--exec/--sh-exec hand a program (a shell) to whoever connects: on the default loopback bind every local\n"
      "user, on 0.0.0.0 anyone who can reach the port. Without -k sockit exits with the program's status.\n"
      "unix:/path replaces a socket file left by a dead server, refuses one a live server holds, never\n"
      "removes another kind of file, and removes its own file when it exits (Ctrl+C and SIGTERM too).\n"
      "With -k a client whose queue is full (1 MiB) holds stdin up; one that takes nothing for 5 s\n"
      "(--send-timeout) is dropped, so it cannot stall the others.\n"
      "Exit status: 0 done (also after a first Ctrl+C or SIGTERM), 1 runtime failure (port in use, permission\n"
      "denied), 2 usage error, 130 a second Ctrl+C.");
  cmd.callback([a, &ctx] { ctx.run = [a, &ctx] { return run_listen(*a, ctx); }; });
}

}  // namespace sockit::cli
