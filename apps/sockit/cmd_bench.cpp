// sockit bench: the project's load generator (wrk/iperf3-style flags). Opens CONNS connections,
// keeps DEPTH messages of SIZE bytes in flight on each, verifies every echoed byte, and reports
// messages/s, MB/s, latency percentiles, errors, UDP loss and optionally the server's CPU per message.
#include <unistd.h>

#include <atomic>
#include <memory>
#include <thread>

#include <fmt/core.h>

#include "bench_driver.hpp"
#include "args.hpp"
#include "commands.hpp"
#include "fd_limit.hpp"
#include "json.hpp"
#include "sockit/error.hpp"
#include "sockit/udp.hpp"

namespace sockit::cli {
namespace {

// What the command line gives: the target and --threads as typed, the rest straight into the
// driver's configuration.
struct bench_options {
  std::string target;
  std::string threads = "1";
  bench_config cfg;
};

// Descriptors beyond the connections: stdio, each loop's poller (epoll, poll or select), eventfd and
// timerfd, a resolver...
constexpr std::uint64_t fd_slack = 64;
// The largest UDP payload over IPv4: 65535 - 20 (IP header) - 8 (UDP header).

std::string us(std::uint64_t ns) { return fmt::format("{:.1f}us", static_cast<double>(ns) / 1000.0); }

int run(const bench_options& o, context& ctx) {
  host_port hp;
  int code = exit_ok;
  if (!parse_address_arg(o.target, hp, code)) return code;
  resolve_options ro;
  ro.socktype = o.cfg.udp ? SOCK_DGRAM : SOCK_STREAM;
  auto eps = resolve(hp.host, hp.port, ro);
  if (!eps) return fail(fmt::format("resolve '{}'", hp.host.empty() ? "localhost" : hp.host), eps.error());
  if (o.cfg.udp && o.cfg.size < 8) return fail_message("bench: --udp needs --size of at least 8 bytes (sequence number)", exit_usage);
  if (o.cfg.udp && o.cfg.size > max_udp_payload(eps->front())) {
    return fail_message(fmt::format("bench: --udp --size {} is larger than a UDP datagram to {} can carry ({} bytes)",
                                    o.cfg.size, eps->front().to_string(), max_udp_payload(eps->front())),
                        exit_usage);
  }

  bench_config cfg = o.cfg;
  cfg.target = eps->front();
  if (!parse_threads_arg(o.threads, cfg.threads, code)) return code;
  if (cfg.server_pid > 0 && process_cpu_seconds(cfg.server_pid) < 0) {
    return fail_message(fmt::format("bench: --server-pid {}: no such process", cfg.server_pid), exit_usage);
  }
  // Fail up front, with the numbers, rather than with thousands of EMFILE connect errors.
  // Each load generator thread's loop holds descriptors of its own (poller, wake-up eventfd).
  const std::uint64_t needed = static_cast<std::uint64_t>(cfg.connections) + fd_slack + 2 * static_cast<std::uint64_t>(cfg.threads);
  if (auto lim = raise_fd_limit(needed); lim.soft < needed) {
    return fail_message(fmt::format("bench: -c {} needs {} descriptors; RLIMIT_NOFILE allows {} (hard limit {}); "
                                    "lower -c, or raise the hard limit (limits.conf, systemd LimitNOFILE=, or as root)",
                                    cfg.connections, needed, lim.soft, lim.hard),
                        exit_failure);
  }

  bool tty = ::isatty(STDERR_FILENO) && !ctx.json;
  if (!ctx.json) {
    fmt::print("sockit bench {}: {}, {} connection{}, depth {}, {} B messages, {:g} s (+{:g} s warm-up), {} thread{}\n",
               cfg.target.to_string(), cfg.udp ? "udp" : "tcp", cfg.connections, cfg.connections == 1 ? "" : "s",
               cfg.depth, cfg.size, cfg.seconds, cfg.warmup, cfg.threads, cfg.threads == 1 ? "" : "s");
    std::fflush(stdout);
  }

  bench_progress progress;
  bench_totals t;
  std::thread runner([&] { t = run_bench(cfg, progress); });
  if (tty) {
    // Progress once a second on a terminal, overwritten in place.
    std::uint64_t last = 0;
    auto begin = std::chrono::steady_clock::now();
    std::atomic<bool> done{false};  // written here, read by the ticker thread
    std::thread ticker([&] {
      while (!done) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        auto elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
        if (static_cast<std::uint64_t>(elapsed) == last || done) continue;
        last = static_cast<std::uint64_t>(elapsed);
        fmt::print(stderr, "\r  [{:>3.0f}s] {}  {} messages  {} errors   ", elapsed,
                   progress.measuring ? "measuring" : "warming up", progress.messages.load(), progress.errors.load());
        std::fflush(stderr);
      }
    });
    runner.join();
    done = true;
    ticker.join();
    fmt::print(stderr, "\r{:60}\r", "");
  } else {
    runner.join();
  }

