// Multicast memberships through the library, with real traffic: join, leave, source-specific,
// IP_MULTICAST_ALL, IPv4 and IPv6. Runs only inside a test namespace (see CMakeLists.txt): host A
// of make_lan, with eth0 holding 10.77.9.1 and, added by the script, 10.77.9.11 as a second
// source, and fd77:9::1. Sender and receivers are sockets of this one process: the sender's
// multicast loop (on by default) hands its datagrams to this host's members, through the same
// membership filter as datagrams from the wire.
#include <netinet/in.h>
#include <sys/stat.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "sockit/error.hpp"
#include "sockit/multicast.hpp"
#include "sockit/options.hpp"
#include "sockit/udp.hpp"

namespace sockit {
namespace {

constexpr double heard = 3.0;   // seconds to wait for a datagram that must arrive
constexpr double silent = 0.3;  // seconds of silence that show one never will (loopback is instant)

endpoint addr(const char* text, std::uint16_t port = 0) {
  auto e = endpoint::numeric(text, port);
  EXPECT_TRUE(e) << text;
  return e ? *e : endpoint{};
}

unsigned eth0() {
  auto i = interface_index("eth0");
  EXPECT_TRUE(i) << "no eth0: run by test_mcast_library.sh inside make_lan's host A";
  return i ? *i : 0;
}

socket receiver(const endpoint& at, bool all = false) {
  udp_bind_options o;
  o.reuse_address = true;
  auto s = udp_bind(at, o);
  EXPECT_TRUE(s) << describe("bind " + at.to_string(), s.error());
  if (!s) return socket{};
  EXPECT_FALSE(set_multicast_all(*s, all));
  return std::move(*s);
}

socket sender(const endpoint& from) {
  auto s = udp_bind(from);
  EXPECT_TRUE(s) << describe("bind " + from.to_string(), s.error());
  if (!s) return socket{};
  EXPECT_FALSE(set_multicast_interface(*s, eth0()));
  return std::move(*s);
}

void send(const socket& s, const endpoint& to, std::string_view text) {
  auto n = send_to(s, std::as_bytes(std::span(text.data(), text.size())), to, deadline::after_seconds(heard));
  ASSERT_TRUE(n) << describe("send to " + to.to_string(), n.error());
}

// The next datagram's text and sender, or "" after `secs` of silence.
std::string next(const socket& s, double secs, endpoint* from = nullptr) {
  char buf[512];
  auto d = recv_from(s, std::as_writable_bytes(std::span(buf)), deadline::after_seconds(secs));
  if (!d) {
    EXPECT_EQ(d.error(), std::errc::timed_out) << d.error().message();
    return "";
  }
  if (from) *from = d->from;
  return std::string(buf, d->size);
}

TEST(multicast_netns, join_receives_and_leave_stops_it_v4) {
  auto group = addr("239.77.9.1", 47001);
  auto r = receiver(group);
  auto s = sender(addr("10.77.9.1"));
  ASSERT_FALSE(join_group(r, group, eth0()));
  send(s, group, "one");
  endpoint from;
  EXPECT_EQ(next(r, heard, &from), "one");
  EXPECT_EQ(from.address(), "10.77.9.1");
  ASSERT_FALSE(leave_group(r, group, eth0()));
  send(s, group, "two");
  EXPECT_EQ(next(r, silent), "") << "a socket that left the group still hears it";
}

TEST(multicast_netns, membership_errors) {
  auto group = addr("239.77.9.2", 47002);
  auto r = receiver(group);
  ASSERT_FALSE(join_group(r, group, eth0()));
  EXPECT_EQ(join_group(r, group, eth0()), std::errc::address_in_use) << "joined twice";
  ASSERT_FALSE(leave_group(r, group, eth0()));
  EXPECT_EQ(leave_group(r, group, eth0()), std::errc::address_not_available) << "left twice";
  EXPECT_EQ(join_group(r, addr("10.77.9.2"), eth0()), errc::not_multicast);
  EXPECT_TRUE(join_group(r, group, 999999u)) << "an interface that does not exist";
}

// Without the group's membership, a socket bound to the wildcard on the group's port still gets
// the group's datagrams while IP_MULTICAST_ALL is on (the Linux default) and another socket of the
// host joined; off, only what it joined itself.
TEST(multicast_netns, multicast_all_off_keeps_other_groups_out) {
  auto group = addr("239.77.9.3", 47003);
  auto member = receiver(group);
  ASSERT_FALSE(join_group(member, group, eth0()));
  auto strict = receiver(addr("0.0.0.0", 47003), false);
  auto loose = receiver(addr("0.0.0.0", 47003), true);
  auto s = sender(addr("10.77.9.1"));
  send(s, group, "g");
  EXPECT_EQ(next(member, heard), "g");
  EXPECT_EQ(next(loose, heard), "g") << "IP_MULTICAST_ALL on: the host's membership is enough";
  EXPECT_EQ(next(strict, silent), "") << "IP_MULTICAST_ALL off: a group it never joined leaked through";
}

TEST(multicast_netns, source_specific_accepts_only_its_source_v4) {
  auto group = addr("232.77.9.4", 47004);
  auto r = receiver(group);
  auto chosen = sender(addr("10.77.9.1"));
  auto other = sender(addr("10.77.9.11"));
  ASSERT_FALSE(join_source_group(r, group, addr("10.77.9.1"), eth0()));
  send(other, group, "other");
  send(chosen, group, "chosen");
  endpoint from;
  EXPECT_EQ(next(r, heard, &from), "chosen");
  EXPECT_EQ(from.address(), "10.77.9.1");
  EXPECT_EQ(next(r, silent), "") << "a datagram from another source got through";
  ASSERT_FALSE(leave_source_group(r, group, addr("10.77.9.1"), eth0()));
  send(chosen, group, "after");
  EXPECT_EQ(next(r, silent), "");
}

TEST(multicast_netns, join_receives_and_leave_stops_it_v6) {
  for (const char* g : {"ff0e::77:9:5", "ff05::77:9:5"}) {
    auto group = addr(g, 47005);
    auto r = receiver(group);
    auto s = sender(addr("fd77:9::1"));
    ASSERT_FALSE(join_group(r, group, eth0())) << g;
    send(s, group, "six");
    endpoint from;
    EXPECT_EQ(next(r, heard, &from), "six") << g;
    EXPECT_EQ(from.address(), "fd77:9::1");
    ASSERT_FALSE(leave_group(r, group, eth0()));
    send(s, group, "gone");
    EXPECT_EQ(next(r, silent), "") << g;
  }
}

TEST(multicast_netns, link_local_v6_group_by_scope) {
  // ff02:: exists once per link: the interface comes from the group's scope ("%eth0").
  auto group = addr("ff02::77:9:6%eth0", 47006);
  ASSERT_EQ(reinterpret_cast<const sockaddr_in6*>(group.data())->sin6_scope_id, eth0());
  auto r = receiver(group);
  auto s = sender(addr("fd77:9::1"));
  ASSERT_FALSE(join_group(r, group));
  send(s, group, "link");
  EXPECT_EQ(next(r, heard), "link");
  ASSERT_FALSE(leave_group(r, group));
  send(s, group, "gone");
  EXPECT_EQ(next(r, silent), "");
}

TEST(multicast_netns, source_specific_v6) {
  auto group = addr("ff3e::77:9:7", 47007);  // ff3x::/32 is the IPv6 SSM range
  auto r = receiver(group);
  auto chosen = sender(addr("fd77:9::1"));
  auto other = sender(addr("fd77:9::11"));
  ASSERT_FALSE(join_source_group(r, group, addr("fd77:9::1"), eth0()));
  send(other, group, "other");
  send(chosen, group, "chosen");
  EXPECT_EQ(next(r, heard), "chosen");
  EXPECT_EQ(next(r, silent), "");
}

// Whether this process runs in the network namespace the calling script made: SOCKIT_TEST_NETNS
// names its file (/run/netns/NAME), which must be the namespace we are in, and it must not be PID
// 1's (the machine's own), where that can be read at all.
bool in_test_namespace() {
  const char* want = std::getenv("SOCKIT_TEST_NETNS");
  struct stat self {}, ns {}, init {};
  if (!want || ::stat("/proc/self/ns/net", &self) != 0 || ::stat(want, &ns) != 0) return false;
  if (self.st_ino != ns.st_ino || self.st_dev != ns.st_dev) return false;
  if (::stat("/proc/1/ns/net", &init) == 0 && init.st_ino == self.st_ino && init.st_dev == self.st_dev) return false;
  return true;
}

}  // namespace
}  // namespace sockit

int main(int argc, char** argv) {
  if (!sockit::in_test_namespace()) {
    std::fprintf(stderr, "sockit_netns_tests: refusing to join groups outside a test namespace (SOCKIT_TEST_NETNS "
                         "must name the one it runs in); run it through tests/interop/test_mcast_library.sh\n");
    return 77;
  }
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
