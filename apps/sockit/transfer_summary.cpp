// The --json summary of a transfer.
#include "transfer_summary.hpp"

#include <cmath>

#include "json.hpp"

namespace sockit::cli {

std::string summary_json(const transfer_totals& t) {
  std::uint64_t bytes = 0;
  std::string items = "[";
  for (const auto& f : t.files) {
    bytes += f.size - std::min(f.resumed_from, f.size);
    json_object o;
    // A name that is not UTF-8 (a byte string on Linux) as name_base64: JSON text cannot carry it.
    o.add_bytes("name", f.name).add("size", f.size).add("resumed_from", f.resumed_from).add("hash", f.hash.hex());
    if (items.size() > 1) items += ",";
    items += o.str();
  }
  items += "]";
  double mbps = t.seconds > 0 ? static_cast<double>(bytes) / t.seconds / 1e6 : 0.0;
  json_object o;
  o.add("role", t.role)
      .add("peer", t.peer)
      .add("raw", t.raw)
      .add("files", static_cast<std::uint64_t>(t.files.size()))
      .add("bytes", bytes)
      .add("seconds", std::round(t.seconds * 1e6) / 1e6)
      .add("mb_per_s", std::round(mbps * 10) / 10)
      .add_raw("items", items)
      .add_raw("socket_options", t.socket_options);
  return o.str();
}

}  // namespace sockit::cli
