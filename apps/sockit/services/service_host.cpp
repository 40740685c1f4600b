// The serve/echo runner: bind everything, print the table, run the loop, print the totals.
#include "service_host.hpp"

#include <csignal>
#include <cstdio>
#include <fstream>
#include <memory>

#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include "../cli.hpp"
#include "../json.hpp"
#include "sockit/error.hpp"

namespace sockit::cli {

namespace {

// One line, with a hint where the errno alone does not say what to do.
int bind_failure(const service_spec& s, const char* proto, const endpoint& at, std::error_code ec) {
  auto line = describe(fmt::format("bind {} {} {}", s.name, proto, at.to_string()), ec);
  if (ec == std::errc::permission_denied) {
    int start = 1024;
    std::ifstream("/proc/sys/net/ipv4/ip_unprivileged_port_start") >> start;
    line += fmt::format("; ports below {} need root or CAP_NET_BIND_SERVICE (choose another with {})", start,
                        s.port_flag);
  } else if (ec == std::errc::address_in_use) {
    line += fmt::format("; another program holds it (choose another with {})", s.port_flag);
  }
  return fail_message(line, exit_failure);
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
  fmt::print("{}", out);
  std::fflush(stdout);
}

}  // namespace

int run_services(const host_options& opts, const std::vector<service_spec>& specs) {
  auto loop_r = event_loop::create(opts.eng);
  if (!loop_r) return fail("event loop", loop_r.error());
  auto& loop = **loop_r;
  // Signals first: a SIGINT that arrives while we bind must still stop us cleanly.
  bool stopped_by_signal = false;
  if (auto ec = loop.on_signals({SIGINT, SIGTERM}, [&](int sig) {
        spdlog::info("{}: stopping", sig == SIGINT ? "SIGINT" : "SIGTERM");
        stopped_by_signal = true;
        loop.stop();
      })) {
    return fail("signalfd", ec);
  }

  udp_guard guard(opts.guard);
  std::vector<std::unique_ptr<tcp_service>> tcps;
  std::vector<std::unique_ptr<udp_service>> udps;
  struct row {
    tcp_service* t;
    udp_service* u;
  };
  std::vector<row> rows;
  for (const auto& s : specs) {
    endpoint at = opts.bind;
    at.set_port(s.port);
    if (s.tcp) {
      auto t = tcp_service::create(loop, s.name, at, s.on_open, opts.max_connections);
      if (!t) return bind_failure(s, "tcp", at, t.error());
      rows.push_back({t->get(), nullptr});
      tcps.push_back(std::move(*t));
    }
    if (s.udp) {
      auto u = udp_service::create(loop, s.name, at, guard, s.respond);
      if (!u) return bind_failure(s, "udp", at, u.error());
      rows.push_back({nullptr, u->get()});
      udps.push_back(std::move(*u));
    }
  }
  auto collect = [&] {
    std::vector<service_stats> out;
    for (const auto& r : rows) out.push_back(r.t ? r.t->totals() : r.u->totals());
    return out;
  };
  print_report("listening", collect(), opts.json, false);
  spdlog::info("serving on the {} engine; Ctrl+C stops", loop.engine_name());

  auto ec = loop.run();
  for (auto& t : tcps) t->close_all();
  for (auto& u : udps) u->close();
  print_report("totals", collect(), opts.json, true);
  if (ec) return fail("event loop", ec);
  return stopped_by_signal ? exit_ok : exit_failure;
}

}  // namespace sockit::cli
