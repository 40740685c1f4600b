// sockit bench: the project's load generator (wrk/iperf3-style flags). Opens CONNS connections,
// keeps DEPTH messages of SIZE bytes in flight on each, verifies every echoed byte, and reports
// messages/s, MB/s, latency percentiles, errors, UDP loss and optionally the server's CPU per message.
#include <pthread.h>
#include <unistd.h>

#include <csignal>

#include <atomic>
#include <memory>
#include <thread>

#include <fmt/core.h>
#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include "bench_driver.hpp"
#include "args.hpp"
#include "socket_flags.hpp"
#include "commands.hpp"
#include "fd_limit.hpp"
#include "json.hpp"
#include "stop_signals.hpp"
#include "sockit/engine.hpp"
#include "sockit/error.hpp"
#include "sockit/udp.hpp"
#include "tls_flags.hpp"
#include "unix_flags.hpp"

namespace sockit::cli {
namespace {

// What the command line gives: the target and --threads as typed, the rest straight into the
// driver's configuration.
struct bench_options {
  std::string target;
  unix_flags unix;  // --unix-dgram
  std::string threads = "1";
  bench_config cfg;
  socket_flags sock;
  tls_flags tls;  // --tls, --tls-ca, --tls-insecure, --tls-sni, --tls-alpn: TCP only
  CLI::Option* time_opt = nullptr;
  CLI::Option* warmup_opt = nullptr;
};

// --rate's ceiling: far above what one host sends, low enough that the interval between two
// datagrams of one socket is never below a nanosecond.
constexpr double max_rate = 1e8;
// --count's ceiling (2^40, a trillion datagrams): any count a run can finish.
constexpr long long max_count = 1LL << 40;

// Descriptors beyond the connections: stdio, each loop's poller (epoll, poll or select), eventfd and
// timerfd, a resolver...
constexpr std::uint64_t fd_slack = 64;
// Messages in flight over all connections (-c x -d). No message owns a buffer (bench_driver.cpp),
// but each keeps its send time: 16 bytes, so this caps that at 256 MiB whatever the size.
constexpr std::uint64_t max_in_flight = 1u << 24;
// UDP loss above this share of the datagrams sent earns a warning on stderr.
constexpr std::uint64_t high_udp_loss_percent = 10;

// Why a run without errors measured nothing.
// `seconds`: how long the run really lasted (--count and -t can end it before warm-up + -t).
std::string nothing_measured(const bench_config& cfg, double seconds, std::uint64_t udp_sent) {
  if (cfg.udp && udp_sent == 0 && cfg.rate > 0) {
    return fmt::format("nothing measured: no datagram was due in the window at --rate {:g} per second (raise --rate or -t)",
                       cfg.rate);
  }
  if (cfg.udp) {
    return fmt::format("nothing measured: no datagram sent to {} came back in {:.1f} s (every one lost; is it an echo server?)",
                       cfg.target_name(), seconds);
  }
  return fmt::format("nothing measured: {} echoed nothing back in {:.1f} s (is it an echo server? a discard port or a "
                     "listener that never writes measures nothing)",
                     cfg.target_name(), seconds);
}

std::string us(std::uint64_t ns) { return fmt::format("{:.1f}us", static_cast<double>(ns) / 1000.0); }

int run(const bench_options& o, context& ctx) {
  host_port hp;
  int code = exit_ok;
  // A unix: target (a Unix stream socket, or datagrams with --unix-dgram): no resolver, no port.
  const bool on_unix = is_unix_address_text(o.target);
  unix_flags uf = o.unix;
  unix_address unix_at;
  if (on_unix && o.cfg.udp) {
    return fail_message("bench: -u/--udp has no meaning with a unix: target (--unix-dgram for datagrams)", exit_usage);
  }
  if (!check_unix_args(on_unix ? o.target : std::string(), uf, o.sock, unix_at, code)) return code;
  const bool udp = o.cfg.udp || uf.dgram;  // datagrams, over UDP or a Unix socket
  tls_flags tf = o.tls;
  const char* no_tls = o.cfg.udp ? "--udp (bench --tls is TCP)" : uf.dgram ? "--unix-dgram (bench --tls is TCP)"
                       : on_unix ? "a unix: target (bench --tls is TCP)" : nullptr;
  if (!check_tls_flags(tf, false, no_tls, code)) return code;
  std::vector<endpoint> eps;
  if (!on_unix) {
    if (!parse_address_arg(o.target, hp, code, udp ? transport::udp : transport::tcp)) return code;
    if (hp.port == 0) return refuse_port_zero();
    resolve_options ro;
    ro.socktype = udp ? SOCK_DGRAM : SOCK_STREAM;
    auto r = resolve(hp.host, hp.port, ro);
    if (!r) return fail(fmt::format("resolve '{}'", hp.host.empty() ? "localhost" : hp.host), r.error());
    eps = std::move(*r);
  }
  if (!udp && (o.cfg.rate > 0 || o.cfg.count > 0)) {
    return fail_message(fmt::format("bench: {} needs --udp", o.cfg.rate > 0 ? "--rate" : "--count"), exit_usage);
  }
  socket_flags flags = o.sock;
  if (!check_socket_flags(flags, !udp, code)) return code;
  if (o.cfg.count > 0 && o.warmup_opt->count() > 0) {
    return fail_message("bench: --warmup has no meaning with --count (every datagram is counted, from the first)", exit_usage);
  }
  if (udp && o.cfg.size < 8) {
    return fail_message(fmt::format("bench: {} needs --size of at least 8 bytes (sequence number)",
                                    on_unix ? "--unix-dgram" : "--udp"),
                        exit_usage);
  }
  if (o.cfg.udp && o.cfg.size > max_udp_payload(eps.front())) {
    return fail_message(fmt::format("bench: --udp --size {} is larger than a UDP datagram to {} can carry ({} bytes)",
                                    o.cfg.size, eps.front().to_string(), max_udp_payload(eps.front())),
                        exit_usage);
  }
  // sockit echo --unix-dgram reads datagrams of up to 64 KiB.
  if (uf.dgram && o.cfg.size > 65536) {
    return fail_message(fmt::format("bench: --unix-dgram --size {}: at most 65536 bytes (sockit echo's datagram buffer)",
                                    o.cfg.size),
                        exit_usage);
  }

  const std::uint64_t in_flight = static_cast<std::uint64_t>(o.cfg.connections) * static_cast<std::uint64_t>(o.cfg.depth);
  if (in_flight > max_in_flight) {
    return fail_message(fmt::format("bench: -c {} x -d {} is {} messages in flight; at most {} (lower -c or -d)",
                                    o.cfg.connections, o.cfg.depth, in_flight, max_in_flight),
                        exit_usage);
  }

  bench_config cfg = o.cfg;
  cfg.udp = udp;
  if (on_unix) cfg.unix_target = unix_at;
  else cfg.target = eps.front();
  if (tf.on) {
    cfg.tls = &*tf.ctx;
    cfg.tls_host = tf.sni.value_or(hp.host.empty() ? "localhost" : hp.host);
  }
  // --rcvbuf is the driver's own (it reads back what the kernel granted, for the report); the
  // other flags run on every connection's socket, on the generator's threads.
  cfg.recv_buffer = flags.rcvbuf ? static_cast<int>(*flags.rcvbuf) : 0;
  flags.rcvbuf.reset();
  std::vector<applied_option> applied;
  if (int tc = on_unix ? exit_ok : try_socket_flags(flags, !cfg.udp, cfg.target.family(), true, &applied); tc != exit_ok) {
    return tc;
  }
  cfg.prepare = socket_applier(flags, !cfg.udp);
  cfg.count_time_limit = o.time_opt->count() > 0;
  if (!parse_threads_arg(o.threads, cfg.threads, code)) return code;
  if (cfg.server_pid > 0 && process_cpu_seconds(cfg.server_pid) < 0) {
    return fail_message(fmt::format("bench: --server-pid {}: no such process", cfg.server_pid), exit_usage);
  }
  // Fail up front, with the numbers, rather than with thousands of EMFILE connect errors.
  // Each load generator thread's loop holds descriptors of its own (poller, wake-up eventfd).
  const std::uint64_t needed = static_cast<std::uint64_t>(cfg.connections) + fd_slack + 2 * static_cast<std::uint64_t>(cfg.threads);
  for (const auto& e : available_engines()) {  // select: descriptors below FD_SETSIZE only
    // The connections, each loop's own two, and what is open already: the highest number it meets.
    std::uint64_t highest = static_cast<std::uint64_t>(cfg.connections) + 2 * static_cast<std::uint64_t>(cfg.threads) + open_fd_count();
    if (e.id == cfg.loop_engine && e.max_fds != 0 && highest > e.max_fds) {
      return fail_message(fmt::format("bench: --engine {} watches descriptors below {} only; -c {} needs up to {} "
                                      "(use epoll or poll, or lower -c)",
                                      e.name, e.max_fds, cfg.connections, highest),
                          exit_usage);
    }
  }
  if (auto lim = raise_fd_limit(needed); lim.soft < needed) {
    return fail_message(fmt::format("bench: -c {} needs {} descriptors; RLIMIT_NOFILE allows {} (hard limit {}); "
                                    "lower -c, or raise the hard limit (limits.conf, systemd LimitNOFILE=, or as root)",
                                    cfg.connections, needed, lim.soft, lim.hard),
                        exit_failure);
  }

  bool tty = ::isatty(STDERR_FILENO) && !ctx.json;
  if (!ctx.json) {
    std::string span = cfg.count == 0 ? fmt::format("{:g} s (+{:g} s warm-up)", cfg.seconds, cfg.warmup)
                                      : fmt::format("{} datagrams{}", cfg.count, cfg.count_time_limit ? fmt::format(" (at most {:g} s)", cfg.seconds) : "");
    print_out("sockit bench {}: {}{}, {} connection{}, depth {}, {} B messages{}, {}, {} thread{}\n",
               cfg.target_name(), cfg.proto(), cfg.tls ? " over TLS" : "", cfg.connections, cfg.connections == 1 ? "" : "s",
               cfg.depth, cfg.size, cfg.rate > 0 ? fmt::format(", {:g}/s in all", cfg.rate) : "", span, cfg.threads,
               cfg.threads == 1 ? "" : "s");
    std::fflush(stdout);
  }

  // SIGINT/SIGTERM are taken here, by this thread, from a mask every thread started below
  // inherits: the first one ends the run early with what it measured (as `proto call --count`),
  // a second one exits 130 at once. The mask is never lifted: a signal that comes after the run is
  // over stays pending and cannot cut the results short (unless stdout takes nothing for 0.2 s:
  // a blocked write gives way to it, output.hpp).
#ifdef _WIN32
  // Windows: the C runtime's handler thread counts Ctrl+C (stop_signals_windows.cpp); the second
  // one exits 130 from there.
  install_stop_handlers();
  defer_stop(true);
#else
  sigset_t stop_signals;
  ::sigemptyset(&stop_signals);
  ::sigaddset(&stop_signals, SIGINT);
  ::sigaddset(&stop_signals, SIGTERM);
  if (!sighup_ignored()) ::sigaddset(&stop_signals, SIGHUP);
  ::pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
#endif

  bench_progress progress;
  bench_totals t;
  std::atomic<bool> finished{false};
  std::thread runner([&] {
    t = run_bench(cfg, progress);
    finished = true;
  });
  bool interrupted = false;
  // Progress once a second on a terminal, overwritten in place.
  std::uint64_t last = 0;
  auto begin = std::chrono::steady_clock::now();
  while (!finished) {
#ifdef _WIN32
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (stop_requested() && !interrupted) {
      interrupted = true;
      progress.stop = true;
    }
#else
    timespec tick{0, 100'000'000};
    int sig = ::sigtimedwait(&stop_signals, nullptr, &tick);
    if (sig == SIGINT || sig == SIGTERM || sig == SIGHUP) {
      if (interrupted) std::_Exit(128 + SIGINT);  // 130, the status of a Ctrl+C, whichever signal it was
      interrupted = true;
      progress.stop = true;
    }
#endif
    auto elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
    if (!tty || static_cast<std::uint64_t>(elapsed) == last || finished) continue;
    last = static_cast<std::uint64_t>(elapsed);
    print_err("\r  [{:>3.0f}s] {}  {} messages  {} errors   ", elapsed,
               progress.measuring ? "measuring" : "warming up", progress.messages.load(), progress.errors.load());
    std::fflush(stderr);
  }
  runner.join();
  if (tty) print_err("\r{:60}\r", "");
  if (cfg.recv_buffer > 0 && t.recv_buffer > 0) {  // as -v says of every other socket option
    spdlog::info("socket option SO_RCVBUF: asked {}, kernel has {}", cfg.recv_buffer, 2 * static_cast<std::int64_t>(t.recv_buffer));
  }
  if (cfg.recv_buffer > 0 && t.recv_buffer > 0 && t.recv_buffer < cfg.recv_buffer) {
    notice(fmt::format("bench: --rcvbuf {}: the kernel allowed {} bytes (net.core.rmem_max caps it)", cfg.recv_buffer, t.recv_buffer));
  }

  // Nothing measured is a failed run, whatever the reason: one line on stderr saying why (JSON
  // still gets its object, with first_error set). Without an error, the server took the bytes and
  // sent nothing back: a discard port, a listener that never echoes, or UDP losing every datagram.
  if (t.messages == 0) {
    if (t.first_error.empty()) {
      t.first_error = interrupted ? "interrupted before anything was measured"
                                  : nothing_measured(cfg, std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count(),
                                                     t.udp_sent);
    }
    fail_message(t.first_error);
    if (!ctx.json) return exit_failure;
  }
  // Interrupted before the window opened (connecting, warming up): nothing was measured, 0 s.
  double secs = t.measured_seconds > 0 || interrupted ? t.measured_seconds : cfg.seconds;
  double rate = secs > 0 ? static_cast<double>(t.messages) / secs : 0;
  double mbps = secs > 0 ? static_cast<double>(t.bytes) / secs / 1e6 : 0;
  double cpu_per_msg = t.server_cpu_seconds >= 0 && t.messages ? t.server_cpu_seconds * 1e6 / static_cast<double>(t.messages) : -1;
  const auto& h = t.latency_ns;
  auto p = [&](double q) { return static_cast<double>(h.percentile(q)) / 1000.0; };

  if (ctx.json) {
    json_object lat;  // nothing measured: null, not a latency of 0
    if (t.messages == 0) {
      for (const char* k : {"p50", "p90", "p99", "p999", "max"}) lat.add_null(k);
    } else {
      lat.add("p50", p(50)).add("p90", p(90)).add("p99", p(99)).add("p999", p(99.9)).add("max", static_cast<double>(h.max()) / 1000.0);
    }
    json_object j;
    j.add("target", cfg.target_name()).add("proto", cfg.proto()).add("connections", cfg.connections).add("connected", t.connected).add("sources", t.sources)
        .add("depth", cfg.depth).add("size", static_cast<std::uint64_t>(cfg.size)).add("threads", cfg.threads)
        .add("duration_s", secs).add("messages", t.messages).add("msgs_per_s", rate).add("mb_per_s", mbps)
        .add_raw("latency_us", lat.str()).add("errors", t.errors).add("connect_failures", t.connect_failures)
        .add("udp_sent", t.udp_sent).add("udp_echoed", cfg.udp ? t.messages : 0).add("udp_lost", t.udp_lost)
        .add("udp_reordered", t.udp_reordered).add("interrupted", interrupted).add("tls", cfg.tls != nullptr);
    if (cfg.rate > 0) j.add("rate_pps", cfg.rate); else j.add_null("rate_pps");
    if (cfg.count > 0) j.add("count", cfg.count); else j.add_null("count");
    if (cfg.recv_buffer > 0) j.add("rcvbuf", t.recv_buffer); else j.add_null("rcvbuf");
    if (cpu_per_msg >= 0) j.add("server_cpu_us_per_msg", cpu_per_msg); else j.add_null("server_cpu_us_per_msg");
    if (t.first_error.empty()) j.add_null("first_error"); else j.add("first_error", t.first_error);
    j.add_raw("socket_options", applied_json(applied));
    print_json(j);
  } else {
    print_out("  messages     {} ({:.1f}/s)\n", t.messages, rate);
    print_out("  throughput   {:.2f} MB/s echoed\n", mbps);
    print_out("  latency      p50 {}  p90 {}  p99 {}  p99.9 {}  max {}\n", us(h.percentile(50)), us(h.percentile(90)),
               us(h.percentile(99)), us(h.percentile(99.9)), us(h.max()));
    print_out("  errors       {}{}\n", t.errors, t.first_error.empty() ? "" : " (first: " + t.first_error + ")");
    if (cfg.udp) {
      print_out("  udp          sent {}, echoed {}, lost {}, reordered {}\n", t.udp_sent, t.messages, t.udp_lost, t.udp_reordered);
    }
    if (cpu_per_msg >= 0) print_out("  server CPU   {:.2f} us/msg (pid {})\n", cpu_per_msg, cfg.server_pid);
    if (interrupted) print_out("  interrupted  after {:.2f} s of the {:g} s window\n", t.measured_seconds, cfg.seconds);
  }
  // Heavy loss is a result too, but rarely the one meant: say so where a person or a script sees it
  // (losing everything was said above, in the one line of a run that measured nothing).
  if (cfg.udp && t.messages > 0 && t.udp_sent > 0 && t.udp_lost * 100 > t.udp_sent * high_udp_loss_percent) {
    notice(fmt::format("bench: warning: {} of {} datagrams lost ({:.0f}%); likely cause: a rate limit in the server (sockit "
                       "echo and serve answer each non-loopback UDP source at most --udp-rate times a second), "
                       "else full socket buffers",
                       t.udp_lost, t.udp_sent, std::min(100.0, 100.0 * static_cast<double>(t.udp_lost) / static_cast<double>(t.udp_sent))));
  }
  return t.errors || t.messages == 0 ? exit_failure : exit_ok;
}

}  // namespace

void setup_bench(CLI::App& cmd, context& ctx) {
  auto o = std::make_shared<bench_options>();
  cmd.add_option("target", o->target, "Echo server to load: HOST:PORT, [v6]:PORT or PORT, or unix:/path, unix:@name")
      ->required();
  cmd.add_flag("-u,--udp", o->cfg.udp, "Send datagrams instead of a TCP stream");
  cmd.add_option("-c,--connections", o->cfg.connections, "Concurrent connections (UDP: sockets)")->check(int_check(1, 1000000))->capture_default_str();
  cmd.add_option("-d,--depth", o->cfg.depth, "Messages in flight per connection")->check(int_check(1, 4096))->capture_default_str();
  cmd.add_option("-s,--size", o->cfg.size, "Message size in bytes")->check(int_check(1, 16 << 20, "bytes"))->capture_default_str();
  o->time_opt = cmd.add_option("-t,--time", o->cfg.seconds, "Seconds to measure (with --count: at most this long)")
                    ->check(seconds_check(false, 86400))
                    ->capture_default_str();
  o->warmup_opt = cmd.add_option("--warmup", o->cfg.warmup, "Seconds of warm-up before measuring")->check(seconds_check(true, 3600))->capture_default_str();
  cmd.add_option("--rate", o->cfg.rate, "UDP: datagrams per second over all connections together (default: as fast as echoes return)")
      ->check(number_check(0.01, max_rate, "datagrams per second"));
  cmd.add_option("-n,--count", o->cfg.count, "UDP: send this many datagrams in all, no warm-up, then wait for the last echoes")
      ->check(int_check(1, max_count, "datagrams"));
  cmd.add_option("--threads", o->threads, "Load generator threads (a number or 'auto': one per core)")->capture_default_str();
  cmd.add_option("--server-pid", o->cfg.server_pid, "Also report this server process's CPU time per message")->check(int_check(1, 1 << 22));  // Linux PID_MAX_LIMIT
  add_engine_option(cmd, o->cfg.loop_engine);
  add_socket_flags(cmd, o->sock, {.tcp = true, .server = false, .client = false});
  add_unix_flags(cmd, o->unix, false);
  add_tls_flags(cmd, o->tls, false);
  // Hidden (empty group), for tests: a low value makes a few hundred connections use several
  // source addresses, which otherwise happens only when a source runs out of ephemeral ports.
  cmd.add_option("--per-source", o->cfg.per_source, "Connections per 127.0.0.x source address before the next")
      ->check(int_check(1, 1000000))
      ->group("");
  cmd.footer(
      "Every echoed byte is verified; latency is measured per message from send to complete echo.\n"
      "Examples:\n"
      "  sockit bench 127.0.0.1:7007                          # 1 connection, depth 1, 64 B, 5 s\n"
      "  sockit bench 127.0.0.1:7007 -c 100 -d 16 -t 10       # 100 connections, 16 in flight each\n"
      "  sockit bench 127.0.0.1:7007 -c 100 -d 16 --engine epoll   # load from an event loop, not io_uring completions\n"
      "  sockit echo --tcp & sleep 0.5; sockit bench :7007 -s 16384 --server-pid $!   # $!: that echo's PID\n"
      "  sockit bench 127.0.0.1:7007 --udp -c 4 -d 8 --json\n"
      "  sockit echo unix:/tmp/e.sock & sleep 0.5; sockit bench unix:/tmp/e.sock -s 16384   # vs TCP loopback\n"
      "  sockit bench --unix-dgram unix:@echo -c 4 -d 8          # against sockit echo --unix-dgram unix:@echo\n"
      "  sockit bench --tls --tls-ca ca.pem localhost:7443 -c 4 -d 4 -s 16384   # against sockit echo --tls\n"
      "  sockit bench 10.0.0.2:7007 --udp --rate 2000 -n 10000 -d 64   # paced; lost/reordered counted");
  cmd.callback([o, &ctx] { ctx.run = [o, &ctx] { return run(*o, ctx); }; });
}

}  // namespace sockit::cli
