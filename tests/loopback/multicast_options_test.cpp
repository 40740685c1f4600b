// The sender-side multicast options (TTL, loop, outgoing interface, IP_MULTICAST_ALL) round-tripped
// on sockets that join nothing and send nothing, so they are safe in the machine's own namespace.
// Memberships and traffic are tested inside test namespaces only: tests/netns, run by
// tests/interop/test_mcast_library.sh.
#include "sockit/multicast.hpp"

#include <gtest/gtest.h>

#include "sockit/error.hpp"
#include "sockit/udp.hpp"

namespace sockit {
namespace {

socket open_or_skip(int family) {
  auto s = udp_open(family);
  if (!s) return socket{};
  return std::move(*s);
}

endpoint addr(const char* text, std::uint16_t port = 0) {
  auto e = endpoint::numeric(text, port);
  EXPECT_TRUE(e) << text;
  return e ? *e : endpoint{};
}

TEST(multicast_options, is_multicast) {
  EXPECT_TRUE(is_multicast(addr("224.0.0.1")));
  EXPECT_TRUE(is_multicast(addr("239.255.255.250", 5353)));
  EXPECT_TRUE(is_multicast(addr("ff02::1")));
  EXPECT_TRUE(is_multicast(addr("ff0e::1234")));
  EXPECT_FALSE(is_multicast(addr("223.255.255.255")));
  EXPECT_FALSE(is_multicast(addr("240.0.0.1")));
  EXPECT_FALSE(is_multicast(addr("127.0.0.1")));
  EXPECT_FALSE(is_multicast(addr("fe80::1")));
  EXPECT_FALSE(is_multicast(addr("::ffff:239.1.2.3")));  // IPv4-mapped is not a group
  EXPECT_FALSE(is_multicast(endpoint{}));
}

TEST(multicast_options, interfaces_by_name_index_and_address) {
  auto lo = interface_index("lo");
  ASSERT_TRUE(lo) << lo.error().message();
  EXPECT_GT(*lo, 0u);
  auto name = interface_name(*lo);
  ASSERT_TRUE(name);
  EXPECT_EQ(*name, "lo");
  auto by_addr = interface_with_address(addr("127.0.0.1"));
  ASSERT_TRUE(by_addr) << by_addr.error().message();
  EXPECT_EQ(*by_addr, *lo);

  EXPECT_EQ(interface_index("no-such-if0").error(), errc::no_such_interface);
  EXPECT_EQ(interface_index("").error(), errc::no_such_interface);
  EXPECT_EQ(interface_index(std::string(64, 'x')).error(), errc::no_such_interface);
  EXPECT_EQ(interface_name(0).error(), errc::no_such_interface);
  EXPECT_EQ(interface_with_address(addr("192.0.2.77")).error(), errc::no_such_interface);  // TEST-NET-1
  EXPECT_EQ(describe("interface eth9", make_error_code(errc::no_such_interface)),
            "interface eth9: no such network interface");
}

TEST(multicast_options, a_unicast_group_is_refused_before_the_kernel) {
  auto s = open_or_skip(AF_INET);
  ASSERT_TRUE(s.is_open());
  EXPECT_EQ(join_group(s, addr("10.1.2.3")), errc::not_multicast);
  EXPECT_EQ(leave_group(s, addr("10.1.2.3")), errc::not_multicast);
  EXPECT_EQ(join_source_group(s, addr("192.168.1.1"), addr("10.0.0.1")), errc::not_multicast);
  EXPECT_EQ(join_source_group(s, addr("232.1.1.1"), addr("::1")), std::errc::address_family_not_supported);
  EXPECT_EQ(join_group(s, endpoint{}), errc::not_multicast);
}

TEST(multicast_options, ttl_round_trip_v4) {
  auto s = open_or_skip(AF_INET);
  ASSERT_TRUE(s.is_open());
  auto d = multicast_ttl(s);
  ASSERT_TRUE(d);
  EXPECT_EQ(*d, 1) << "the Linux default";
  for (int t : {0, 32, 255, 1}) {
    ASSERT_FALSE(set_multicast_ttl(s, t)) << t;
    EXPECT_EQ(*multicast_ttl(s), t);
  }
  EXPECT_EQ(set_multicast_ttl(s, 256), std::errc::invalid_argument);
  EXPECT_EQ(set_multicast_ttl(s, -1), std::errc::invalid_argument);
  EXPECT_EQ(*multicast_ttl(s), 1) << "a refused value changes nothing";
}

TEST(multicast_options, hops_round_trip_v6) {
  auto s = open_or_skip(AF_INET6);
  if (!s.is_open()) GTEST_SKIP() << "no IPv6 here";
  for (int t : {0, 32, 255, 1}) {
    ASSERT_FALSE(set_multicast_ttl(s, t)) << t;
    EXPECT_EQ(*multicast_ttl(s), t);
  }
}

TEST(multicast_options, loop_round_trip) {
  for (int family : {AF_INET, AF_INET6}) {
    auto s = open_or_skip(family);
    if (!s.is_open()) continue;
    auto d = multicast_loop(s);
    ASSERT_TRUE(d);
    EXPECT_TRUE(*d) << "the Linux default is on";
    ASSERT_FALSE(set_multicast_loop(s, false));
    EXPECT_FALSE(*multicast_loop(s));
    ASSERT_FALSE(set_multicast_loop(s, true));
    EXPECT_TRUE(*multicast_loop(s));
  }
}

TEST(multicast_options, multicast_all_round_trip) {
  for (int family : {AF_INET, AF_INET6}) {
    auto s = open_or_skip(family);
    if (!s.is_open()) continue;
    auto d = multicast_all(s);
    ASSERT_TRUE(d) << d.error().message();
    EXPECT_TRUE(*d) << "the Linux default is on";
    ASSERT_FALSE(set_multicast_all(s, false));
    EXPECT_FALSE(*multicast_all(s));
    ASSERT_FALSE(set_multicast_all(s, true));
    EXPECT_TRUE(*multicast_all(s));
  }
}

TEST(multicast_options, outgoing_interface_v4_by_address_and_index) {
  auto s = open_or_skip(AF_INET);
  ASSERT_TRUE(s.is_open());
  auto none = multicast_interface_address(s);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->is_unspecified());
  ASSERT_FALSE(set_multicast_interface(s, addr("127.0.0.1")));
  auto a = multicast_interface_address(s);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->address(), "127.0.0.1");
  // By index the kernel keeps no address to report, and no index is readable on IPv4.
  ASSERT_FALSE(set_multicast_interface(s, *interface_index("lo")));
  EXPECT_TRUE(multicast_interface_address(s)->is_unspecified());
  EXPECT_EQ(multicast_interface(s).error(), std::errc::operation_not_supported);
  EXPECT_EQ(set_multicast_interface(s, addr("::1")), std::errc::address_family_not_supported);
  EXPECT_TRUE(set_multicast_interface(s, 999999u)) << "an interface that does not exist";
}

