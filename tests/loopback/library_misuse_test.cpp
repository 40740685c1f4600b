// The library used the wrong way, as a hurried caller would: every case ends in an error or a
// defined result at once, never a hang, a busy loop, a crash or a wrapped-round value.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <limits>
#include <stdexcept>

#include "sockit/buffer.hpp"
#include "sockit/deadline.hpp"
#include "sockit/endpoint.hpp"
#include "sockit/error.hpp"
#include "sockit/event_loop.hpp"
#include "sockit/io.hpp"
#include "sockit/tcp.hpp"
#include "sockit/tcp_acceptor.hpp"
#include "sockit/tcp_connection.hpp"
#include "sockit/udp.hpp"
#include "sockit/xxh3.hpp"
#include "test_support.hpp"

namespace sockit {
namespace {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

TEST(misuse, accept_on_a_udp_socket_fails_at_once) {
  auto u = udp_bind(endpoint::loopback_v4(0));
  ASSERT_TRUE(u);
  auto t0 = steady::now();
  auto r = tcp_accept(*u);  // accept4 says EOPNOTSUPP: permanent here, not a peer's network error
  EXPECT_FALSE(r);
  EXPECT_LT(steady::now() - t0, 1s);
}

TEST(misuse, an_acceptor_refuses_a_socket_that_does_not_listen) {
  auto loop = test::make_loop();
  ASSERT_TRUE(loop);
  auto u = udp_bind(endpoint::loopback_v4(0));
  ASSERT_TRUE(u);
  auto a = tcp_acceptor::adopt(*loop, std::move(*u), [](socket, const endpoint&) {});
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error(), std::errc::invalid_argument);
  auto [client, server] = test::tcp_pair();
  ASSERT_TRUE(client);
  auto b = tcp_acceptor::adopt(*loop, std::move(client), [](socket, const endpoint&) {});
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error(), std::errc::invalid_argument);
}

TEST(misuse, zero_reads_per_wakeup_still_reads) {
  auto loop = test::make_loop();
  ASSERT_TRUE(loop);
  auto [client, server] = test::tcp_pair();
  ASSERT_TRUE(server);
  connection_limits lim;
  lim.max_reads_per_wakeup = 0;
  auto conn = tcp_connection::create(*loop, std::move(server), endpoint(), lim);
  std::string got;
  conn->on_data([&](tcp_connection&, buffer& in) {
    got += in.view();
    in.clear();
  });
  ASSERT_FALSE(conn->start());
  ASSERT_FALSE(send_all(client, "hello").ec);
  EXPECT_TRUE(test::run_until(*loop, [&] { return got == "hello"; }, 5s)) << "got '" << got << "'";
  conn->close();
}

TEST(misuse, a_timer_a_lifetime_away_does_not_fire) {
  auto loop = test::make_loop();
  ASSERT_TRUE(loop);
  bool fired = false;
  loop->run_after(event_loop::duration::max(), [&] { fired = true; });
  loop->run_every(event_loop::duration::max(), [&] { fired = true; });
  ASSERT_FALSE(loop->run_once(10ms));
  EXPECT_FALSE(fired);
}

TEST(misuse, a_timer_in_the_past_rearming_itself_lets_io_run) {
  auto loop = test::make_loop();
  ASSERT_TRUE(loop);
  int runs = 0;
  std::function<void()> again = [&] {
    ++runs;
    loop->run_after(-1h, again);
  };
  loop->run_after(-1h, again);
  ASSERT_FALSE(loop->run_once(10ms));
  EXPECT_LE(runs, 2) << "a timer in the past ran " << runs << " times in one turn";
}

