// The serve/echo runner: bind everything on every loop, print the table, run the loops, drain on a
// signal, print the totals.
#include "service_host.hpp"

#include <csignal>
#include <cstdio>
#include <algorithm>
#include <functional>
#include <memory>
#include <thread>

#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include "../args.hpp"
#include "../cli.hpp"
#include "../fd_limit.hpp"
#include "../json.hpp"
#include "../output.hpp"
#include "sockit/error.hpp"
#include "sockit/tcp.hpp"
#include "sockit/udp.hpp"

namespace sockit::cli {

namespace {

int bind_failure(const service_spec& s, const char* proto, const endpoint& at, std::error_code ec) {
  return cli::bind_failure(fmt::format("bind {} {} {}", s.name, proto, at.to_string()), ec,
                           "choose another with " + s.port_flag);
}

std::string stats_json(const service_stats& t, bool with_totals) {
  json_object o;
  o.add("service", t.service).add("proto", t.proto).add("address", t.local.to_string());
  if (with_totals) {
    o.add("connections", t.connections)
        .add("datagrams", t.datagrams)
        .add("bytes_in", t.bytes_in)
        .add("bytes_out", t.bytes_out)
        .add("dropped", t.dropped)
        .add("errors", t.errors);
  }
  return o.str();
}

void print_report(const char* event, const std::vector<service_stats>& rows, bool json, bool with_totals) {
  if (json) {
    std::string arr = "[";
    for (const auto& r : rows) {
      if (arr.size() > 1) arr += ',';
      arr += stats_json(r, with_totals);
    }
    arr += ']';
    json_object o;
    o.add("event", event).add_raw("services", arr);
    print_json(o);
    return;
  }
  std::string out;
  if (with_totals) {
    out += fmt::format("{:<9} {:<5} {:>11} {:>9} {:>12} {:>12} {:>8} {:>6}\n", "SERVICE", "PROTO", "CONNECTIONS",
                       "DATAGRAMS", "BYTES_IN", "BYTES_OUT", "DROPPED", "ERRORS");
    for (const auto& r : rows) {
      out += fmt::format("{:<9} {:<5} {:>11} {:>9} {:>12} {:>12} {:>8} {:>6}\n", r.service, r.proto, r.connections,
                         r.datagrams, r.bytes_in, r.bytes_out, r.dropped, r.errors);
    }
  } else {
    out += fmt::format("{:<9} {:<5} {}\n", "SERVICE", "PROTO", "ADDRESS");
    for (const auto& r : rows) out += fmt::format("{:<9} {:<5} {}\n", r.service, r.proto, r.local.to_string());
  }
  (void)write_out(out);
}

// One stderr line per socket (scripts read the port from it); stdout has the table, or with
// --json one {"event":"listening"} object per socket.
void print_listening(const std::vector<service_stats>& rows, bool json) {
  for (const auto& r : rows) announce_listening(r.local, r.proto, r.service);
  if (!json) return print_report("listening", rows, false, false);
  for (const auto& r : rows) {
    json_object o;
    o.add("event", "listening").add("service", r.service).add("proto", r.proto).add("address", r.local.to_string());
    print_json(o);
  }
}


// One event loop and everything it serves. Loop 0 runs on the calling thread and owns the
// signals; the others run on their own threads. Each loop drains on its own, to its own
// deadline: one loop that has finished early must not cut the others' drains short.
struct shard {
  std::unique_ptr<event_loop> loop;
  std::vector<std::unique_ptr<tcp_service>> tcps;
  std::vector<std::unique_ptr<udp_service>> udps;
  std::vector<std::pair<tcp_service*, udp_service*>> rows;  // in the order of the table
  bool draining = false;
  bool finished = false;
  event_loop::timer_id deadline_timer = 0, sweep_timer = 0;
  std::error_code loop_error;
  // Runs on this loop's thread once everything it served is closed (see run_services).
  std::function<void()> on_finished;

  std::vector<service_stats> totals() const {
    std::vector<service_stats> out;
    for (const auto& [t, u] : rows) out.push_back(t ? t->totals() : u->totals());
    return out;
  }

  std::size_t sweep() {
    std::size_t left = 0;
    for (auto& t : tcps) left += t->sweep_drained();
    return left;
  }

  void close_everything() {
    for (auto& t : tcps) t->close_all();
    for (auto& u : udps) u->close();
  }

