// The service runner: plan the sockets, bind them on every loop, report, run the loops, report
// the totals.
#include "service_host.hpp"

#include <algorithm>
#include <functional>
#include <thread>
#include <utility>

#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include "../args.hpp"
#include "../cli.hpp"
#include "../fd_limit.hpp"
#include "../sys_socket.hpp"
#include "bind_plan.hpp"
#include "completion_server.hpp"
#include "service_loops.hpp"

namespace sockit::cli {

namespace {

int service_bind_failure(const service_spec& s, const char* proto, const endpoint& at, std::error_code ec) {
  return cli::bind_failure(fmt::format("bind {} {} {}", s.name, proto, at.to_string()), ec,
                           "choose another with " + s.port_flag);
}

// The totals of a service's 127.0.0.1 and ::1 sockets are one row: the service's, not an address's.
std::vector<service_stats> merge_twins(std::vector<service_stats> rows) {
  std::vector<service_stats> out;
  for (auto& r : rows) {
    auto same = std::find_if(out.begin(), out.end(),
                             [&](const service_stats& o) { return o.service == r.service && o.proto == r.proto; });
    if (same == out.end()) {
      out.push_back(std::move(r));
      continue;
    }
    same->connections += r.connections;
    same->datagrams += r.datagrams;
    same->bytes_in += r.bytes_in;
    same->bytes_out += r.bytes_out;
    same->dropped += r.dropped;
    same->errors += r.errors;
  }
  return out;
}

}  // namespace

int resolve_threads(int requested) {
  if (requested > 0) return requested;
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

std::size_t max_connections_for(std::uint64_t fd_soft_limit) {
  constexpr std::uint64_t reserve = 64;
  return static_cast<std::size_t>(fd_soft_limit > reserve * 2 ? fd_soft_limit - reserve : fd_soft_limit / 2 + 1);
}

int run_services(const host_options& opts, const std::vector<service_spec>& specs) {
  auto report = make_table_report(opts.json);
  return run_services(opts, specs, *report);
}

int run_services(const host_options& opts, const std::vector<service_spec>& specs, service_report& report) {
  if (auto clash = bind_plan::port_clash(specs); !clash.empty()) return fail_message(clash, exit_usage);
  // A stock soft limit of 1024 would cap connections far below what the loops can serve.
  auto lim = raise_fd_limit();
  spdlog::debug("RLIMIT_NOFILE: {} (hard {})", lim.soft, lim.hard);
  const int n = resolve_threads(opts.threads);
  if (opts.unix_at && n > 1) {
    return fail_message("--threads: a unix: address is served by one loop (Unix sockets have no SO_REUSEPORT)",
                        exit_usage);
  }
  udp_guard guard(opts.guard);  // shared by every loop's UDP services: outlives them
  service_loops loops(opts.drain_timeout);
  if (auto ec = loops.create(opts.eng, n)) return fail("event loop", ec);
  if (auto ec = loops.watch_signals()) return fail("signalfd", ec);

  const bool shared = n > 1;
  // A refused option gets its own line before any bind (see try_socket_flags).
  bool any_tcp = false, any_udp = false;
  for (const auto& s : specs) {
    any_tcp = any_tcp || s.tcp;
    any_udp = any_udp || s.udp;
  }
  const int family = opts.bind.is_v6() ? AF_INET6 : AF_INET;
  if (any_tcp && !opts.unix_at) {
    if (int tc = try_socket_flags(opts.sock, true, family); tc != exit_ok) return tc;
  }
  if (any_udp && !opts.unix_at) {
    if (int tc = try_socket_flags(opts.sock, false, family); tc != exit_ok) return tc;
  }
  // Every listening socket gets the options; -v shows what the kernel made of them once per
  // protocol (the other sockets ask the same).
  std::vector<applied_option> tcp_applied, udp_applied;
  std::string tcp_failed, udp_failed;
  socket_prepare tcp_prepare, udp_prepare;
  if (!no_socket_flags(opts.sock)) {
    tcp_prepare = socket_preparer(opts.sock, true, tcp_applied, tcp_failed);
    udp_prepare = socket_preparer(opts.sock, false, udp_applied, udp_failed);
  }
  bool tcp_logged = false, udp_logged = false;
  bind_plan plan(opts.bind, opts.loopback_pair, specs, shared);
  // The sockets opened on loop 0 (a ::1 twin this host cannot bind is not), and those served by a
  // completion_server instead of a loop's tcp_service: where each row comes from.
  std::vector<bool> opened(plan.sockets().size(), false);
  std::vector<std::vector<const completion_server*>> outside(plan.sockets().size());  // one per loop
  bool completion = false;
  if (opts.completion) {
    std::string unfit = completion_unfit(opts, n);
    completion = unfit.empty();
    if (!completion && opts.eng == completion_engine()) {
      spdlog::info("TCP {} on the {} readiness engine, not completions: {} asks for it", specs.front().name,
                   engine_name(opts.eng), unfit);
    }
  }
  std::vector<std::string> options_json(plan.sockets().size(), "[]");  // loop 0's sockets, for --json
  tcp_service_options to;
  to.max_connections = opts.max_connections ? opts.max_connections : max_connections_for(lim.soft);
  to.idle_timeout = opts.idle_timeout;
  to.tls_handshake_timeout = opts.tls_handshake_timeout;
  to.reuse_port = shared;
  to.prepare = tcp_prepare;
  unix_socket_file unix_file;  // removed when the run ends (a signal's exit removes it too)
  if (opts.unix_at) {
    const auto& s = specs.front();
    const std::string at = opts.unix_at->to_string();
    std::vector<bound_socket> bound;
    if (int rc = listen_unix(*opts.unix_at, opts.unix, opts.sock, unix_file, bound, s.name); rc != exit_ok) return rc;
    auto& sh = loops[0];
    if (opts.unix.dgram) {
      auto u = udp_service::adopt_unix(*sh.loop, s.name, std::move(bound.front().sock), at, guard, s.respond);
      if (!u) return fail("watch " + at, u.error());
      sh.add(std::move(*u));
    } else {
      auto t = tcp_service::adopt(*sh.loop, s.name, std::move(bound.front().sock), at, s.tcp_hooks(), to);
      if (!t) return fail("watch " + at, t.error());
      sh.add(std::move(*t));
    }
  }
  // IP: loop 0 binds first and fixes the ports (port 0 becomes a real one); the others join them.
  for (std::size_t k = 0; !opts.unix_at && k < loops.size(); ++k) {
    auto& sh = loops[k];
    to.loop_index = k;
    for (std::size_t i = 0; i < plan.sockets().size(); ++i) {
      const auto& ps = plan.sockets()[i];
      const auto& s = specs[ps.spec];
      endpoint tried;
      auto ec = plan.open(
          k, i,
          [&](const endpoint& at) -> result<endpoint> {
            if (ps.tcp && completion) {
              auto c = completion_server::start(s.name, at, to.prepare, opts, shared);
              if (!c) return c.error();
              auto* raw = c->get();
              outside[i].push_back(raw);
              endpoint local = raw->totals().local;
              sh.add(std::unique_ptr<loop_service>(std::move(*c)));
              if (!std::exchange(tcp_logged, true)) log_applied(tcp_applied);
              if (k == 0) options_json[i] = applied_json(tcp_applied);
              opened[i] = true;
              return local;
            }
            if (ps.tcp) {
              auto t = opts.tls ? tcp_service::create(*sh.loop, s.name, at, s.tls_hooks, *opts.tls, to)
                                : tcp_service::create(*sh.loop, s.name, at, s.tcp_hooks(), to);
              if (!t) return t.error();
              endpoint local = (*t)->local_endpoint();
              sh.add(std::move(*t));
              if (!std::exchange(tcp_logged, true)) log_applied(tcp_applied);
              if (k == 0) options_json[i] = applied_json(tcp_applied);
              opened[i] = true;
              return local;
            }
            auto u = udp_service::create(*sh.loop, s.name, at, guard, s.respond, shared, udp_prepare);
            if (!u) return u.error();
            endpoint local = (*u)->local_endpoint();
            sh.add(std::move(*u));
            if (!std::exchange(udp_logged, true)) log_applied(udp_applied);
            if (k == 0) options_json[i] = applied_json(udp_applied);
            opened[i] = true;
            return local;
          },
          tried);
      if (ec) return service_bind_failure(s, ps.tcp ? "tcp" : "udp", tried, ec);
    }
  }
  // One row per socket, in the plan's order: the loops' own, with those served outside them
  // (completion_server) put back in their places.
  auto in_order = [&](std::vector<service_stats> loop_rows) {
    std::vector<service_stats> out;
    std::size_t next = 0;
    for (std::size_t i = 0; i < plan.sockets().size(); ++i) {
      if (!outside[i].empty()) {
        out.push_back(completion_totals(outside[i]));
      } else if (opened[i] && next < loop_rows.size()) {
        out.push_back(std::move(loop_rows[next++]));
      } else {
        continue;
      }
      out.back().socket_options = options_json[i];
    }
    // Rows of sockets the plan did not open (a unix: address, bound by listen_unix) follow.
    for (; next < loop_rows.size(); ++next) out.push_back(std::move(loop_rows[next]));
    return out;
  };
  report.listening(in_order(loops.front().totals()));
  spdlog::info("serving on the {} engine{}, {} loop{}; Ctrl+C stops", loops.front().loop->engine_name(),
               completion ? fmt::format(" (TCP {}: completions, {})", specs.front().name, completion_mechanism(opts))
                          : "",
               n, n == 1 ? "" : "s");

  auto ec = loops.run();
  report.totals(merge_twins(in_order(loops.totals())));
  if (ec) return fail("event loop", ec);
  return loops.stopped_by_signal() ? exit_ok : exit_failure;
}

}  // namespace sockit::cli
