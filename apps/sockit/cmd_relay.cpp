// sockit relay: a TCP (or, with --udp, UDP) port forwarder on the event loop, like
// `socat TCP-LISTEN:P,fork TCP:HOST:Q`, moving TCP bytes with splice(2) through a pipe per
// direction, with optional impairments (delay, jitter, rate; loss, duplication, reordering on UDP)
// for testing applications where tc netem is missing. The pieces: relay_flow (one direction),
// relay_connection (one TCP connection), relay_tcp / relay_udp (one loop's relay), relay_impairment
// (the scheduling arithmetic), relay_report (what is printed); the loops, signals and graceful
// stop are services/service_loops, as for serve. With TLS on a side (--tls-in, --tls-out) each
// connection is copied through streams instead (relay_stream_pair).
#include <atomic>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <fmt/core.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "args.hpp"
#include "commands.hpp"
#include "fd_limit.hpp"
#include "json.hpp"
#include "relay_report.hpp"
#include "relay_ring.hpp"
#include "relay_service.hpp"
#include "relay_settings.hpp"
#include "socket_flags.hpp"
#include "relay_tcp.hpp"
#include "relay_udp.hpp"
#include "tls_flags.hpp"
#include "services/service_host.hpp"
#include "services/service_loops.hpp"
#include "unix_flags.hpp"
#include "sockit/error.hpp"

