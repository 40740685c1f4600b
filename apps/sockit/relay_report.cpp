// The relay's report: table or JSON.
#include "relay_report.hpp"

#include <algorithm>

#include <fmt/core.h>

#include "json.hpp"
#include "output.hpp"

namespace sockit::cli {

void add_snapshot(relay_snapshot& sum, const relay_snapshot& part) {
  auto& t = sum.totals;
  const auto& p = part.totals;
  t.connections += p.connections;
  t.active += p.active;
  t.refused += p.refused;
  t.target_failures += p.target_failures;
  t.resets += p.resets;
  t.expired += p.expired;
  t.bytes_up += p.bytes_up;
  t.bytes_down += p.bytes_down;
  t.datagrams_up += p.datagrams_up;
  t.datagrams_down += p.datagrams_down;
  t.dropped += p.dropped;
  sum.rows.insert(sum.rows.end(), part.rows.begin(), part.rows.end());
}

namespace {
// A Unix socket's clients have no address (they never bind): the library's name for that.
std::string client_name(const relay_report_header& h, const relay_row& r) {
  return r.client.empty() && !h.listen_unix.empty() ? std::string("unix:(unnamed)") : r.client.to_string();
}
}  // namespace

std::string relay_report_text(const relay_report_header& h, const relay_snapshot& snap, bool final) {
  relay_snapshot s = snap;
  std::sort(s.rows.begin(), s.rows.end(), [](const relay_row& a, const relay_row& b) { return a.id < b.id; });
  bool udp = h.proto == "udp";
  std::string out = fmt::format("relay {} -> {} ({}){}\n", h.listen_name(), h.target_name(), h.proto,
                                final ? "" : ", so far");
  if (!s.rows.empty()) {
    if (udp) {
      out += fmt::format("{:<8} {:<40} {:<8} {:>9} {:>12} {:>10} {:>12} {:>10}\n", "ID", "CLIENT", "STATE", "SECONDS",
                         "UP_BYTES", "UP_DGRAMS", "DOWN_BYTES", "DOWN_DGRAMS");
    } else {
      out += fmt::format("{:<8} {:<40} {:<13} {:<12} {:>9} {:>14} {:>14}\n", "ID", "CLIENT", "STATE", "PATH",
                         "SECONDS", "UP_BYTES", "DOWN_BYTES");
    }
    for (const auto& r : s.rows) {
      if (udp) {
        out += fmt::format("{:<8} {:<40} {:<8} {:>9.3f} {:>12} {:>10} {:>12} {:>10}\n", r.id, client_name(h, r),
                           r.state, r.seconds, r.bytes_up, r.datagrams_up, r.bytes_down, r.datagrams_down);
      } else {
        out += fmt::format("{:<8} {:<40} {:<13} {:<12} {:>9.3f} {:>14} {:>14}\n", r.id, client_name(h, r), r.state,
                           r.path.empty() ? "-" : r.path, r.seconds, r.bytes_up, r.bytes_down);
      }
    }
  }
  const auto& t = s.totals;
  if (udp) {
    out += fmt::format(
        "totals: {} sessions ({} active, {} expired), {} refused, {} datagrams up ({} bytes), {} datagrams down ({} "
        "bytes), {} dropped\n",
        t.connections, t.active, t.expired, t.refused, t.datagrams_up, t.bytes_up, t.datagrams_down, t.bytes_down,
        t.dropped);
  } else {
    out += fmt::format(
        "totals: {} connections ({} open), {} refused, {} target failures, {} resets, {} bytes up, {} bytes down\n",
        t.connections, t.active, t.refused, t.target_failures, t.resets, t.bytes_up, t.bytes_down);
  }
  return out;
}

std::string relay_report_json(const relay_report_header& h, const relay_snapshot& snap, bool final) {
  relay_snapshot s = snap;
  std::sort(s.rows.begin(), s.rows.end(), [](const relay_row& a, const relay_row& b) { return a.id < b.id; });
  bool udp = h.proto == "udp";
  std::string rows = "[";
  for (const auto& r : s.rows) {
    if (rows.size() > 1) rows += ",";
    json_object o;
    o.add("id", r.id).add("client", client_name(h, r)).add("state", r.state);
    if (!udp) o.add("path", r.path);
    o.add("seconds", r.seconds).add("bytes_up", r.bytes_up).add("bytes_down", r.bytes_down);
    if (udp) o.add("datagrams_up", r.datagrams_up).add("datagrams_down", r.datagrams_down);
    rows += o.str();
  }
  rows += "]";
  const auto& t = s.totals;
  json_object tot;
  tot.add("connections", t.connections).add("active", t.active).add("refused", t.refused);
  if (udp) {
    tot.add("expired", t.expired)
        .add("datagrams_up", t.datagrams_up)
        .add("datagrams_down", t.datagrams_down)
        .add("dropped", t.dropped);
  } else {
    tot.add("target_failures", t.target_failures).add("resets", t.resets);
  }
  tot.add("bytes_up", t.bytes_up).add("bytes_down", t.bytes_down);
  json_object o;
  o.add("event", "stats")
      .add("final", final)
      .add("proto", h.proto)
      .add("listen", h.listen_name())
      .add("target", h.target_name())
      .add_raw("connections", rows)
      .add_raw("totals", tot.str());
  return o.str();
}

void print_relay_report(const relay_report_header& h, const relay_snapshot& s, bool final, bool json) {
  if (json) {
    (void)write_out(relay_report_json(h, s, final) + "\n");
  } else {
    (void)write_out(relay_report_text(h, s, final));
  }
}

}  // namespace sockit::cli
