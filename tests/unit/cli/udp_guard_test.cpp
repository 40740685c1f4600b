// The UDP reflection guard's rules, on a clock the test drives: low source ports and our own
// endpoints are never answered, each source address has its own token bucket (the port does not
// matter), and a full table of sources fails closed. Sources are documentation addresses
// (192.0.2.0/24, 2001:db8::/32): no packet is sent, and loopback may be treated differently.
#include "services/udp_guard.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sockit::cli {
namespace {

using verdict = udp_guard::verdict;
using namespace std::chrono_literals;

endpoint at(const std::string& host, std::uint16_t port) {
  auto e = endpoint::numeric(host, port);
  EXPECT_TRUE(e) << host;
  return *e;
}

TEST(udp_guard, refuses_well_known_source_ports) {
  udp_guard g;
  const auto now = udp_guard::clock::now();
  for (std::uint16_t port : {0, 7, 13, 19, 53, 123, 1023}) {
    EXPECT_EQ(g.check(at("192.0.2.1", port), now), verdict::privileged_port) << port;
  }
  EXPECT_EQ(g.check(at("192.0.2.1", 1024), now), verdict::allow);
  EXPECT_EQ(g.check(at("2001:db8::1", 19), now), verdict::privileged_port);
}

TEST(udp_guard, refuses_its_own_endpoints) {
  udp_guard g;
  g.add_own(at("192.0.2.7", 4000));  // bound to one address: that address and port only
  g.add_own(at("0.0.0.0", 5000));    // bound to the wildcard: the port from any address
  const auto now = udp_guard::clock::now();
  EXPECT_EQ(g.check(at("192.0.2.7", 4000), now), verdict::own_port);
  EXPECT_EQ(g.check(at("192.0.2.8", 4000), now), verdict::allow);
  EXPECT_EQ(g.check(at("192.0.2.9", 5000), now), verdict::own_port);
  EXPECT_EQ(g.check(at("192.0.2.9", 5001), now), verdict::allow);
}

// A batch (one recvmmsg's worth) is judged as the same datagrams one by one would be, at one
// instant: every rule per datagram, each taking its own token.
TEST(udp_guard, a_batch_is_judged_per_datagram) {
  udp_guard g({.rate = 1, .burst = 2});
  g.add_own(at("192.0.2.7", 4000));
  const auto now = udp_guard::clock::now();
  std::vector<endpoint> from = {at("192.0.2.1", 2000), at("192.0.2.1", 2001), at("192.0.2.1", 2002),
                                at("192.0.2.2", 19),   at("192.0.2.7", 4000), at("127.0.0.1", 3000),
                                at("127.0.0.1", 3000), at("127.0.0.1", 3000)};
  std::vector<verdict> out(from.size(), verdict::table_full);
  g.check(from, out, now);
  std::vector<verdict> want = {verdict::allow,           verdict::allow,    verdict::rate_limited,
                               verdict::privileged_port, verdict::own_port, verdict::allow,
                               verdict::allow,           verdict::allow};
  EXPECT_EQ(out, want);
}

TEST(udp_guard, a_burst_then_the_rate_per_source_address) {
  udp_guard g({.rate = 10, .burst = 5});
  const auto t0 = udp_guard::clock::now();
  // The burst, from ports that change every time: the bucket is per address.
  for (std::uint16_t i = 0; i < 5; ++i) EXPECT_EQ(g.check(at("192.0.2.1", 40000 + i), t0), verdict::allow) << i;
  EXPECT_EQ(g.check(at("192.0.2.1", 50000), t0), verdict::rate_limited);
  // Another address has its own bucket.
  EXPECT_EQ(g.check(at("192.0.2.2", 50000), t0), verdict::allow);
  // 10 per second: one token back after 100 ms, not before.
  EXPECT_EQ(g.check(at("192.0.2.1", 50000), t0 + 50ms), verdict::rate_limited);
  EXPECT_EQ(g.check(at("192.0.2.1", 50000), t0 + 150ms), verdict::allow);
  EXPECT_EQ(g.check(at("192.0.2.1", 50000), t0 + 160ms), verdict::rate_limited);
  // A long quiet spell refills the bucket to the burst, never beyond it.
  const auto later = t0 + 1h;
  for (int i = 0; i < 5; ++i) EXPECT_EQ(g.check(at("192.0.2.1", 50000), later), verdict::allow) << i;
  EXPECT_EQ(g.check(at("192.0.2.1", 50000), later), verdict::rate_limited);
}

TEST(udp_guard, rate_zero_means_no_limit) {
  udp_guard g({.rate = 0, .burst = 1});
  const auto now = udp_guard::clock::now();
  for (int i = 0; i < 100; ++i) EXPECT_EQ(g.check(at("192.0.2.1", 40000), now), verdict::allow) << i;
  EXPECT_EQ(g.check(at("192.0.2.1", 19), now), verdict::privileged_port);  // rule 1 still holds
}

TEST(udp_guard, a_full_table_fails_closed_until_a_source_goes_idle) {
  udp_guard g({.rate = 1, .burst = 2, .max_sources = 3});
  const auto t0 = udp_guard::clock::now();
  for (int i = 1; i <= 3; ++i) EXPECT_EQ(g.check(at("192.0.2." + std::to_string(i), 40000), t0), verdict::allow);
  EXPECT_EQ(g.sources(), 3u);
  EXPECT_EQ(g.check(at("192.0.2.4", 40000), t0), verdict::table_full);
  // Known sources keep their buckets meanwhile.
  EXPECT_EQ(g.check(at("192.0.2.1", 40000), t0), verdict::allow);
  // Once the buckets have refilled, their entries carry nothing and make room.
  EXPECT_EQ(g.check(at("192.0.2.4", 40000), t0 + 10s), verdict::allow);
  EXPECT_LE(g.sources(), 3u);
}

TEST(udp_guard, ipv6_sources_have_buckets_too) {
  udp_guard g({.rate = 1, .burst = 1});
  const auto now = udp_guard::clock::now();
  EXPECT_EQ(g.check(at("2001:db8::1", 40000), now), verdict::allow);
  EXPECT_EQ(g.check(at("2001:db8::1", 40001), now), verdict::rate_limited);
  EXPECT_EQ(g.check(at("2001:db8::2", 40000), now), verdict::allow);
}

}  // namespace
}  // namespace sockit::cli
