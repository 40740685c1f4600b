// UDP on loopback: bind to port 0, send_to/recv_from with deadlines, truncation, connected UDP
// and its ECONNREFUSED after a datagram to a closed port.
#include "sockit/udp.hpp"

#include <gtest/gtest.h>

#include "sockit/io.hpp"
#include "sockit/options.hpp"
#include "test_support.hpp"

namespace sockit {
namespace {

using namespace std::chrono_literals;
using test::quick;

std::string text(std::span<const std::byte> b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

struct udp_peer {
  socket sock;
  endpoint at;
};

udp_peer bound(bool v6 = false) {
  udp_peer p;
  auto s = udp_bind(v6 ? endpoint::loopback_v6(0) : endpoint::loopback_v4(0));
  EXPECT_TRUE(s) << s.error().message();
  if (!s) return p;
  p.sock = std::move(*s);
  p.at = *p.sock.local_endpoint();
  EXPECT_NE(p.at.port(), 0);
  return p;
}

void round_trip(bool v6) {
  auto a = bound(v6);
  auto b = bound(v6);
  auto sent = send_to(a.sock, as_bytes("ping"), b.at, deadline::after(quick));
  ASSERT_TRUE(sent) << sent.error().message();
  EXPECT_EQ(*sent, 4u);
  std::byte buf[64];
  auto d = recv_from(b.sock, buf, deadline::after(quick));
  ASSERT_TRUE(d) << d.error().message();
  EXPECT_EQ(d->size, 4u);
  EXPECT_EQ(d->wire_size, 4u);
  EXPECT_FALSE(d->truncated());
  EXPECT_EQ(d->from, a.at) << d->from.to_string();
  EXPECT_EQ(text(std::span(buf, d->size)), "ping");
  // Reply to the sender's address.
  ASSERT_TRUE(send_to(b.sock, as_bytes("pong"), d->from, deadline::after(quick)));
  auto r = recv_from(a.sock, buf, deadline::after(quick));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->from, b.at);
  EXPECT_EQ(text(std::span(buf, r->size)), "pong");
}

TEST(udp, send_to_recv_from_v4) { round_trip(false); }

TEST(udp, send_to_recv_from_v6) {
  if (!test::ipv6_loopback_available()) GTEST_SKIP() << "needs IPv6 on lo";
  round_trip(true);
}

TEST(udp, recv_from_times_out_when_nothing_comes) {
  auto a = bound();
  std::byte buf[16];
  auto start = clock::now();
  auto d = recv_from(a.sock, buf, deadline::after(150ms));
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error(), std::errc::timed_out);
  EXPECT_GE(clock::now() - start, 140ms);
  EXPECT_LT(clock::now() - start, 5s);
}

TEST(udp, truncation_is_reported) {
  auto a = bound();
  auto b = bound();
  auto payload = test::random_bytes(1000, 4);
  ASSERT_TRUE(send_to(a.sock, payload, b.at, deadline::after(quick)));
  std::byte small[10];
  auto d = recv_from(b.sock, small, deadline::after(quick));
  ASSERT_TRUE(d);
  EXPECT_EQ(d->size, 10u);
#ifdef _WIN32
  EXPECT_GT(d->wire_size, 10u);  // Winsock does not give the datagram's real length
#else
  EXPECT_EQ(d->wire_size, 1000u);
#endif
  EXPECT_TRUE(d->truncated());
  EXPECT_TRUE(std::equal(small, small + 10, payload.begin()));
  // The rest of a truncated datagram is gone: the next receive times out rather than giving it.
  auto next = recv_from(b.sock, small, deadline::after(50ms));
  EXPECT_EQ(next.error(), std::errc::timed_out);
}

TEST(udp, datagram_boundaries_and_empty_datagrams) {
  auto a = bound();
  auto b = bound();
  for (std::string_view m : {"one", "", "three"}) ASSERT_TRUE(send_to(a.sock, as_bytes(m), b.at, deadline::after(quick)));
  std::byte buf[64];
  for (std::string_view m : {"one", "", "three"}) {
    auto d = recv_from(b.sock, buf, deadline::after(quick));
    ASSERT_TRUE(d) << d.error().message();
    EXPECT_EQ(text(std::span(buf, d->size)), m);
    EXPECT_EQ(d->from, a.at);
  }
}

TEST(udp, large_datagram_round_trips) {
  auto a = bound();
  auto b = bound();
  auto payload = test::random_bytes(60000, 8);
  ASSERT_TRUE(send_to(a.sock, payload, b.at, deadline::after(quick)));
  std::vector<std::byte> buf(65536);
  auto d = recv_from(b.sock, buf, deadline::after(quick));
  ASSERT_TRUE(d);
  ASSERT_EQ(d->size, payload.size());
  EXPECT_TRUE(std::equal(payload.begin(), payload.end(), buf.begin()));
  std::vector<std::byte> too_big(70000);
  auto t = send_to(a.sock, too_big, b.at, deadline::after(quick));
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error(), std::errc::message_size);
}

