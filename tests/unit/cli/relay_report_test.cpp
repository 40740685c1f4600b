// The relay's report: the JSON shape docs/commands/relay.md promises (field names and order, per
// protocol), the text table's totals line, rows in connection order, and snapshots summed.
#include "relay_report.hpp"

#include <gtest/gtest.h>

#include <string>

namespace sockit::cli {
namespace {

endpoint at(const char* host, std::uint16_t port) { return *endpoint::numeric(host, port); }

relay_snapshot sample() {
  relay_snapshot s;
  relay_row b;
  b.id = 2;
  b.client = at("127.0.0.1", 40002);
  b.state = "open";
  b.path = "splice";
  b.bytes_up = 10;
  b.bytes_down = 20;
  b.seconds = 1.5;
  relay_row a = b;
  a.id = 1;
  a.client = at("127.0.0.1", 40001);
  a.state = "closed";
  a.bytes_up = 6;
  a.bytes_down = 6;
  a.seconds = 0.25;
  s.rows = {b, a};
  s.totals.connections = 2;
  s.totals.active = 1;
  s.totals.bytes_up = 16;
  s.totals.bytes_down = 26;
  return s;
}

TEST(relay_report, tcp_json_shape) {
  relay_report_header h{"tcp", at("127.0.0.1", 8080), at("127.0.0.1", 80)};
  EXPECT_EQ(relay_report_json(h, sample(), true),
            R"({"event":"stats","final":true,"proto":"tcp","listen":"127.0.0.1:8080","target":"127.0.0.1:80",)"
            R"("connections":[{"id":1,"client":"127.0.0.1:40001","state":"closed","path":"splice","seconds":0.25,"bytes_up":6,"bytes_down":6},)"
            R"({"id":2,"client":"127.0.0.1:40002","state":"open","path":"splice","seconds":1.5,"bytes_up":10,"bytes_down":20}],)"
            R"("totals":{"connections":2,"active":1,"refused":0,"target_failures":0,"resets":0,"bytes_up":16,"bytes_down":26}})");
}

TEST(relay_report, udp_json_shape) {
  relay_report_header h{"udp", at("127.0.0.1", 5353), at("127.0.0.1", 53)};
  auto s = sample();
  s.rows.resize(1);
  s.rows[0].datagrams_up = 1;
  s.rows[0].datagrams_down = 2;
  s.totals.dropped = 3;
  EXPECT_EQ(relay_report_json(h, s, false),
            R"({"event":"stats","final":false,"proto":"udp","listen":"127.0.0.1:5353","target":"127.0.0.1:53",)"
            R"("connections":[{"id":2,"client":"127.0.0.1:40002","state":"open","seconds":1.5,"bytes_up":10,"bytes_down":20,"datagrams_up":1,"datagrams_down":2}],)"
            R"("totals":{"connections":2,"active":1,"refused":0,"expired":0,"datagrams_up":0,"datagrams_down":0,"dropped":3,"bytes_up":16,"bytes_down":26}})");
}

TEST(relay_report, text_rows_in_order_and_totals) {
  relay_report_header h{"tcp", at("127.0.0.1", 8080), at("127.0.0.1", 80)};
  auto text = relay_report_text(h, sample(), false);
  EXPECT_EQ(text.rfind("relay 127.0.0.1:8080 -> 127.0.0.1:80 (tcp), so far\n", 0), 0u) << text;
  EXPECT_LT(text.find("127.0.0.1:40001"), text.find("127.0.0.1:40002"));
  EXPECT_NE(text.find("\ntotals: 2 connections (1 open), 0 refused, 0 target failures, 0 resets, 16 bytes up, 26 bytes down\n"),
            std::string::npos)
      << text;
}

TEST(relay_report, snapshots_add_up) {
  auto sum = sample();
  add_snapshot(sum, sample());
  EXPECT_EQ(sum.totals.connections, 4u);
  EXPECT_EQ(sum.totals.bytes_down, 52u);
  EXPECT_EQ(sum.rows.size(), 4u);
}

}  // namespace
}  // namespace sockit::cli