  // Idempotent: the deadline, the sweep, a second signal and a failing sibling may all ask.
  void finish() {
    if (finished) return;
    finished = true;
    if (deadline_timer) loop->cancel(deadline_timer);
    if (sweep_timer) loop->cancel(sweep_timer);
    close_everything();
    if (on_finished) on_finished();
  }

  // Graceful stop, on this shard's loop thread: no new connections or datagrams; queued output
  // leaves; the shard finishes once every connection is gone or at the deadline.
  void begin_drain(std::chrono::milliseconds deadline) {
    if (draining || finished) return;
    draining = true;
    for (auto& t : tcps) t->begin_drain();
    for (auto& u : udps) u->close();
    if (sweep() == 0) return finish();
    deadline_timer = loop->run_after(deadline, [this] {
      deadline_timer = 0;
      std::size_t left = 0;
      for (auto& t : tcps) left += t->live();
      if (left) spdlog::info("drain deadline: closing {} connection(s) with output still queued", left);
      finish();
    });
    // The kernel raises no event when a socket's send queue empties: look twenty times a second.
    sweep_timer = loop->run_every(std::chrono::milliseconds(50), [this] {
      if (sweep() == 0) finish();
    });
  }
};

// Binds `at` once without SO_REUSEPORT first: a port someone else holds must fail as usual
// (with SO_REUSEPORT another process of the same user could silently share it), and port 0 is
// resolved to the one real port every loop then shares.
result<std::uint16_t> probe_port(const endpoint& at, bool tcp) {
  if (tcp) {
    listen_options lo;
    lo.v6_only = false;
    auto s = tcp_listen(at, lo);
    if (!s) return s.error();
    auto l = s->local_endpoint();
    if (!l) return l.error();
    return l->port();
  }
  udp_bind_options bo;
  bo.v6_only = false;
  auto s = udp_bind(at, bo);
  if (!s) return s.error();
  auto l = s->local_endpoint();
  if (!l) return l.error();
  return l->port();
}

}  // namespace

int resolve_threads(int requested) {
  if (requested > 0) return requested;
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

int run_services(const host_options& opts, const std::vector<service_spec>& specs) {
  // A stock soft limit of 1024 would cap connections far below what the loops can serve.
  auto lim = raise_fd_limit();
  spdlog::debug("RLIMIT_NOFILE: {} (hard {})", lim.soft, lim.hard);
  const int n = resolve_threads(opts.threads);
  const bool shared = n > 1;
  std::vector<shard> shards(static_cast<std::size_t>(n));
  for (auto& sh : shards) {
    auto loop_r = event_loop::create(opts.eng);
    if (!loop_r) return fail("event loop", loop_r.error());
    sh.loop = std::move(*loop_r);
  }
  // Signals first, before any thread starts (they inherit the mask): a SIGINT that arrives while
  // we bind must still stop us cleanly. A second signal skips the drain.
  bool stopped_by_signal = false;
  auto& first = shards.front();
  if (auto ec = first.loop->on_signals({SIGINT, SIGTERM}, [&](int sig) {
        bool again = stopped_by_signal;
        stopped_by_signal = true;
        spdlog::info("{}: {}", sig == SIGINT ? "SIGINT" : "SIGTERM",
                     again ? "stopping now" : "stopping (draining connections)");
        for (auto& sh : shards) {
          shard* p = &sh;
          if (again) {
            sh.loop->post([p] { p->finish(); });
          } else {
            sh.loop->post([p, d = opts.drain_timeout] { p->begin_drain(d); });
          }
        }
      })) {
    return fail("signalfd", ec);
  }

  udp_guard guard(opts.guard);
  tcp_service_options to;
  to.max_connections = opts.max_connections;
  to.idle_timeout = opts.idle_timeout;
  to.reuse_port = shared;
  // Loop 0 binds first and fixes the ports (port 0 becomes a real one); the others join them.
  std::vector<endpoint> tcp_at, udp_at;
  for (std::size_t k = 0; k < shards.size(); ++k) {
    auto& sh = shards[k];
    to.loop_index = k;
    std::size_t ti = 0, ui = 0;
    for (const auto& s : specs) {
      endpoint at = opts.bind;
      at.set_port(s.port);
      if (s.tcp) {
        if (k > 0) {
          at = tcp_at[ti++];
        } else if (shared) {
          auto p = probe_port(at, true);
          if (!p) return bind_failure(s, "tcp", at, p.error());
          at.set_port(*p);
        }
        auto t = tcp_service::create(*sh.loop, s.name, at, s.on_open, to);
        if (!t) return bind_failure(s, "tcp", at, t.error());
        if (k == 0) tcp_at.push_back((*t)->local_endpoint());
        sh.rows.push_back({t->get(), nullptr});
        sh.tcps.push_back(std::move(*t));
      }
      if (s.udp) {
        at = opts.bind;
        at.set_port(s.port);
        // Port 0 for both protocols: UDP takes the port the kernel gave TCP when it is free, so
        // "--port 0" still means one port for the service; any free one otherwise.
        const bool follow_tcp = k == 0 && s.port == 0 && s.tcp;
        if (follow_tcp) at.set_port(tcp_at.back().port());
        if (k > 0) {
          at = udp_at[ui++];
        } else if (shared) {
          auto p = probe_port(at, false);
          if (!p && follow_tcp && p.error() == std::errc::address_in_use) {
            at.set_port(0);
            p = probe_port(at, false);
          }
          if (!p) return bind_failure(s, "udp", at, p.error());
          at.set_port(*p);
        }
        auto u = udp_service::create(*sh.loop, s.name, at, guard, s.respond, shared);
        if (!u && follow_tcp && !shared && u.error() == std::errc::address_in_use) {
          at.set_port(0);
          u = udp_service::create(*sh.loop, s.name, at, guard, s.respond, shared);
        }
        if (!u) return bind_failure(s, "udp", at, u.error());
        if (k == 0) udp_at.push_back((*u)->local_endpoint());
        sh.rows.push_back({nullptr, u->get()});
        sh.udps.push_back(std::move(*u));
      }
    }
  }
  print_listening(first.totals(), opts.json);
  spdlog::info("serving on the {} engine, {} loop{}; Ctrl+C stops", first.loop->engine_name(), n, n == 1 ? "" : "s");

  // Loop 0 keeps running until every shard has finished, so that a second signal still reaches
  // the loops that are draining; `running` lives on loop 0's thread only.
  std::size_t running = shards.size();
  auto one_finished = [&] {
    if (--running == 0) first.loop->stop();
  };
  // Failure (a loop whose poller broke) is the one case that stops the siblings early.
  auto abort_all = [&] {
    for (auto& sh : shards) {
      shard* p = &sh;
      sh.loop->post([p] { p->finish(); });
    }
  };
  first.on_finished = one_finished;
  for (std::size_t k = 1; k < shards.size(); ++k) {
    shard* p = &shards[k];
    p->on_finished = [p] { p->loop->stop(); };
  }
  std::vector<std::thread> threads;
  for (std::size_t k = 1; k < shards.size(); ++k) {
    shard* p = &shards[k];
    threads.emplace_back([p, &first, &one_finished, &abort_all] {
      p->loop_error = p->loop->run();
      // On its own thread: everything still open goes with the loop that watched it.
      p->on_finished = nullptr;
      p->finish();
      if (p->loop_error) abort_all();
      first.loop->post(one_finished);
    });
  }
  first.loop_error = first.loop->run();
  if (first.loop_error) {
    // Loop 0 can no longer count the others down: close them now and wait.
    for (std::size_t k = 1; k < shards.size(); ++k) {
      shard* p = &shards[k];
      p->loop->post([p] { p->finish(); });
    }
  }
  first.on_finished = nullptr;
  first.finish();
  for (auto& t : threads) t.join();

  auto sum = first.totals();
  for (std::size_t k = 1; k < shards.size(); ++k) {
    auto part = shards[k].totals();
    for (std::size_t i = 0; i < sum.size(); ++i) {
      sum[i].connections += part[i].connections;
      sum[i].datagrams += part[i].datagrams;
      sum[i].bytes_in += part[i].bytes_in;
      sum[i].bytes_out += part[i].bytes_out;
      sum[i].dropped += part[i].dropped;
      sum[i].errors += part[i].errors;
    }
  }
  print_report("totals", sum, opts.json, true);
  for (auto& sh : shards) {
    if (sh.loop_error) return fail("event loop", sh.loop_error);
  }
  return stopped_by_signal ? exit_ok : exit_failure;
}

}  // namespace sockit::cli
