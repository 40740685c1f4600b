// serve's and echo's report: the listening lines and table, the totals table, or their JSON.
#include "service_report.hpp"

#include <algorithm>
#include <cstdio>

#include <fmt/core.h>

#include "../cli.hpp"
#include "../json.hpp"

namespace sockit::cli {

namespace {

std::string stats_json(const service_stats& t, bool with_totals) {
  json_object o;
  o.add("service", t.service).add("proto", t.proto).add("address", t.where());
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
  std::size_t pw = 5;  // "unix stream" is wider than tcp/udp
  for (const auto& r : rows) pw = std::max(pw, r.proto.size());
  if (with_totals) {
    out += fmt::format("{:<9} {:<{}} {:>11} {:>9} {:>12} {:>12} {:>8} {:>6}\n", "SERVICE", "PROTO", pw, "CONNECTIONS",
                       "DATAGRAMS", "BYTES_IN", "BYTES_OUT", "DROPPED", "ERRORS");
    for (const auto& r : rows) {
      out += fmt::format("{:<9} {:<{}} {:>11} {:>9} {:>12} {:>12} {:>8} {:>6}\n", r.service, r.proto, pw, r.connections,
                         r.datagrams, r.bytes_in, r.bytes_out, r.dropped, r.errors);
    }
  } else {
    out += fmt::format("{:<9} {:<{}} {}\n", "SERVICE", "PROTO", pw, "ADDRESS");
    for (const auto& r : rows) out += fmt::format("{:<9} {:<{}} {}\n", r.service, r.proto, pw, r.where());
  }
  (void)write_out(out);
}

class table_report final : public service_report {
 public:
  explicit table_report(bool json) : json_(json) {}

  // One stderr line per socket (scripts read the port from it); stdout has the table, or with
  // --json one {"event":"listening"} object per socket.
  void listening(const std::vector<service_stats>& rows) override {
    // A Unix socket's line was printed when it was bound (listen_unix).
    for (const auto& r : rows) {
      if (r.unix_at.empty()) announce_listening(r.local, r.proto, r.service);
    }
    if (!json_) return print_report("listening", rows, false, false);
    for (const auto& r : rows) {
      json_object o;
      o.add("event", "listening").add("service", r.service).add("proto", r.proto).add("address", r.where());
      o.add_raw("socket_options", r.socket_options);
      print_json(o);
    }
  }

  void totals(const std::vector<service_stats>& rows) override { print_report("totals", rows, json_, true); }

 private:
  bool json_;
};

}  // namespace

std::unique_ptr<service_report> make_table_report(bool json) { return std::make_unique<table_report>(json); }

void add_totals(std::vector<service_stats>& sum, const std::vector<service_stats>& part) {
  for (std::size_t i = 0; i < sum.size() && i < part.size(); ++i) {
    sum[i].connections += part[i].connections;
    sum[i].datagrams += part[i].datagrams;
    sum[i].bytes_in += part[i].bytes_in;
    sum[i].bytes_out += part[i].bytes_out;
    sum[i].dropped += part[i].dropped;
    sum[i].errors += part[i].errors;
  }
}

}  // namespace sockit::cli