TEST(udp, connected_socket_gets_econnrefused_from_a_closed_port) {
  // A port nobody listens on: bind it, read it, close it.
  endpoint closed;
  {
    auto tmp = bound();
    closed = tmp.at;
  }
  auto c = udp_connect(closed);
  ASSERT_TRUE(c) << c.error().message();
  std::byte buf[16];
  std::error_code seen;
  // The ICMP port-unreachable comes back asynchronously: send, then look; a few tries at most.
  for (int i = 0; i < 5 && !seen; ++i) {
    auto s = send_to(*c, as_bytes("anyone?"), endpoint{}, deadline::after(quick));
    if (!s) {
      seen = s.error();
      break;
    }
    auto d = recv_from(*c, buf, deadline::after(200ms));
    if (!d && d.error() != std::errc::timed_out) seen = d.error();
  }
  EXPECT_EQ(seen, std::errc::connection_refused) << seen.message();
}

TEST(udp, connected_socket_talks_with_send_some_and_recv_some) {
  auto server = bound();
  auto c = udp_connect(server.at);
  ASSERT_TRUE(c);
  ASSERT_TRUE(send_some(*c, as_bytes("hello"), deadline::after(quick)));
  std::byte buf[16];
  auto d = recv_from(server.sock, buf, deadline::after(quick));
  ASSERT_TRUE(d);
  EXPECT_EQ(d->from, *c->local_endpoint());
  ASSERT_TRUE(send_to(server.sock, as_bytes("back"), d->from, deadline::after(quick)));
  auto n = recv_some(*c, buf, deadline::after(quick));
  ASSERT_TRUE(n) << n.error().message();
  EXPECT_EQ(text(std::span(buf, *n)), "back");
}

TEST(udp, connected_socket_ignores_other_senders) {
  auto server = bound();
  auto stranger = bound();
  auto c = udp_connect(server.at);
  ASSERT_TRUE(c);
  auto me = *c->local_endpoint();
  ASSERT_TRUE(send_to(stranger.sock, as_bytes("spoof"), me, deadline::after(quick)));
  ASSERT_TRUE(send_to(server.sock, as_bytes("real"), me, deadline::after(quick)));
  std::byte buf[16];
  auto d = recv_from(*c, buf, deadline::after(quick));
  ASSERT_TRUE(d);
  EXPECT_EQ(text(std::span(buf, d->size)), "real");
  EXPECT_EQ(d->from, server.at);
}

TEST(udp, bind_conflicts_and_reuse) {
  auto a = bound();
  auto again = udp_bind(a.at);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error(), std::errc::address_in_use);
  auto r1 = udp_bind(endpoint::loopback_v4(0), udp_bind_options{.reuse_port = true});
#ifdef _WIN32
  // Winsock has no SO_REUSEPORT: asked for, it is refused, not ignored.
  ASSERT_FALSE(r1);
  EXPECT_EQ(r1.error(), std::errc::not_supported);
  return;
#endif
  ASSERT_TRUE(r1);
  auto r2 = udp_bind(*r1->local_endpoint(), udp_bind_options{.reuse_port = true});
  EXPECT_TRUE(r2) << r2.error().message();
  EXPECT_TRUE(*reuse_port(*r2));
}

TEST(udp, nonblocking_open_and_bind) {
  auto s = udp_open(AF_INET, true);
  ASSERT_TRUE(s);
  auto b = udp_bind(endpoint::loopback_v4(0), udp_bind_options{.nonblocking = true});
  ASSERT_TRUE(b);
#ifdef _WIN32
  // Winsock cannot report the mode; the raw call shows it: nothing to read is WSAEWOULDBLOCK.
  EXPECT_EQ(nonblocking(*s).error(), std::errc::not_supported);
  char c;
  EXPECT_EQ(::recv(static_cast<SOCKET>(b->native_handle()), &c, 1, 0), SOCKET_ERROR);
  EXPECT_EQ(::WSAGetLastError(), WSAEWOULDBLOCK);
#else
  EXPECT_TRUE(*nonblocking(*s));
  EXPECT_TRUE(*nonblocking(*b));
#endif
  std::byte buf[4];
  auto d = recv_from(*b, buf, deadline::after(30ms));
  EXPECT_EQ(d.error(), std::errc::timed_out);
}

TEST(udp, dual_stack_bind_receives_ipv4) {
  if (!test::ipv6_loopback_available()) GTEST_SKIP() << "needs IPv6 on lo";
  auto s = udp_bind(endpoint::any_v6(0));
  ASSERT_TRUE(s);
  auto port = s->local_endpoint()->port();
  auto v4 = bound();
  ASSERT_TRUE(send_to(v4.sock, as_bytes("4to6"), endpoint::loopback_v4(port), deadline::after(quick)));
  std::byte buf[8];
  auto d = recv_from(*s, buf, deadline::after(quick));
  ASSERT_TRUE(d) << d.error().message();
  EXPECT_TRUE(d->from.is_v6());
  EXPECT_EQ(d->from.port(), v4.at.port());
  EXPECT_EQ(text(std::span(buf, d->size)), "4to6");
}

}  // namespace
}  // namespace sockit
