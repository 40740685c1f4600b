// unix: addresses in the reports of echo/proto serve (service_stats), relay and bench: each names
// the Unix side where an IP endpoint would be, and a Unix client as unnamed.
#include "bench_driver.hpp"
#include "relay_report.hpp"
#include "services/service_stats.hpp"

#include <gtest/gtest.h>

#include <string>

namespace sockit::cli {
namespace {

endpoint at(const char* host, std::uint16_t port) { return *endpoint::numeric(host, port); }

TEST(unix_more, service_row_names_the_unix_address) {
  service_stats row;
  row.local = at("127.0.0.1", 7007);
  EXPECT_EQ(row.where(), "127.0.0.1:7007");
  service_stats u;
  u.unix_at = "unix:/tmp/e.sock";
  EXPECT_EQ(u.where(), "unix:/tmp/e.sock");
}

TEST(unix_more, relay_report_names_both_unix_sides) {
  relay_report_header h{"unix stream", endpoint(), at("127.0.0.1", 80)};
  h.listen_unix = "unix:/tmp/r.sock";
  relay_snapshot s;
  relay_row r;
  r.id = 1;  // a Unix client: no endpoint
  r.state = "closed";
  r.path = "splice";
  s.rows = {r};
  s.totals.connections = 1;
  auto json = relay_report_json(h, s, true);
  EXPECT_NE(json.find(R"("proto":"unix stream","listen":"unix:/tmp/r.sock","target":"127.0.0.1:80")"), std::string::npos) << json;
  EXPECT_NE(json.find(R"x("client":"unix:(unnamed)")x"), std::string::npos) << json;
  EXPECT_NE(relay_report_text(h, s, true).find("relay unix:/tmp/r.sock -> 127.0.0.1:80 (unix stream)"), std::string::npos);

  relay_report_header t{"tcp", at("127.0.0.1", 9000), endpoint()};
  t.target_unix = "unix:@app";
  EXPECT_EQ(t.listen_name(), "127.0.0.1:9000");
  EXPECT_EQ(t.target_name(), "unix:@app");
}

TEST(unix_more, bench_config_names_a_unix_target) {
  bench_config c;
  c.target = at("127.0.0.1", 7007);
  EXPECT_EQ(c.target_name(), "127.0.0.1:7007");
  EXPECT_STREQ(c.proto(), "tcp");
  c.udp = true;
  EXPECT_STREQ(c.proto(), "udp");
  c.target = endpoint();
  c.unix_target = *unix_address::parse("unix:@echo");
  EXPECT_EQ(c.target_name(), "unix:@echo");
  EXPECT_STREQ(c.proto(), "unix dgram");
  c.udp = false;
  EXPECT_STREQ(c.proto(), "unix stream");
}

}  // namespace
}  // namespace sockit::cli
