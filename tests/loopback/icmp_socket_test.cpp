// Ping sockets on loopback: an echo request to 127.0.0.1 / ::1 comes back as a reply with our
// identifier and sequence and a TTL; on a raw socket our own request is seen too and parses as a
// request, never as a reply.
#include <gtest/gtest.h>

#include <unistd.h>

#include <array>
#include <vector>

#include "sockit/deadline.hpp"
#include "sockit/icmp.hpp"
#include "sockit/icmp_socket.hpp"
#include "sockit/wait.hpp"

namespace {

using namespace sockit;

void echo_once(int family, const endpoint& to, bool filter, bool expect_own_request) {
  auto s = icmp::open_ping_socket(family, icmp::socket_choice::automatic, 0x5a5a, filter);
  if (!s && s.error() == std::errc::operation_not_permitted) {
    GTEST_SKIP() << "CI cannot have: neither a raw ICMP socket nor ping_group_range here (not root)";
  }
  if (!s && s.error() == std::errc::address_family_not_supported) GTEST_SKIP() << "CI cannot have: no IPv6 here";
  ASSERT_TRUE(s) << s.error().message();
  if (s->kind == icmp::socket_kind::datagram) EXPECT_EQ(s->id, s->sock.local_endpoint()->port());
  ASSERT_FALSE(icmp::set_ttl(*s, 33));
  std::vector<std::byte> payload(56, std::byte{0x61});
  auto req = icmp::encode_echo_request(family, s->id, 7, payload);
  auto sent = icmp::try_send(*s, req, to);
  ASSERT_TRUE(sent) << sent.error().message();
  EXPECT_EQ(*sent, req.size());
  std::array<std::byte, 2048> buf{};
  bool got_reply = false;
  bool saw_request = false;
  auto by = deadline::after(std::chrono::seconds(5));
  while (!got_reply && !by.expired()) {
    wait_entry e{s->sock.native_handle(), wait_entry::readable, 0};
    ASSERT_TRUE(wait_any({&e, 1}, by));
    auto r = icmp::try_receive(*s, buf);
    if (!r) continue;
    auto m = icmp::parse(family, std::span(buf).first(r->size), s->with_ip_header());
    ASSERT_TRUE(m);
    if (m->id != s->id) continue;  // another pinger on this host
    if (m->kind == icmp::message_kind::echo_request) {
      EXPECT_EQ(s->kind, icmp::socket_kind::raw);  // only an unfiltered raw socket sees its own request
      EXPECT_FALSE(filter);
      EXPECT_FALSE(got_reply);  // it comes before the reply
      saw_request = true;
      continue;
    }
    ASSERT_EQ(m->kind, icmp::message_kind::echo_reply);
    EXPECT_EQ(m->seq, 7);
    EXPECT_TRUE(m->checksum_ok);
    EXPECT_EQ(m->payload.size(), 56u);
    // The reply's TTL: the IP header's on raw IPv4, the ancillary data's everywhere; over
    // loopback the reply leaves with the host's default, not our 33.
    int ttl = m->ttl >= 0 ? m->ttl : r->ttl;
    EXPECT_GT(ttl, 0);
    EXPECT_EQ(r->from.address(), to.address());
    got_reply = true;
  }
  EXPECT_TRUE(got_reply);
  if (s->kind == icmp::socket_kind::raw) EXPECT_EQ(saw_request, expect_own_request);
}

TEST(icmp_socket, echo_v4_loopback) { echo_once(AF_INET, endpoint::loopback_v4(0), true, false); }
TEST(icmp_socket, echo_v6_loopback) { echo_once(AF_INET6, endpoint::loopback_v6(0), true, false); }
// Unfiltered, a raw socket sees our own request first: it parses as a request, never a reply.
TEST(icmp_socket, unfiltered_raw_sees_own_request_v4) { echo_once(AF_INET, endpoint::loopback_v4(0), false, true); }
TEST(icmp_socket, unfiltered_raw_sees_own_request_v6) { echo_once(AF_INET6, endpoint::loopback_v6(0), false, true); }

TEST(icmp_socket, permission_hint_names_both_ways) {
  auto h = icmp::permission_hint("/usr/bin/sockit");
  EXPECT_NE(h.find("setcap cap_net_raw+ep /usr/bin/sockit"), std::string::npos);
  EXPECT_NE(h.find("net.ipv4.ping_group_range"), std::string::npos);
}

}  // namespace