namespace sockit::cli {

namespace {

struct relay_args {
  socket_flags sock;
  std::string listen, target;
  bool udp = false;
  bool copy = false;
  std::size_t pipe_size = 256 << 10;
  std::string threads = "1";
  engine eng = engine::automatic;
  std::size_t max_connections = 0;
  double connect_timeout = 10;
  double idle = 60;
  std::size_t max_sessions = 1024;
  impairment_config impair;
  std::string impair_dir = "both";
  unix_flags unix;  // --mode for a unix: LISTEN (--unix-dgram is refused: streams only)
  std::optional<long long> seed;
  tls_flags tls_in, tls_out;  // --tls-in (with --tls-cert, --tls-key), --tls-out (with --tls-ca...)
  // Options given on the command line, for the TCP-only / UDP-only / not-with-TLS checks.
  std::vector<CLI::Option*> udp_only, tcp_only, splice_only;
  CLI::Option* pipe_opt = nullptr;
};

// LISTEN is [ADDR:]PORT: loopback (127.0.0.1) without an address.
bool parse_listen(const std::string& text, bool udp, endpoint& out, int& code) {
  auto hp = parse_host_port(text, udp ? transport::udp : transport::tcp);
  if (!hp) {
    code = address_usage_error("bad LISTEN", text, hp.error());
    return false;
  }
  if (hp->host.empty()) {
    out = endpoint::loopback_v4(hp->port);
    return true;
  }
  if (!parse_bind_address(hp->host, out, code, "LISTEN address")) return false;
  out.set_port(hp->port);
  return true;
}

// `host` gets the name as typed (what --tls-out verifies).
bool parse_target(const std::string& text, bool udp, endpoint& out, std::string& host_typed, int& code) {
  host_port hp;
  if (!parse_address_arg(text, hp, code, udp ? transport::udp : transport::tcp)) return false;
  if (hp.port == 0) {
    code = fail_message("bad TARGET '" + text + "': cannot connect to port 0", exit_usage);
    return false;
  }
  std::string host = hp.host.empty() ? "127.0.0.1" : hp.host;
  if (!check_host_arg(host, code)) return false;
  host_typed = host;
  resolve_options ro;
  ro.socktype = udp ? SOCK_DGRAM : SOCK_STREAM;
  auto eps = resolve(host, hp.port, ro);
  if (!eps) {
    code = code_for(eps.error()) == exit_usage ? usage_error("bad host", host, eps.error())
                                               : fail("resolve " + host, eps.error());
    return false;
  }
  out = eps->front();
  for (const auto& ep : *eps) spdlog::debug("{} resolves to {}", host, ep.to_string());
  return true;
}

int run_relay(relay_args& a, bool json) {
  int code = exit_ok;
  for (auto* o : a.udp_only) {
    if (!a.udp && o->count() > 0) return fail_message(fmt::format("{} applies to --udp only", o->get_name()), exit_usage);
  }
  for (auto* o : a.tcp_only) {
    if (a.udp && o->count() > 0) return fail_message(fmt::format("{} applies to TCP only (not with --udp)", o->get_name()), exit_usage);
  }
#ifdef _WIN32
  // Windows copies with overlapped WSARecv/WSASend (relay_flow_windows.cpp): there is no pipe to size.
  if (a.pipe_opt->count() > 0) {
    return fail_message("--pipe-size: not available on Windows (it sizes splice(2)'s pipe; Windows copies with overlapped I/O)",
                        exit_usage);
  }
#endif
  // Either side may be a Unix stream socket (unix:/path, unix:@name): TCP to Unix and back.
  const bool unix_in = is_unix_address_text(a.listen), unix_out = is_unix_address_text(a.target);
  if ((unix_in || unix_out) && a.udp) {
    return fail_message("-u/--udp: a unix: LISTEN or TARGET relays streams only", exit_usage);
  }
  if (a.unix.dgram) return fail_message("--unix-dgram: relay moves streams only", exit_usage);
  // TLS: TCP (or Unix streams) only; the bytes are copied through the TLS stream, so the splice and
  // impairment options have nothing to act on and are refused rather than ignored.
  tls_flags tls_in = a.tls_in, tls_out = a.tls_out;
  if (!check_tls_flags(tls_in, true, a.udp ? "-u/--udp (TLS relays TCP)" : nullptr, code)) return code;
  if (!check_tls_flags(tls_out, false, a.udp ? "-u/--udp (TLS relays TCP)" : nullptr, code)) return code;
  if (tls_in.on || tls_out.on) {
    for (auto* o : a.splice_only) {
      if (o->count() > 0) {
        return fail_message(fmt::format("{} cannot be used with {}: TLS bytes are copied through the TLS stream",
                                        o->get_name(), tls_in.on ? tls_in.name : tls_out.name),
                            exit_usage);
      }
    }
  }
  unix_flags uf = a.unix;
  unix_address listen_unix_at, target_unix_at;
  if (!check_unix_args(unix_in ? a.listen : std::string(), uf, a.sock, listen_unix_at, code)) return code;
  if (unix_out) {
    unix_flags tf;  // --mode is the listening file's
    if (!check_unix_args(a.target, tf, a.sock, target_unix_at, code)) return code;
  }
  endpoint listen_at;
  if (!unix_in && !parse_listen(a.listen, a.udp, listen_at, code)) return code;
  int threads = 1;
  if (!parse_threads_arg(a.threads, threads, code)) return code;
#ifdef _WIN32
  if (threads != 1) {
    return fail_message("--threads: not available on Windows (each loop listens on the port itself: SO_REUSEPORT)", exit_usage);
  }
#endif
  if (unix_in && threads != 1) {
    return fail_message("--threads: a unix: LISTEN is served by one loop (Unix sockets have no SO_REUSEPORT)", exit_usage);
  }
  socket_flags flags = a.sock;
  if (!check_socket_flags(flags, !a.udp, code)) return code;
  relay_settings s;
  std::string target_host;
  if (unix_out) s.target_unix = target_unix_at;
  else if (!parse_target(a.target, a.udp, s.target, target_host, code)) return code;
  if (tls_in.on) s.tls_in = &*tls_in.ctx;
  if (tls_out.on) {
    s.tls_out = &*tls_out.ctx;
    s.tls_host = tls_out.sni.value_or(target_host);  // a unix: TARGET has no name: the chain only
  }
  if (!unix_out && flags.source_at && !flags.source.empty() && flags.source_at->family() != s.target.family()) {
    return fail_message("--source is an address of the other family than TARGET's", exit_usage);
  }
  // Refusals get their own line before anything binds; -v shows what the kernel made of them.
  socket_flags listen_flags = flags;
  listen_flags.source.clear();
  listen_flags.source_port.clear();
  listen_flags.source_at.reset();
  std::vector<applied_option> listen_applied;  // for --json
  if (int tc = unix_in ? exit_ok : try_socket_flags(listen_flags, !a.udp, listen_at.family(), true, &listen_applied);
      tc != exit_ok) {
    return tc;
  }
  s.listen_prepare = socket_applier(listen_flags, !a.udp);
  s.target_prepare = socket_applier(flags, !a.udp);
  s.copy = a.copy;
  s.pipe_size = a.pipe_size;
  s.impair = a.impair;
  s.impair_up = a.impair_dir != "down";
  s.impair_down = a.impair_dir != "up";
  // A random seed has 63 bits, so that --seed (0 to 2^63-1) takes back any seed printed.
  s.seed = a.seed ? static_cast<std::uint64_t>(*a.seed)
                  : ((std::uint64_t{std::random_device{}()} << 32) ^ std::random_device{}()) & 0x7fff'ffff'ffff'ffffu;
  s.connect_timeout = seconds_to_ms(a.connect_timeout);
  s.idle = seconds_to_ms(a.idle);
  s.max_sessions = a.max_sessions;
  std::atomic<std::uint64_t> next_id{0};
  s.next_id = &next_id;
  // TCP on io_uring completions with --engine uring, unless something asks for what only the
  // readiness relay has (-v says what). auto stays on readiness: splice moves a bulk stream with
  // 0.4x the completion relay's CPU per byte (docs/benchmarks.md).
  bool ring = false;
#ifndef _WIN32
  if (!a.udp && a.eng == engine::uring) {
    auto why = ring_relay_unfit(s, unix_in || unix_out, a.pipe_opt->count() > 0);
    ring = why.empty();
    if (!ring) spdlog::info("relaying on uring readiness, not completions: {}", why);
  }
#endif
  // Each relayed TCP connection holds six descriptors: two sockets and two pipes (splice); one
  // with TLS on a side is copied through streams, and one on completions has no pipes: two.
  // On Windows there are no pipes (overlapped copy): two.
#ifdef _WIN32
  const std::uint64_t fds_per_connection = 2;
#else
  const std::uint64_t fds_per_connection = s.tls_in || s.tls_out || ring ? 2 : 6;
#endif
  auto lim = raise_fd_limit();
  std::uint64_t per_loop =
      (lim.soft > 128 ? lim.soft - 64 : lim.soft / 2) / fds_per_connection / static_cast<std::uint64_t>(threads);
  s.max_connections = a.max_connections ? a.max_connections : static_cast<std::size_t>(std::max<std::uint64_t>(1, per_loop));
  spdlog::debug("RLIMIT_NOFILE: {} (hard {}); at most {} connections per loop", lim.soft, lim.hard, s.max_connections);

  service_loops loops(std::chrono::milliseconds(5000));
  if (auto ec = loops.create(a.eng, threads)) return fail("event loop", ec);
  relay_report_header header{a.udp ? "udp" : unix_in ? "unix stream" : "tcp", listen_at, s.target,
                             unix_in ? listen_unix_at.to_string() : "", unix_out ? target_unix_at.to_string() : ""};
  std::vector<relay_service*> relays;
  // SIGUSR1: each loop takes its own snapshot on its own thread, loop 0 sums and prints.
  struct gather {
    std::size_t left;
    relay_snapshot sum;
  };
  auto on_report = [&] {
    auto g = std::make_shared<gather>();
    g->left = loops.size();
    for (std::size_t k = 0; k < loops.size(); ++k) {
      loops[k].loop->post([&, k, g] {
        auto snap = relays[k]->snapshot();
        loops[0].loop->post([&, g, snap = std::move(snap)] {
          add_snapshot(g->sum, snap);
          if (--g->left == 0) print_relay_report(header, g->sum, false, json);
        });
      });
    }
  };
  if (auto ec = loops.watch_signals(on_report)) return fail("signalfd", ec);

  const bool shared = threads > 1;
  unix_socket_file unix_file;  // a unix: LISTEN's file, removed at the end (and by a signal's exit)
  std::vector<bound_socket> unix_bound;
  if (unix_in) {
    if (int rc = listen_unix(listen_unix_at, uf, listen_flags, unix_file, unix_bound, "relay"); rc != exit_ok) return rc;
  }
  for (std::size_t k = 0; k < loops.size(); ++k) {
    auto& sh = loops[k];
    std::unique_ptr<relay_service> r;
    std::error_code ec;
    if (unix_in) {
      auto t = tcp_relay::adopt(*sh.loop, std::move(unix_bound.front().sock), s);
      if (!t) return fail("watch " + header.listen_name(), t.error());
      r = std::move(*t);
#ifndef _WIN32
    } else if (ring) {
      auto t = ring_relay::start(listen_at, s, loops.drain_timeout(), shared);
      if (t) r = std::move(*t);
      else ec = t.error();
#endif
    } else if (a.udp) {
      auto u = udp_relay::create(*sh.loop, listen_at, s, shared);
      if (u) r = std::move(*u);
      else ec = u.error();
    } else {
      auto t = tcp_relay::create(*sh.loop, listen_at, s, shared);
      if (t) r = std::move(*t);
      else ec = t.error();
    }
    if (ec) {
      return bind_failure(fmt::format("bind relay {} {}", header.proto, listen_at.to_string()), ec,
                          "choose another LISTEN port");
    }
    if (k == 0) listen_at = r->local_endpoint();  // port 0: the others join the port loop 0 got
    relays.push_back(r.get());
    sh.add(std::move(r));
  }
  header.listen = listen_at;
  if (!unix_in) announce_listening(listen_at, header.proto);  // listen_unix has said it
  if (json) {
    json_object o;
    o.add("event", "listening").add("proto", header.proto).add("address", header.listen_name());
    o.add("target", header.target_name()).add("seed", s.seed);
    o.add("tls_in", tls_in.on).add("tls_out", tls_out.on);
    o.add_raw("socket_options", applied_json(listen_applied));
    print_json(o);
  }
  if (s.impair.active()) {
    notice(fmt::format("impairments on ({}; seed {})", a.impair_dir == "both" ? "both ways" : a.impair_dir, s.seed));
  }
  if (ring) {
    spdlog::info("relaying {} {} -> {} on the uring engine (completions: io_uring accept and connect, receives "
                 "into provided buffers, sends completed by the ring), {} ring{}; SIGUSR1 prints statistics, "
                 "Ctrl+C stops",
                 header.proto, header.listen_name(), header.target_name(), threads, threads == 1 ? "" : "s");
  } else {
    spdlog::info("relaying {}{} {} -> {}{} on the {} engine, {} loop{}; SIGUSR1 prints statistics, Ctrl+C stops",
                 header.proto, tls_in.on ? " (TLS)" : "", header.listen_name(), header.target_name(),
                 tls_out.on ? " (TLS)" : "", loops.front().loop->engine_name(), threads, threads == 1 ? "" : "s");
  }

  auto ec = loops.run();
  relay_snapshot sum;
  for (auto* r : relays) add_snapshot(sum, r->snapshot());
  print_relay_report(header, sum, true, json);
  if (ec) return fail("event loop", ec);
  return loops.stopped_by_signal() ? exit_ok : exit_failure;
}

}  // namespace

void setup_relay(CLI::App& cmd, context& ctx) {
  auto a = std::make_shared<relay_args>();
  cmd.add_option("LISTEN", a->listen,
                 "[ADDR:]PORT to accept on; without ADDR, 127.0.0.1; PORT 0: a free port. Or unix:/path, unix:@name")
      ->required();
  cmd.add_option("TARGET", a->target, "HOST:PORT to relay to, or unix:/path, unix:@name (a Unix stream socket)")->required();
  cmd.add_flag("-u,--udp", a->udp, "Relay UDP datagrams (a session per client address) instead of TCP");
  cmd.add_option("--threads", a->threads,
                 "Event loops, each on its own thread with its own listening socket (SO_REUSEPORT): a number or "
                 "'auto' (one per core)")
      ->capture_default_str();
  add_engine_option(cmd, a->eng);
  auto* copy = cmd.add_flag("--copy", a->copy, "Move TCP bytes with read/write instead of splice (for comparison)");
  auto* pipe = cmd.add_option("--pipe-size", a->pipe_size,
                              "Bytes each direction's pipe may hold (F_SETPIPE_SZ; the kernel rounds up to pages and "
                              "caps it at fs.pipe-max-size)")
                   ->check(int_check(4096, 1 << 30, "bytes"))
                   ->capture_default_str();
  auto* maxc = cmd.add_option("--max-conns", a->max_connections,
                              "Open TCP connections per loop; more are closed at once. Default: what the descriptor "
                              "limit allows (six per connection, two with --tls-in/--tls-out)")
                   ->check(int_check(1, 1000000));
  auto* ct = cmd.add_option("--connect-timeout", a->connect_timeout,
                            "Seconds the target has to accept a connection before the client is reset")
                 ->check(seconds_check(false, 3600))
                 ->capture_default_str();
  auto* idle = cmd.add_option("--idle", a->idle, "UDP: seconds without a datagram either way before a session expires")
                   ->check(seconds_check(false))
                   ->capture_default_str();
  auto* maxs = cmd.add_option("--max-sessions", a->max_sessions,
                              "UDP: open sessions per loop; datagrams from further new clients are dropped")
                   ->check(int_check(1, 1000000))
                   ->capture_default_str();
  auto* delay = cmd.add_option("--delay", a->impair.delay, "Impairment: hold every byte (datagram) SECS seconds")
                    ->check(seconds_check(true, 3600));
  auto* jitter = cmd.add_option("--jitter", a->impair.jitter,
                                "Impairment: add a delay drawn uniformly from -SECS to +SECS seconds (never below 0 in all)")
                     ->check(seconds_check(true, 3600));
  auto* rate = cmd.add_option("--rate", a->impair.rate,
                              "Impairment: at most this many bytes per second each way, per connection (session); 0: unlimited")
                   ->check(number_check(0, 1e12, "bytes per second"))
                   ->type_name("BYTES/S");
  auto* loss = cmd.add_option("--loss", a->impair.loss, "Impairment, UDP: drop this percentage of datagrams")
                   ->check(number_check(0, 100, "percent"))
                   ->type_name("PCT");
  auto* dup = cmd.add_option("--duplicate", a->impair.duplicate, "Impairment, UDP: send this percentage of datagrams twice")
                  ->check(number_check(0, 100, "percent"))
                   ->type_name("PCT");
  auto* reo = cmd.add_option("--reorder", a->impair.reorder,
                             "Impairment, UDP: hold this percentage of datagrams 10 ms longer, so later ones overtake "
                             "them")
                  ->check(number_check(0, 100, "percent"))
                   ->type_name("PCT");
  cmd.add_option("--impair", a->impair_dir,
                 "Which way impairments apply: up (client to target), down (target to client) or both")
      ->check(CLI::IsMember({"up", "down", "both"}))
      ->capture_default_str();
  cmd.add_option("--seed", a->seed, "Seed of the impairments' random draws, for a run that repeats (default: random, "
                                    "printed)")
      ->check(int_check(0, no_upper_bound))
      ->type_name("N");
  add_socket_flags(cmd, a->sock, {.tcp = true, .server = true, .client = true});
  add_unix_flags(cmd, a->unix, true);
  add_relay_tls_flags(cmd, a->tls_in, a->tls_out);
  a->udp_only = {idle, maxs, loss, dup, reo};
  a->tcp_only = {copy, pipe, maxc, ct};
  a->splice_only = {copy, pipe, delay, jitter, rate};
  a->pipe_opt = pipe;
  cmd.footer(
      "TCP bytes move with splice(2) through a pipe per direction; with impairments they wait in a delay\n"
      "line instead; with --tls-in/--tls-out they are copied through the TLS stream; with --engine uring\n"
      "they go through io_uring's provided buffers, on completions. SIGUSR1 prints statistics; Ctrl+C delivers what is held, closes, prints the totals.\n"
      "Examples:\n"
      "  sockit relay 8080 127.0.0.1:80               # 127.0.0.1:8080 -> 127.0.0.1:80\n"
      "  sockit relay 0.0.0.0:2222 10.0.0.5:22 --threads 2\n"
      "  sockit relay 9000 127.0.0.1:9001 --delay 0.05 --jitter 0.01 --rate 1e6\n"
      "  sockit relay --udp 5353 127.0.0.1:53 --loss 5 --reorder 2 --seed 1\n"
      "  sockit relay 9000 unix:/run/app.sock             # TCP 127.0.0.1:9000 -> a Unix stream socket\n"
      "  sockit relay --mode 660 unix:/tmp/db.sock 127.0.0.1:5432   # a Unix socket -> TCP\n"
      "  sockit relay 8443 127.0.0.1:8080 --tls-in --tls-cert cert.pem --tls-key key.pem   # terminates TLS\n"
      "  sockit relay 8080 example.com:443 --tls-out      # plain in, TLS out (verified as example.com)\n"
      "  sockit -v relay --engine uring 8080 127.0.0.1:80 # io_uring completions: for many connections\n"
      "  kill -USR1 RELAY_PID                          # statistics so far (only relay takes SIGUSR1)\n"
      "  sockit --json relay 0 127.0.0.1:7007          # a free port; JSON statistics");
  cmd.callback([a, &ctx] { ctx.run = [a, &ctx] { return run_relay(*a, ctx.json); }; });
}

}  // namespace sockit::cli
