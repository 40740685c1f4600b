// datagram_batch on loopback: many datagrams per recvmmsg/sendmmsg, each with its sender, the
// truncation flag for a datagram longer than its buffer, a partial send that stops at the entry
// the kernel refuses, and would_block both ways.
#include "sockit/datagram_batch.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include <sys/socket.h>

#include "sockit/error.hpp"
#include "sockit/io.hpp"
#include "sockit/udp.hpp"
#include "sockit/wait.hpp"
#include "test_support.hpp"

namespace sockit {
namespace {

using test::quick;

std::string text(std::span<const std::byte> b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

struct peer {
  socket sock;
  endpoint at;
};

peer bound(bool v6) {
  peer p;
  udp_bind_options o;
  o.nonblocking = true;
  auto s = udp_bind(v6 ? endpoint::loopback_v6(0) : endpoint::loopback_v4(0), o);
  EXPECT_TRUE(s) << s.error().message();
  if (!s) return p;
  p.sock = std::move(*s);
  p.at = *p.sock.local_endpoint();
  return p;
}

// Receives until `want` datagrams are in (one batch may not hold all that was sent at once).
std::size_t recv_all(const socket& s, datagram_batch& b, std::size_t want, std::vector<std::string>& got,
                     std::vector<endpoint>& from) {
  auto by = deadline::after(quick);
  while (got.size() < want) {
    auto n = try_recv_batch(s, b);
    if (!n) {
      EXPECT_EQ(n.error(), errc::would_block) << n.error().message();
      if (n.error() != errc::would_block || wait_readable(s.native_handle(), by)) break;
      continue;
    }
    for (std::size_t i = 0; i < *n; ++i) {
      got.push_back(text(b.data(i)));
      from.push_back(b.peer(i));
      EXPECT_FALSE(b.truncated(i));
      EXPECT_EQ(b.wire_size(i), b.size(i));
    }
  }
  return got.size();
}

void round_trip(bool v6) {
  auto a = bound(v6);
  auto b = bound(v6);
  ASSERT_TRUE(a.sock && b.sock);
  // Nothing waiting: would_block, at once.
  datagram_batch in(8, 2048);
  auto none = try_recv_batch(b.sock, in);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error(), errc::would_block);

  // Five datagrams in one sendmmsg, from the batch's own buffers.
  datagram_batch out(8, 64);
  for (std::size_t i = 0; i < 5; ++i) {
    std::string s = "dgram " + std::to_string(i);
    std::memcpy(out.buffer(i).data(), s.data(), s.size());
    out.prepare(i, s.size(), b.at);
  }
  auto sent = try_send_batch(a.sock, out, 5);
  ASSERT_TRUE(sent) << sent.error().message();
  EXPECT_EQ(*sent, 5u);

  std::vector<std::string> got;
  std::vector<endpoint> from;
  ASSERT_EQ(recv_all(b.sock, in, 5, got, from), 5u);
  for (std::size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(got[i], "dgram " + std::to_string(i));
    EXPECT_EQ(from[i], a.at) << from[i].to_string();
  }

  // Replies from the caller's memory, to the senders just read: the echo shape.
  std::string reply = "pong";
  for (std::size_t i = 0; i < 3; ++i) out.prepare(i, as_bytes(reply), from[i]);
  sent = try_send_batch(b.sock, out, 3);
  ASSERT_TRUE(sent) << sent.error().message();
  EXPECT_EQ(*sent, 3u);
  got.clear();
  from.clear();
  ASSERT_EQ(recv_all(a.sock, in, 3, got, from), 3u);
  EXPECT_EQ(got[2], "pong");
  EXPECT_EQ(from[2], b.at);
}

TEST(datagram_batch, send_and_receive_many_v4) { round_trip(false); }

TEST(datagram_batch, send_and_receive_many_v6) {
  if (!test::ipv6_loopback_available()) GTEST_SKIP() << "needs IPv6 on lo";
  round_trip(true);
}

TEST(datagram_batch, a_datagram_longer_than_its_buffer_is_marked_truncated) {
  auto a = bound(false);
  auto b = bound(false);
  std::string big(300, 'x'), small = "ok";
  ASSERT_TRUE(send_to(a.sock, as_bytes(big), b.at, deadline::after(quick)));
  ASSERT_TRUE(send_to(a.sock, as_bytes(small), b.at, deadline::after(quick)));
  datagram_batch in(4, 100);
  ASSERT_FALSE(wait_readable(b.sock.native_handle(), deadline::after(quick)));
  std::size_t seen = 0;
  auto by = deadline::after(quick);
  while (seen < 2) {
    auto n = try_recv_batch(b.sock, in);
    if (!n) {
      ASSERT_EQ(n.error(), errc::would_block);
      ASSERT_FALSE(wait_readable(b.sock.native_handle(), by));
      continue;
    }
    for (std::size_t i = 0; i < *n; ++i, ++seen) {
      if (seen == 0) {
        EXPECT_TRUE(in.truncated(i));
        EXPECT_EQ(in.size(i), 100u);
        EXPECT_EQ(in.wire_size(i), 300u);
        EXPECT_EQ(text(in.data(i)), std::string(100, 'x'));
      } else {
        EXPECT_FALSE(in.truncated(i));
        EXPECT_EQ(text(in.data(i)), "ok");
        EXPECT_EQ(in.wire_size(i), 2u);
      }
      EXPECT_EQ(in.peer(i), a.at);
    }
  }
}

TEST(datagram_batch, max_caps_one_call) {
  auto a = bound(false);
  auto b = bound(false);
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(send_to(a.sock, as_bytes("x"), b.at, deadline::after(quick)));
  ASSERT_FALSE(wait_readable(b.sock.native_handle(), deadline::after(quick)));
  datagram_batch in(8, 16);
  auto n = try_recv_batch(b.sock, in, 1);
  ASSERT_TRUE(n) << n.error().message();
  EXPECT_EQ(*n, 1u);
}

// sendmmsg stops at the first entry the kernel refuses and reports the ones before it; the next
// call, from there, names the refusal.
TEST(datagram_batch, a_partial_send_stops_at_the_refused_entry) {
  auto a = bound(false);
  auto b = bound(false);
  std::vector<std::byte> too_big(max_udp_payload_v4 + 1);
  datagram_batch out(4, 0);
  std::string ok = "fine";
  out.prepare(0, as_bytes(ok), b.at);
  out.prepare(1, as_bytes(ok), b.at);
  out.prepare(2, too_big, b.at);
  out.prepare(3, as_bytes(ok), b.at);
  auto sent = try_send_batch(a.sock, out, 4);
  ASSERT_TRUE(sent) << sent.error().message();
  EXPECT_EQ(*sent, 2u);
  auto again = try_send_batch(a.sock, out, 4, 2);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error(), std::errc::message_size) << again.error().message();
  auto rest = try_send_batch(a.sock, out, 4, 3);
  ASSERT_TRUE(rest) << rest.error().message();
  EXPECT_EQ(*rest, 1u);
  // Nothing left to send is zero sent, not an error.
  auto nothing = try_send_batch(a.sock, out, 4, 4);
  ASSERT_TRUE(nothing);
  EXPECT_EQ(*nothing, 0u);
}

// A full send queue: a datagram socketpair whose reader never reads (loopback UDP never fills
// the sender's buffer: the receiver drops instead). Bounded: the queue holds a few dozen at most.
TEST(datagram_batch, a_full_send_queue_is_would_block) {
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
  socket w(sv[0]), r(sv[1]);
  datagram_batch out(16, 0);
  std::string payload(512, 'p');
  for (std::size_t i = 0; i < 16; ++i) out.prepare(i, as_bytes(payload), endpoint{});
  std::size_t total = 0;
  std::error_code last;
  for (int round = 0; round < 10000 && !last; ++round) {
    auto n = try_send_batch(w, out, 16);
    if (n) total += *n; else last = n.error();
  }
  EXPECT_EQ(last, errc::would_block) << last.message();
  EXPECT_GT(total, 0u);
  // The reader sees them, with no address (an unnamed socketpair) and nothing cut.
  datagram_batch in(4, 1024);
  auto got = try_recv_batch(r, in);
  ASSERT_TRUE(got) << got.error().message();
  EXPECT_EQ(in.size(0), 512u);
  EXPECT_TRUE(in.peer(0).empty());
}

}  // namespace
}  // namespace sockit
