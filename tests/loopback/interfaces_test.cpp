// The interface list, checked against what every Linux machine has: lo, up, loopback, with
// 127.0.0.1/8 and no broadcast address.
#include "sockit/error.hpp"
#include "sockit/interfaces.hpp"

#include <gtest/gtest.h>

#include <net/if.h>

namespace sockit {
namespace {

TEST(interfaces, lo_is_listed_with_its_address_and_no_broadcast) {
  auto all = list_interfaces();
  ASSERT_TRUE(all) << all.error().message();
  const network_interface* lo = nullptr;
  for (const auto& n : *all) {
    if (n.name == "lo") lo = &n;
  }
  ASSERT_NE(lo, nullptr);
  EXPECT_EQ(lo->index, ::if_nametoindex("lo"));
  EXPECT_TRUE(lo->is_loopback());
  EXPECT_TRUE(lo->is_up());
  EXPECT_FALSE(lo->can_broadcast());
  EXPECT_TRUE(lo->broadcast_address().empty());
  EXPECT_GT(lo->mtu, 0);
  bool has_v4 = false;
  for (const auto& a : lo->addresses) {
    if (a.address.address() == "127.0.0.1") {
      has_v4 = true;
      EXPECT_EQ(a.prefix_length, 8);
      EXPECT_TRUE(a.broadcast.empty());
    }
  }
  EXPECT_TRUE(has_v4);
  for (std::size_t i = 1; i < all->size(); ++i) EXPECT_LE((*all)[i - 1].index, (*all)[i].index);
}

TEST(interfaces, find_by_name) {
  auto lo = find_interface("lo");
  ASSERT_TRUE(lo) << lo.error().message();
  EXPECT_EQ(lo->name, "lo");
  EXPECT_EQ(find_interface("no-such-if0").error(), sockit::errc::no_such_interface);
  EXPECT_EQ(find_interface("").error(), sockit::errc::no_such_interface);
}

TEST(interfaces, broadcast_addresses) {
  EXPECT_TRUE(is_limited_broadcast(*endpoint::numeric("255.255.255.255", 9)));
  EXPECT_FALSE(is_limited_broadcast(*endpoint::numeric("10.0.0.255", 9)));
  EXPECT_FALSE(is_limited_broadcast(*endpoint::numeric("::1", 9)));
  // A made-up list: 10.77.9.255 belongs to eth0's /24, 127.255.255.255 to nobody (lo has none).
  network_interface eth0;
  eth0.name = "eth0";
  interface_address a;
  a.address = *endpoint::numeric("10.77.9.1", 0);
  a.prefix_length = 24;
  a.broadcast = *endpoint::numeric("10.77.9.255", 0);
  eth0.addresses.push_back(a);
  std::vector<network_interface> list{eth0};
  auto* owner = broadcast_owner(list, *endpoint::numeric("10.77.9.255", 7));
  ASSERT_NE(owner, nullptr);
  EXPECT_EQ(owner->name, "eth0");
  EXPECT_EQ(broadcast_owner(list, *endpoint::numeric("10.77.9.1", 7)), nullptr);
  EXPECT_EQ(broadcast_owner(list, *endpoint::numeric("127.255.255.255", 7)), nullptr);
}

}  // namespace

TEST(interfaces, subnet_broadcast_is_the_prefix_with_every_host_bit_set) {
  EXPECT_EQ(subnet_broadcast(*endpoint::numeric("10.77.9.1", 5), 24).to_string(), "10.77.9.255:0");
  EXPECT_EQ(subnet_broadcast(*endpoint::numeric("172.16.5.4", 0), 12).to_string(), "172.31.255.255:0");
  EXPECT_EQ(subnet_broadcast(*endpoint::numeric("10.1.2.3", 0), 0).to_string(), "255.255.255.255:0");
  EXPECT_TRUE(subnet_broadcast(*endpoint::numeric("10.1.2.3", 0), 31).empty());  // point-to-point: none
  EXPECT_TRUE(subnet_broadcast(*endpoint::numeric("10.1.2.3", 0), 32).empty());
  EXPECT_TRUE(subnet_broadcast(*endpoint::numeric("fe80::1", 0), 64).empty());
}

}  // namespace sockit
