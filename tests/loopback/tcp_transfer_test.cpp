// Blocking TCP over loopback: connect/listen/accept, send_all/recv_exact/recv_some with their
// deadlines, slow readers, peers that never read, resets, half-close, refused connects.
#include <gtest/gtest.h>

#include <atomic>
#include <csignal>
#include <cstring>
#include <thread>

#include <fcntl.h>

#include "sockit/io.hpp"
#include "sockit/liveness.hpp"
#include "sockit/options.hpp"
#include "test_support.hpp"

namespace sockit {
namespace {

using namespace std::chrono_literals;
using test::quick;

std::string to_string(std::span<const std::byte> b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

TEST(tcp_transfer, two_mib_both_directions_at_once) { test::bidirectional_transfer(2u << 20, 60s); }

TEST(tcp_transfer, send_all_with_tiny_sndbuf_and_slow_reader_is_byte_exact) {
  auto [client, server] = test::tcp_pair();
  ASSERT_FALSE(set_send_buffer_size(client, 4096));
  ASSERT_FALSE(set_recv_buffer_size(server, 4096));
  const std::size_t total = 256 * 1024;
  auto data = test::random_bytes(total, 7);
  std::vector<std::byte> got;
  got.reserve(total);
  std::error_code reader_ec;
  std::jthread reader([&] {
    std::byte chunk[1000];
    auto by = deadline::after(60s);
    while (got.size() < total) {
      auto n = recv_some(server, chunk, by);
      if (!n) {
        reader_ec = n.error();
        return;
      }
      got.insert(got.end(), chunk, chunk + *n);
      std::this_thread::sleep_for(200us);
    }
  });
  auto t = send_all(client, data, deadline::after(60s));
  reader.join();
  EXPECT_TRUE(t.ok()) << t.ec.message();
  EXPECT_EQ(t.bytes, total);
  EXPECT_FALSE(reader_ec) << reader_ec.message();
  EXPECT_TRUE(got == data);
}

TEST(tcp_transfer, send_all_deadline_against_a_peer_that_never_reads) {
  auto [client, server] = test::tcp_pair();
  ASSERT_FALSE(set_send_buffer_size(client, 8192));
  ASSERT_FALSE(set_recv_buffer_size(server, 8192));
  const std::size_t total = 8u << 20;  // far more than both (locked, small) socket buffers hold
  auto data = test::random_bytes(total, 3);
  auto start = clock::now();
  auto t = send_all(client, data, deadline::after(300ms));
  auto took = clock::now() - start;
  EXPECT_EQ(t.ec, std::errc::timed_out) << t.ec.message();
  EXPECT_GT(t.bytes, 0u);
  EXPECT_LT(t.bytes, total);
  EXPECT_GE(took, 250ms);
  EXPECT_LT(took, 10s);
  // Everything send_all counted is in flight, and nothing more: the reader gets exactly that.
  ASSERT_FALSE(client.shutdown(shutdown_how::write));
  std::vector<std::byte> got;
  std::byte chunk[65536];
  auto by = deadline::after(30s);
  for (;;) {
    auto n = recv_some(server, chunk, by);
    if (!n) {
      EXPECT_EQ(n.error(), make_error_code(errc::end_of_stream)) << n.error().message();
      break;
    }
    got.insert(got.end(), chunk, chunk + *n);
  }
  EXPECT_EQ(got.size(), t.bytes);
  EXPECT_TRUE(std::equal(got.begin(), got.end(), data.begin()));
}

TEST(tcp_transfer, peer_reset_mid_stream_gives_an_error_never_sigpipe) {
  // SIGPIPE keeps its default action (terminate): a send without MSG_NOSIGNAL would kill us.
  struct sigaction old {};
  ASSERT_EQ(::sigaction(SIGPIPE, nullptr, &old), 0);
  ASSERT_EQ(old.sa_handler, SIG_DFL) << "the test must not run with SIGPIPE ignored";

  auto [client, server] = test::tcp_pair();
  ASSERT_FALSE(set_send_buffer_size(client, 8192));
  ASSERT_FALSE(set_recv_buffer_size(server, 8192));
  std::vector<std::byte> data(32u << 20, std::byte{0x5a});  // cannot all fit in flight
  transfer t;
  std::jthread sender([&] { t = send_all(client, data, deadline::after(30s)); });
  std::byte some[4096];
  auto first = recv_exact(server, some, deadline::after(quick));
  ASSERT_TRUE(first.ok()) << first.ec.message();
  ASSERT_FALSE(set_linger(server, seconds(0)));
  ASSERT_FALSE(server.close());  // RST, with unread data discarded
  sender.join();
  EXPECT_TRUE(t.ec == std::errc::connection_reset || t.ec == std::errc::broken_pipe) << t.ec.message();
  EXPECT_LT(t.bytes, data.size());
  EXPECT_GE(t.bytes, sizeof some);
  // The next calls keep failing cleanly, still without a signal.
  auto again = send_all(client, "more", deadline::after(quick));
  EXPECT_FALSE(again.ok());
  EXPECT_EQ(again.bytes, 0u);
  auto r = recv_some(client, some, deadline::after(quick));
  EXPECT_FALSE(r);
}

TEST(tcp_transfer, recv_after_reset_reports_econnreset) {
  auto [client, server] = test::tcp_pair();
  ASSERT_FALSE(set_linger(server, seconds(0)));
  ASSERT_FALSE(server.close());
  std::byte b[16];
  auto r = recv_some(client, b, deadline::after(quick));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), std::errc::connection_reset) << r.error().message();
}

TEST(tcp_transfer, half_close_then_reply_still_arrives) {
  auto [client, server] = test::tcp_pair();
  ASSERT_TRUE(send_all(client, "request", deadline::after(quick)).ok());
  ASSERT_FALSE(client.shutdown(shutdown_how::write));

  std::byte buf[64];
  auto req = recv_exact(server, std::span(buf, 7), deadline::after(quick));
  ASSERT_TRUE(req.ok());
  EXPECT_EQ(to_string(std::span(buf, 7)), "request");
  auto eof = recv_some(server, buf, deadline::after(quick));
  ASSERT_FALSE(eof);
  EXPECT_EQ(eof.error(), make_error_code(errc::end_of_stream));
  auto eof2 = recv_exact(server, buf, deadline::after(quick));
  EXPECT_EQ(eof2.ec, make_error_code(errc::end_of_stream));
  EXPECT_EQ(eof2.bytes, 0u);

  // The other direction is still open.
  ASSERT_TRUE(send_all(server, "response", deadline::after(quick)).ok());
  auto resp = recv_exact(client, std::span(buf, 8), deadline::after(quick));
  ASSERT_TRUE(resp.ok()) << resp.ec.message();
  EXPECT_EQ(to_string(std::span(buf, 8)), "response");
  ASSERT_FALSE(server.shutdown(shutdown_how::write));
  auto end = recv_some(client, buf, deadline::after(quick));
  EXPECT_EQ(end.error(), make_error_code(errc::end_of_stream));
}

TEST(tcp_transfer, recv_exact_reports_partial_bytes_and_end_of_stream) {
  auto [client, server] = test::tcp_pair();
  ASSERT_TRUE(send_all(server, "12345", deadline::after(quick)).ok());
  ASSERT_FALSE(server.close());
  std::byte buf[10];
  auto t = recv_exact(client, buf, deadline::after(quick));
  EXPECT_EQ(t.ec, make_error_code(errc::end_of_stream));
  EXPECT_EQ(t.bytes, 5u);
  EXPECT_EQ(to_string(std::span(buf, 5)), "12345");
}

TEST(tcp_transfer, recv_deadlines_expire_with_timed_out) {
  auto [client, server] = test::tcp_pair();
  std::byte buf[10];
  auto start = clock::now();
  auto r = recv_some(client, buf, deadline::after(100ms));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), std::errc::timed_out);
  EXPECT_GE(clock::now() - start, 90ms);

  ASSERT_TRUE(send_all(server, "abc", deadline::after(quick)).ok());
  auto t = recv_exact(client, buf, deadline::after(100ms));
  EXPECT_EQ(t.ec, std::errc::timed_out);
  EXPECT_EQ(t.bytes, 3u) << "partial bytes are reported with the timeout";
  EXPECT_EQ(to_string(std::span(buf, 3)), "abc");

  auto past = recv_some(client, buf, deadline::at(clock::now() - 1s));
  EXPECT_EQ(past.error(), std::errc::timed_out);
}

