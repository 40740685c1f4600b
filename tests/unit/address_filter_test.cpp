// Address prefixes and the allow/deny rule (ncat's --allow/--deny): both families, v4-mapped
// peers, odd prefix lengths and hostile text.
#include "sockit/address_filter.hpp"

#include <gtest/gtest.h>

#include "sockit/error.hpp"

namespace sockit {
namespace {

endpoint at(const char* host) { return *endpoint::numeric(host, 5555); }

TEST(address_prefix, parses_both_families_and_masks_host_bits) {
  auto p = address_prefix::parse("10.1.2.3/8");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->to_string(), "10.0.0.0/8");
  auto q = address_prefix::parse("fe80::1/10");
  ASSERT_TRUE(q);
  EXPECT_EQ(q->to_string(), "fe80::/10");
  EXPECT_EQ(address_prefix::parse("::1")->to_string(), "::1/128");
  EXPECT_EQ(address_prefix::parse("127.0.0.1")->to_string(), "127.0.0.1/32");
  EXPECT_EQ(address_prefix::parse("0.0.0.0/0")->to_string(), "0.0.0.0/0");
}

TEST(address_prefix, refuses_hostile_text) {
  for (const char* bad : {"", "/8", "localhost", "10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/-1",
                          "10.0.0.0/8x", "10.0.0.0/0008", "127.1", "1.2.3.4.5", "10.0.0.0/8/8", " 10.0.0.1",
                          "10.0.0.0/99999999999999999999"}) {
    EXPECT_FALSE(address_prefix::parse(bad)) << "'" << bad << "'";
  }
  EXPECT_EQ(address_prefix::parse("10.0.0.0/33").error(), errc::bad_address);
  EXPECT_EQ(address_prefix::parse("nohost").error(), errc::bad_host);
}

TEST(address_prefix, contains_by_family_and_length) {
  auto p = *address_prefix::parse("127.0.0.0/8");
  EXPECT_TRUE(p.contains(at("127.0.0.1")));
  EXPECT_TRUE(p.contains(at("127.255.0.9")));
  EXPECT_FALSE(p.contains(at("128.0.0.1")));
  EXPECT_FALSE(p.contains(at("::1")));
  EXPECT_TRUE(p.contains(at("::ffff:127.0.0.2")));  // what a dual-stack socket reports
  auto odd = *address_prefix::parse("192.168.0.0/23");
  EXPECT_TRUE(odd.contains(at("192.168.1.200")));
  EXPECT_FALSE(odd.contains(at("192.168.2.1")));
  auto v6 = *address_prefix::parse("2001:db8::/33");
  EXPECT_TRUE(v6.contains(at("2001:db8:7fff::1")));
  EXPECT_FALSE(v6.contains(at("2001:db8:8000::1")));
  EXPECT_TRUE(address_prefix::parse("::/0")->contains(at("::1")));
  EXPECT_FALSE(address_prefix::parse("::/0")->contains(at("127.0.0.1")));
  EXPECT_FALSE(p.contains(endpoint{}));
}

TEST(address_prefix, an_ipv4_mapped_rule_is_the_ipv4_one) {
  // Clients are matched as IPv4 whichever way they came: the rule must be too, or it never matches.
  auto p = address_prefix::parse("::ffff:127.0.0.0/104");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->to_string(), "127.0.0.0/8");
  EXPECT_TRUE(p->contains(at("127.0.0.1")));
  EXPECT_TRUE(p->contains(at("::ffff:127.0.0.1")));
  EXPECT_FALSE(p->contains(at("10.0.0.1")));
  EXPECT_EQ(address_prefix::parse("::ffff:10.1.2.3")->to_string(), "10.1.2.3/32");
  // Shorter than /96 it would also name IPv6 addresses that are not mapped.
  EXPECT_EQ(address_prefix::parse("::ffff:0:0/95").error(), errc::bad_address);
  address_filter f;
  ASSERT_FALSE(f.deny("::ffff:127.0.0.0/104"));
  EXPECT_FALSE(f.permits(at("127.0.0.1")));
  EXPECT_FALSE(f.permits(at("::ffff:127.0.0.2")));
  EXPECT_TRUE(f.permits(at("::1")));
}

TEST(address_filter, allow_list_then_deny) {
  address_filter f;
  EXPECT_TRUE(f.empty());
  EXPECT_TRUE(f.permits(at("10.1.1.1")));  // nothing given: everyone
  ASSERT_FALSE(f.allow("127.0.0.0/8,::1"));
  EXPECT_TRUE(f.permits(at("127.0.0.2")));
  EXPECT_TRUE(f.permits(at("::1")));
  EXPECT_FALSE(f.permits(at("10.1.1.1")));
  ASSERT_FALSE(f.deny("127.0.0.2"));
  EXPECT_FALSE(f.permits(at("127.0.0.2")));
  EXPECT_TRUE(f.permits(at("127.0.0.1")));
}

TEST(address_filter, deny_alone_keeps_everyone_else) {
  address_filter f;
  ASSERT_FALSE(f.deny("127.0.0.0/8"));
  EXPECT_FALSE(f.permits(at("127.0.0.1")));
  EXPECT_TRUE(f.permits(at("::1")));
}

TEST(address_filter, a_bad_item_adds_nothing_and_is_named) {
  address_filter f;
  EXPECT_TRUE(f.allow("127.0.0.1,bogus,::1"));
  EXPECT_TRUE(f.allowed().empty());
  EXPECT_TRUE(f.allow("127.0.0.1,"));  // an empty item
  EXPECT_EQ(address_filter::first_bad("127.0.0.1,bogus,::1"), "bogus");
  EXPECT_EQ(address_filter::first_bad("127.0.0.1,"), "");
  EXPECT_EQ(address_filter::first_bad("::1"), "");
}

}  // namespace
}  // namespace sockit