TEST(multicast_options, outgoing_interface_v6_by_index_and_address) {
  auto s = open_or_skip(AF_INET6);
  if (!s.is_open()) GTEST_SKIP() << "no IPv6 here";
  auto lo = *interface_index("lo");
  EXPECT_EQ(*multicast_interface(s), 0u);
  ASSERT_FALSE(set_multicast_interface(s, lo));
  EXPECT_EQ(*multicast_interface(s), lo);
  ASSERT_FALSE(set_multicast_interface(s, 0u));
  EXPECT_EQ(*multicast_interface(s), 0u);
  auto by_addr = set_multicast_interface(s, addr("::1"));
  if (by_addr == errc::no_such_interface) GTEST_SKIP() << "no ::1 on lo here";
  ASSERT_FALSE(by_addr) << by_addr.message();
  EXPECT_EQ(*multicast_interface(s), lo);
  EXPECT_EQ(multicast_interface_address(s).error(), std::errc::operation_not_supported);
}

TEST(multicast_options, a_unix_socket_is_refused) {
  auto u = socket::open(AF_UNIX, SOCK_DGRAM);
  ASSERT_TRUE(u);
  EXPECT_EQ(set_multicast_ttl(*u, 1), std::errc::address_family_not_supported);
  EXPECT_EQ(multicast_loop(*u).error(), std::errc::address_family_not_supported);
}

}  // namespace
}  // namespace sockit