TEST(misuse, a_deadline_a_lifetime_away_is_not_expired) {
  auto d = deadline::after(clock::duration::max());
  EXPECT_FALSE(d.expired());
  EXPECT_EQ(d.poll_timeout_ms(), std::numeric_limits<int>::max());
  auto past = deadline::after(clock::duration::min());
  EXPECT_TRUE(past.expired());
  EXPECT_EQ(past.poll_timeout_ms(), 0);
  // So a refused first address does not stop the second from being tried.
  auto l = test::listen_loopback();
  const endpoint both[] = {endpoint::loopback_v4(test::closed_tcp_port()), l.at};
  endpoint used;
  auto c = tcp_connect(both, d, &used);
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(used, l.at);
}

TEST(misuse, a_moved_from_hasher_starts_again) {
  const std::string text = "abc";
  const auto expect_empty = xxh3_128_of({});
  const auto expect_abc = xxh3_128_of(as_bytes(text));
  xxh3_128 h;
  h.update(as_bytes(text));
  xxh3_128 taken(std::move(h));
  EXPECT_EQ(taken.digest(), expect_abc);
  EXPECT_EQ(h.digest(), expect_empty);  // NOLINT(bugprone-use-after-move): what is tested
  xxh3_128 copy(h);                     // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(copy.digest(), expect_empty);
  h.update(as_bytes(text));
  EXPECT_EQ(h.digest(), expect_abc);
  xxh3_128 other(std::move(h));
  h.reset();  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(h.digest(), expect_empty);
  xxh3_128 assigned;
  assigned.update(as_bytes(text));
  xxh3_128 gone(std::move(other));
  assigned = other;  // NOLINT(bugprone-use-after-move): a moved-from source copies as empty
  EXPECT_EQ(assigned.digest(), expect_empty);
}

TEST(misuse, a_buffer_asked_for_more_than_memory_throws_instead_of_wrapping) {
  buffer b;
  b.append("abc");
  EXPECT_THROW(b.prepare(std::numeric_limits<std::size_t>::max() - 1), std::length_error);
  EXPECT_EQ(b.view(), "abc");
}

TEST(misuse, a_name_is_not_a_numeric_address) {
  // A name is told from a malformed address: the CLI refuses only the second as a usage error.
  for (const char* text : {"localhost", "example"}) {
    auto e = endpoint::numeric(text, 80);
    ASSERT_FALSE(e) << text;
    EXPECT_NE(e.error(), errc::bad_host) << text << ": " << e.error().message();
  }
  for (const char* text : {"127.1", "1.2.3.4.5", "1:2:zz"}) {
    auto e = endpoint::numeric(text, 80);
    ASSERT_FALSE(e) << text;
    EXPECT_EQ(e.error(), errc::bad_host) << text << ": " << e.error().message();
  }
}

TEST(misuse, waiting_on_a_negative_descriptor_fails_at_once) {
  auto t0 = steady::now();
  EXPECT_EQ(wait_readable(-1, deadline::after(2s)), std::errc::bad_file_descriptor);
  EXPECT_EQ(wait_writable(-1, deadline{}), std::errc::bad_file_descriptor);
  EXPECT_LT(steady::now() - t0, 1s);
}

TEST(misuse, an_empty_datagram_is_not_the_end_of_a_stream) {
  auto a = udp_bind(endpoint::loopback_v4(0));
  ASSERT_TRUE(a);
  auto at = a->local_endpoint();
  ASSERT_TRUE(at);
  auto b = udp_connect(*at);
  ASSERT_TRUE(b);
  auto b_at = b->local_endpoint();
  ASSERT_TRUE(b_at);
  ASSERT_FALSE(udp_connect(*a, *b_at));
  ASSERT_EQ(test::raw_send(a->native_handle(), "", 0), 0);
  ASSERT_EQ(test::raw_send(a->native_handle(), "x", 1), 1);
  std::byte buf[16];
  auto n = recv_some(*b, buf, deadline::after(5s));
  ASSERT_TRUE(n) << n.error().message();
  EXPECT_EQ(*n, 0u);
  n = recv_some(*b, buf, deadline::after(5s));
  ASSERT_TRUE(n) << n.error().message();
  EXPECT_EQ(*n, 1u);
}

}  // namespace
}  // namespace sockit