  // Nothing measured: say why on stderr (JSON still gets its object, with first_error set).
  bool nothing = t.messages == 0 && !t.first_error.empty();
  if (nothing) fail_message(t.first_error);
  if (nothing && !ctx.json) return exit_failure;
  double secs = t.measured_seconds > 0 ? t.measured_seconds : cfg.seconds;
  double rate = static_cast<double>(t.messages) / secs;
  double mbps = static_cast<double>(t.bytes) / secs / 1e6;
  double cpu_per_msg = t.server_cpu_seconds >= 0 && t.messages ? t.server_cpu_seconds * 1e6 / static_cast<double>(t.messages) : -1;
  const auto& h = t.latency_ns;
  auto p = [&](double q) { return static_cast<double>(h.percentile(q)) / 1000.0; };

  if (ctx.json) {
    json_object lat;
    lat.add("p50", p(50)).add("p90", p(90)).add("p99", p(99)).add("p999", p(99.9)).add("max", static_cast<double>(h.max()) / 1000.0);
    json_object j;
    j.add("target", cfg.target.to_string()).add("proto", cfg.udp ? "udp" : "tcp").add("connections", cfg.connections).add("connected", t.connected).add("sources", t.sources)
        .add("depth", cfg.depth).add("size", static_cast<std::uint64_t>(cfg.size)).add("threads", cfg.threads)
        .add("duration_s", secs).add("messages", t.messages).add("msgs_per_s", rate).add("mb_per_s", mbps)
        .add_raw("latency_us", lat.str()).add("errors", t.errors).add("connect_failures", t.connect_failures)
        .add("udp_sent", t.udp_sent).add("udp_lost", t.udp_lost);
    if (cpu_per_msg >= 0) j.add("server_cpu_us_per_msg", cpu_per_msg); else j.add_null("server_cpu_us_per_msg");
    if (t.first_error.empty()) j.add_null("first_error"); else j.add("first_error", t.first_error);
    print_json(j);
  } else {
    fmt::print("  messages     {} ({:.1f}/s)\n", t.messages, rate);
    fmt::print("  throughput   {:.2f} MB/s echoed\n", mbps);
    fmt::print("  latency      p50 {}  p90 {}  p99 {}  p99.9 {}  max {}\n", us(h.percentile(50)), us(h.percentile(90)),
               us(h.percentile(99)), us(h.percentile(99.9)), us(h.max()));
    fmt::print("  errors       {}{}\n", t.errors, t.first_error.empty() ? "" : " (first: " + t.first_error + ")");
    if (cfg.udp) fmt::print("  udp loss     {} of {} datagrams\n", t.udp_lost, t.udp_sent);
    if (cpu_per_msg >= 0) fmt::print("  server CPU   {:.2f} us/msg (pid {})\n", cpu_per_msg, cfg.server_pid);
  }
  return t.errors ? exit_failure : exit_ok;
}

}  // namespace

void setup_bench(CLI::App& cmd, context& ctx) {
  auto o = std::make_shared<bench_options>();
  cmd.add_option("target", o->target, "Echo server to load: HOST:PORT, [v6]:PORT or PORT")->required();
  cmd.add_flag("-u,--udp", o->cfg.udp, "Send datagrams instead of a TCP stream");
  cmd.add_option("-c,--connections", o->cfg.connections, "Concurrent connections (UDP: sockets)")->check(int_check(1, 1000000))->capture_default_str();
  cmd.add_option("-d,--depth", o->cfg.depth, "Messages in flight per connection")->check(int_check(1, 4096))->capture_default_str();
  cmd.add_option("-s,--size", o->cfg.size, "Message size in bytes")->check(int_check(1, 16 << 20, "bytes"))->capture_default_str();
  cmd.add_option("-t,--time", o->cfg.seconds, "Seconds to measure")->check(number_check(0.1, 86400, "seconds"))->capture_default_str();
  cmd.add_option("--warmup", o->cfg.warmup, "Seconds of warm-up before measuring")->check(number_check(0, 3600, "seconds"))->capture_default_str();
  cmd.add_option("--threads", o->threads, "Load generator threads (a number or 'auto': one per core)")->capture_default_str();
  cmd.add_option("--server-pid", o->cfg.server_pid, "Also report this server process's CPU time per message")->check(int_check(1, 1 << 22));  // Linux PID_MAX_LIMIT
  add_engine_option(cmd, o->cfg.loop_engine);
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
      "  sockit bench :7007 -c 10 -d 4 -s 16384 --server-pid $(pidof sockit)\n"
      "  sockit bench 127.0.0.1:7007 --udp -c 4 -d 8 --json");
  cmd.callback([o, &ctx] { ctx.run = [o, &ctx] { return run(*o, ctx); }; });
}

}  // namespace sockit::cli
