// The interface list, checked against what every Linux machine has: lo, up, loopback, with
// 127.0.0.1/8 and no broadcast address.
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
  EXPECT_EQ(find_interface("no-such-if0").error(), std::errc::no_such_device);
  EXPECT_EQ(find_interface("").error(), std::errc::no_such_device);
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
}  // namespace sockit