TEST(tcp_transfer, io_on_a_nonblocking_socket_waits_for_data) {
  auto [client, server] = test::tcp_pair();
  ASSERT_FALSE(set_nonblocking(client, true));
  std::jthread later([&] {
    std::this_thread::sleep_for(50ms);
    (void)send_all(server, "late", deadline::after(quick));
  });
  std::byte buf[4];
  auto t = recv_exact(client, buf, deadline::after(quick));
  EXPECT_TRUE(t.ok()) << t.ec.message();
  EXPECT_EQ(to_string(buf), "late");
}

TEST(tcp_transfer, empty_transfers_succeed_at_once) {
  auto [client, server] = test::tcp_pair();
  auto t = send_all(client, std::string_view(), deadline::after(quick));
  EXPECT_TRUE(t.ok());
  EXPECT_EQ(t.bytes, 0u);
  auto r = recv_exact(server, std::span<std::byte>(), deadline::after(quick));
  EXPECT_TRUE(r.ok());
}

TEST(tcp_connect, refused_quickly_with_econnrefused) {
  auto port = test::closed_tcp_port();
  auto to = endpoint::loopback_v4(port);
  auto start = clock::now();
  auto s = tcp_connect(to, deadline::after(quick));
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error(), std::errc::connection_refused) << s.error().message();
  EXPECT_LT(clock::now() - start, 2s);
  EXPECT_EQ(describe("connect " + to.to_string(), s.error()),
            "connect 127.0.0.1:" + std::to_string(port) + ": Connection refused (ECONNREFUSED)");
}

TEST(tcp_connect, by_host_name_and_numeric_text) {
  auto l = test::listen_loopback();
  endpoint used;
  auto s = tcp_connect("localhost", l.at.port(), ip_family::v4, deadline::after(quick), &used);
  ASSERT_TRUE(s) << s.error().message();
  EXPECT_EQ(used, l.at);
  auto s2 = tcp_connect("127.0.0.1", l.at.port(), ip_family::any, deadline::after(quick));
  ASSERT_TRUE(s2) << s2.error().message();
  auto bad = tcp_connect("not a host", l.at.port());
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error(), make_error_code(errc::bad_host));
}

TEST(tcp_connect, tries_candidates_in_order) {
  auto l = test::listen_loopback();
  endpoint dead = endpoint::loopback_v4(test::closed_tcp_port());
  std::vector<endpoint> candidates{dead, l.at};
  endpoint used;
  auto s = tcp_connect(candidates, deadline::after(quick), &used);
  ASSERT_TRUE(s) << s.error().message();
  EXPECT_EQ(used, l.at);
  auto peer = s->peer_endpoint();
  ASSERT_TRUE(peer);
  EXPECT_EQ(*peer, l.at);

  std::vector<endpoint> only_dead{dead};
  auto f = tcp_connect(only_dead, deadline::after(quick));
  ASSERT_FALSE(f);
  EXPECT_EQ(f.error(), std::errc::connection_refused);
  auto none = tcp_connect(std::span<const endpoint>(), deadline::after(quick));
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error(), make_error_code(errc::no_addresses));
}

TEST(tcp_connect, blocking_unless_asked) {
  auto l = test::listen_loopback();
  auto b = tcp_connect(l.at, deadline::after(quick));
  ASSERT_TRUE(b);
  EXPECT_FALSE(*nonblocking(*b));
  auto nb = tcp_connect(l.at, deadline::after(quick), true);
  ASSERT_TRUE(nb);
  EXPECT_TRUE(*nonblocking(*nb));
  int fdflags = ::fcntl(nb->native_handle(), F_GETFD);
  EXPECT_TRUE(fdflags & FD_CLOEXEC);
}

TEST(tcp_accept, reports_peer_and_flags) {
  auto l = test::listen_loopback();
  auto c = tcp_connect(l.at, deadline::after(quick));
  ASSERT_TRUE(c);
  endpoint peer;
  auto a = tcp_accept(l.sock, accept_options{.nonblocking = true, .peer = &peer});
  ASSERT_TRUE(a) << a.error().message();
  EXPECT_EQ(peer, *c->local_endpoint());
  EXPECT_TRUE(*nonblocking(*a));
  EXPECT_TRUE(::fcntl(a->native_handle(), F_GETFD) & FD_CLOEXEC);
}

TEST(tcp_accept, nonblocking_listener_with_nothing_pending) {
  auto l = test::listen_loopback(false, listen_options{.nonblocking = true});
  auto a = tcp_accept(l.sock);
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error(), std::errc::resource_unavailable_try_again);
}

TEST(tcp_listen, port_in_use_and_reuse_port) {
  auto l = test::listen_loopback();
  auto again = tcp_listen(l.at);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error(), std::errc::address_in_use);

  listen_options shared{.reuse_port = true};
  auto a = tcp_listen(endpoint::loopback_v4(0), shared);
  ASSERT_TRUE(a);
  auto b = tcp_listen(*a->local_endpoint(), shared);
  EXPECT_TRUE(b) << b.error().message();
}

TEST(tcp_listen, dual_stack_listener_accepts_ipv4) {
  if (!test::ipv6_loopback_available()) GTEST_SKIP() << "needs IPv6 on lo";
  auto l = tcp_listen(endpoint::any_v6(0), listen_options{.v6_only = false});
  ASSERT_TRUE(l) << l.error().message();
  auto port = l->local_endpoint()->port();
  auto c = tcp_connect(endpoint::loopback_v4(port), deadline::after(quick));
  ASSERT_TRUE(c) << c.error().message();
  endpoint peer;
  auto a = tcp_accept(*l, accept_options{.peer = &peer});
  ASSERT_TRUE(a);
  EXPECT_TRUE(peer.is_v6()) << peer.to_string();
  EXPECT_TRUE(peer.is_loopback()) << "an IPv4-mapped 127.0.0.1: " << peer.to_string();
  ASSERT_TRUE(send_all(*c, "v4", deadline::after(quick)).ok());
  std::byte buf[2];
  ASSERT_TRUE(recv_exact(*a, buf, deadline::after(quick)).ok());
  EXPECT_EQ(to_string(buf), "v4");
  auto c6 = tcp_connect(endpoint::loopback_v6(port), deadline::after(quick));
  EXPECT_TRUE(c6) << c6.error().message();
}

TEST(tcp_listen, v6_only_refuses_ipv4) {
  if (!test::ipv6_loopback_available()) GTEST_SKIP() << "needs IPv6 on lo";
  auto l = tcp_listen(endpoint::any_v6(0), listen_options{.v6_only = true});
  ASSERT_TRUE(l);
  auto port = l->local_endpoint()->port();
  // The v4 port may be taken by someone else; then the connect can succeed against them. Bind it
  // ourselves first to know it is closed.
  auto guard = socket::open(AF_INET, SOCK_STREAM);
  ASSERT_TRUE(guard);
  auto v4 = endpoint::loopback_v4(port);
  if (::bind(guard->native_handle(), v4.data(), v4.size()) != 0) GTEST_SKIP() << "port taken on IPv4";
  auto c = tcp_connect(v4, deadline::after(quick));
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error(), std::errc::connection_refused);
}

TEST(tcp_transfer, ipv6_loopback_round_trip) {
  if (!test::ipv6_loopback_available()) GTEST_SKIP() << "needs IPv6 on lo";
  auto l = test::listen_loopback(true);
  EXPECT_TRUE(l.at.is_v6());
  auto c = tcp_connect(l.at, deadline::after(quick));
  ASSERT_TRUE(c);
  auto a = tcp_accept(l.sock);
  ASSERT_TRUE(a);
  ASSERT_TRUE(send_all(*a, "over v6", deadline::after(quick)).ok());
  std::byte buf[7];
  ASSERT_TRUE(recv_exact(*c, buf, deadline::after(quick)).ok());
  EXPECT_EQ(to_string(buf), "over v6");
}

TEST(socket, closes_exactly_once_and_moves) {
  auto s = socket::open(AF_INET, SOCK_STREAM);
  ASSERT_TRUE(s);
  int fd = s->native_handle();
  EXPECT_TRUE(::fcntl(fd, F_GETFD) & FD_CLOEXEC);
  socket moved(std::move(*s));
  EXPECT_FALSE(s->is_open());
  EXPECT_EQ(moved.native_handle(), fd);
  socket assigned;
  assigned = std::move(moved);
  EXPECT_FALSE(moved);
  EXPECT_EQ(assigned.native_handle(), fd);
  EXPECT_FALSE(assigned.close());
  EXPECT_FALSE(assigned.is_open());
  EXPECT_EQ(::fcntl(fd, F_GETFD), -1) << "descriptor still open after close()";
  EXPECT_EQ(assigned.close(), std::errc::bad_file_descriptor) << "second close must not close again";
}

TEST(socket, release_and_reset) {
  auto s = socket::open(AF_INET, SOCK_DGRAM);
  ASSERT_TRUE(s);
  int fd = s->release();
  EXPECT_FALSE(s->is_open());
  EXPECT_NE(::fcntl(fd, F_GETFD), -1) << "release must not close";
  socket owner;
  owner.reset(fd);
  EXPECT_EQ(owner.native_handle(), fd);
  owner.reset(fd);  // same fd: no close
  EXPECT_NE(::fcntl(fd, F_GETFD), -1);
  owner.reset();
  EXPECT_EQ(::fcntl(fd, F_GETFD), -1);
}

TEST(socket, endpoints_and_shutdown_errors) {
  auto [client, server] = test::tcp_pair();
  EXPECT_EQ(*client.peer_endpoint(), *server.local_endpoint());
  EXPECT_EQ(*server.peer_endpoint(), *client.local_endpoint());
  socket none;
  EXPECT_EQ(none.shutdown(shutdown_how::both), std::errc::bad_file_descriptor);
  EXPECT_FALSE(none.local_endpoint());
  auto unconnected = socket::open(AF_INET, SOCK_STREAM);
  ASSERT_TRUE(unconnected);
  auto p = unconnected->peer_endpoint();
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error(), std::errc::not_connected);
  EXPECT_FALSE(socket::open(12345, SOCK_STREAM));
}

}  // namespace
}  // namespace sockit
