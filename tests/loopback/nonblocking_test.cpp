// The non-blocking layer on real sockets: try_send/try_recv, try_send_to/try_recv_from,
// try_read/write_all, connect_start/connect_finish, bind before connect, UDP connect of an
// existing socket, and wait_any (timeout, readiness kinds, signal mask).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <string>

#include <fcntl.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sockit/buffer.hpp"
#include "sockit/error.hpp"
#include "sockit/io.hpp"
#include "sockit/options.hpp"
#include "sockit/tcp.hpp"
#include "sockit/udp.hpp"
#include "sockit/wait.hpp"
#include "test_support.hpp"

namespace sockit {
namespace {

using namespace std::chrono_literals;
using test::quick;

std::string text(std::span<const std::byte> b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

struct pipe_pair {
  int r = -1, w = -1;
  pipe_pair() {
    int p[2];
    EXPECT_EQ(::pipe2(p, O_CLOEXEC), 0);
    r = p[0];
    w = p[1];
  }
  ~pipe_pair() {
    if (r >= 0) ::close(r);
    if (w >= 0) ::close(w);
  }
  void close_w() {
    ::close(w);
    w = -1;
  }
};

TEST(nonblocking, would_block_is_its_own_value_and_still_eagain) {
  auto ec = make_error_code(errc::would_block);
  EXPECT_EQ(ec, errc::would_block);
  EXPECT_EQ(ec, std::errc::resource_unavailable_try_again);
  EXPECT_EQ(ec, std::errc::operation_would_block);
  EXPECT_NE(ec, errc::end_of_stream);
  EXPECT_EQ(ec.message(), "operation would block");
}

TEST(nonblocking, try_recv_would_block_then_data_then_end_of_stream) {
  auto [client, server] = test::tcp_pair();
  ASSERT_TRUE(client && server);
  std::byte buf[64];
  // A blocking socket: try_recv still never waits.
  auto none = try_recv(server, buf);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error(), errc::would_block);
  ASSERT_TRUE(send_all(client, "hello", deadline::after(quick)));
  ASSERT_FALSE(wait_readable(server.native_handle(), deadline::after(quick)));
  auto got = try_recv(server, buf);
  ASSERT_TRUE(got) << got.error().message();
  EXPECT_EQ(text(std::span(buf, *got)), "hello");
  ASSERT_FALSE(client.close());
  ASSERT_FALSE(wait_readable(server.native_handle(), deadline::after(quick)));
  auto eof = try_recv(server, buf);
  ASSERT_FALSE(eof);
  EXPECT_EQ(eof.error(), errc::end_of_stream);
}

TEST(nonblocking, try_send_fills_the_buffer_then_would_block) {
  auto [client, server] = test::tcp_pair();
  ASSERT_TRUE(client && server);
  ASSERT_FALSE(set_send_buffer_size(client, 4096));
  ASSERT_FALSE(set_recv_buffer_size(server, 4096));
  std::vector<std::byte> chunk(64 * 1024);
  std::size_t total = 0;
  std::error_code last;
  for (int i = 0; i < 10000; ++i) {  // the peer never reads: the buffers fill within a few MB
    auto n = try_send(client, chunk);
    if (!n) {
      last = n.error();
      break;
    }
    total += *n;
  }
  EXPECT_EQ(last, errc::would_block) << last.message();
  EXPECT_GT(total, 0u);
}

TEST(nonblocking, try_send_to_would_block_on_a_full_datagram_peer) {
  // UDP on loopback drops rather than blocks; a unix datagram pair blocks (EAGAIN) for sure.
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv), 0);
  socket a(sv[0]), b(sv[1]);
  std::byte one[256] = {};
  std::error_code last;
  for (int i = 0; i < 100000; ++i) {
    auto n = try_send_to(a, one, endpoint{});
    if (!n) {
      last = n.error();
      break;
    }
  }
  EXPECT_EQ(last, errc::would_block) << last.message();
}

TEST(nonblocking, try_send_to_and_try_recv_from_on_udp) {
  auto a = udp_bind(endpoint::loopback_v4(0));
  auto b = udp_bind(endpoint::loopback_v4(0));
  ASSERT_TRUE(a && b);
  auto b_at = *b->local_endpoint();
  std::byte buf[64];
  auto none = try_recv_from(*b, buf);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error(), errc::would_block);

  auto sent = try_send_to(*a, as_bytes("ping"), b_at);
  ASSERT_TRUE(sent) << sent.error().message();
  EXPECT_EQ(*sent, 4u);
  ASSERT_TRUE(try_send_to(*a, {}, b_at));  // an empty datagram
  ASSERT_FALSE(wait_readable(b->native_handle(), deadline::after(quick)));
  auto d = try_recv_from(*b, buf);
  ASSERT_TRUE(d) << d.error().message();
  EXPECT_EQ(text(std::span(buf, d->size)), "ping");
  EXPECT_EQ(d->from, *a->local_endpoint());
  ASSERT_FALSE(wait_readable(b->native_handle(), deadline::after(quick)));
  auto empty = try_recv_from(*b, buf);
  ASSERT_TRUE(empty) << "an empty datagram is not an end of stream: " << empty.error().message();
  EXPECT_EQ(empty->size, 0u);
}

TEST(nonblocking, udp_connect_an_existing_socket) {
  auto peer = udp_bind(endpoint::loopback_v4(0));
  ASSERT_TRUE(peer);
  auto s = udp_open(AF_INET);
  ASSERT_TRUE(s);
  ASSERT_FALSE(udp_connect(*s, *peer->local_endpoint()));
  EXPECT_EQ(*s->peer_endpoint(), *peer->local_endpoint());
  ASSERT_TRUE(try_send_to(*s, as_bytes("hi"), endpoint{}));  // no address: the connected peer
  std::byte buf[16];
  auto d = recv_from(*peer, buf, deadline::after(quick));
  ASSERT_TRUE(d) << d.error().message();
  EXPECT_EQ(text(std::span(buf, d->size)), "hi");
  EXPECT_EQ(d->from, *s->local_endpoint());
}

TEST(nonblocking, buffer_read_from_reports_end_of_stream) {
  auto [client, server] = test::tcp_pair();
  ASSERT_TRUE(client && server);
  ASSERT_FALSE(set_nonblocking(server, true));
  buffer b;
  auto none = b.read_from(server.native_handle());
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error(), errc::would_block);
  ASSERT_TRUE(send_all(client, "abc", deadline::after(quick)));
  ASSERT_FALSE(client.close());
  ASSERT_FALSE(wait_readable(server.native_handle(), deadline::after(quick)));
  auto n = b.read_from(server.native_handle());
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 3u);
  auto eof = b.read_from(server.native_handle());
  ASSERT_FALSE(eof);
  EXPECT_EQ(eof.error(), errc::end_of_stream);
  EXPECT_EQ(b.view(), "abc");
}

TEST(nonblocking, try_read_and_write_all_on_a_pipe) {
  pipe_pair p;
  ASSERT_EQ(::fcntl(p.r, F_SETFL, O_NONBLOCK), 0);
  std::byte buf[16];
  auto none = try_read(p.r, buf);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error(), errc::would_block);
  auto t = write_all(p.w, as_bytes("hello"));
  ASSERT_TRUE(t) << t.ec.message();
  EXPECT_EQ(t.bytes, 5u);
  auto n = try_read(p.r, buf);
  ASSERT_TRUE(n);
  EXPECT_EQ(text(std::span(buf, *n)), "hello");
  p.close_w();
  auto eof = try_read(p.r, buf);
  ASSERT_FALSE(eof);
  EXPECT_EQ(eof.error(), errc::end_of_stream);
  auto bad = write_all(-1, as_bytes("x"));
  EXPECT_EQ(bad.ec, std::errc::bad_file_descriptor);
  EXPECT_EQ(bad.bytes, 0u);
}

TEST(nonblocking, connect_start_in_progress_then_connected) {
  auto l = test::listen_loopback();
  auto s = socket::open(AF_INET, SOCK_STREAM | SOCK_NONBLOCK);
  ASSERT_TRUE(s);
  auto started = connect_start(*s, l.at);
  // Linux never completes a non-blocking TCP connect inside the call, loopback included.
  EXPECT_EQ(started, std::errc::operation_in_progress) << started.message();
  ASSERT_FALSE(wait_writable(s->native_handle(), deadline::after(quick)));
  EXPECT_FALSE(connect_finish(*s));
  EXPECT_EQ(*s->peer_endpoint(), l.at);
}

TEST(nonblocking, connect_start_on_a_blocking_socket_connects_at_once) {
  auto l = test::listen_loopback();
  auto s = socket::open(AF_INET, SOCK_STREAM);
  ASSERT_TRUE(s);
  EXPECT_FALSE(connect_start(*s, l.at));
  EXPECT_FALSE(connect_finish(*s));
}

TEST(nonblocking, connect_start_refused) {
  auto port = test::closed_tcp_port();
  auto s = socket::open(AF_INET, SOCK_STREAM | SOCK_NONBLOCK);
  ASSERT_TRUE(s);
  auto ec = connect_start(*s, endpoint::loopback_v4(port));
  if (ec == std::errc::operation_in_progress) {
    ASSERT_FALSE(wait_writable(s->native_handle(), deadline::after(quick)));
    ec = connect_finish(*s);
  }
  EXPECT_EQ(ec, std::errc::connection_refused) << ec.message();
}

TEST(nonblocking, bind_with_no_port_leaves_the_port_to_connect) {
  auto l = test::listen_loopback();
  auto s = socket::open(AF_INET, SOCK_STREAM);
  ASSERT_TRUE(s);
  ASSERT_FALSE(set_bind_address_no_port(*s, true));
  ASSERT_FALSE(bind(*s, endpoint::loopback_v4(0)));
  auto before = s->local_endpoint();
  ASSERT_TRUE(before);
  EXPECT_EQ(before->port(), 0) << "IP_BIND_ADDRESS_NO_PORT: no port before connect";
  ASSERT_FALSE(connect_start(*s, l.at));
  auto after = s->local_endpoint();
  ASSERT_TRUE(after);
  EXPECT_NE(after->port(), 0);
  EXPECT_EQ(after->address(), "127.0.0.1");
}

TEST(nonblocking, bind_reports_errors) {
  auto a = udp_bind(endpoint::loopback_v4(0));
  ASSERT_TRUE(a);
  auto s = udp_open(AF_INET);
  ASSERT_TRUE(s);
  EXPECT_EQ(bind(*s, *a->local_endpoint()), std::errc::address_in_use);
}

TEST(wait_any, times_out_with_nothing_ready) {
  pipe_pair p;
  wait_entry e{p.r, wait_entry::readable, 0};
  auto start = clock::now();
  auto n = wait_any({&e, 1}, deadline::after(50ms));
  ASSERT_TRUE(n) << n.error().message();
  EXPECT_EQ(*n, 0u);
  EXPECT_EQ(e.ready, 0u);
  EXPECT_GE(clock::now() - start, 45ms);
}

TEST(wait_any, reports_each_kind_of_readiness) {
  pipe_pair p, q;
  ASSERT_EQ(::write(p.w, "x", 1), 1);
  q.close_w();
  int closed_fd = ::dup(p.r);
  ASSERT_GE(closed_fd, 0);
  ::close(closed_fd);
  wait_entry e[5] = {{p.r, wait_entry::readable, 0},
                     {p.w, wait_entry::writable, 0},
                     {q.r, wait_entry::readable, 0},
                     {-1, wait_entry::readable, 0},
                     {closed_fd, wait_entry::readable, 0}};
  auto n = wait_any(e, deadline::after(quick));
  ASSERT_TRUE(n) << n.error().message();
  EXPECT_EQ(*n, 4u);
  EXPECT_EQ(e[0].ready, wait_entry::readable);
  EXPECT_EQ(e[1].ready, wait_entry::writable);
  EXPECT_TRUE(e[2].ready & wait_entry::hangup) << e[2].ready;
  EXPECT_EQ(e[3].ready, 0u) << "a negative fd is skipped";
  EXPECT_EQ(e[4].ready, wait_entry::invalid);
}

TEST(wait_any, many_entries) {
  std::vector<pipe_pair> pipes(20);
  std::vector<wait_entry> e;
  for (auto& p : pipes) e.push_back({p.r, wait_entry::readable, 0});
  ASSERT_EQ(::write(pipes[17].w, "x", 1), 1);
  auto n = wait_any(e, deadline::after(quick));
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 1u);
  EXPECT_EQ(e[17].ready, wait_entry::readable);
  EXPECT_EQ(e[3].ready, 0u);
}

std::atomic<int> usr1_seen{0};
extern "C" void on_usr1(int) { usr1_seen.fetch_add(1); }

TEST(wait_any, with_a_mask_a_signal_ends_the_wait) {
  struct sigaction sa {}, old_sa {};
  sa.sa_handler = on_usr1;
  ::sigemptyset(&sa.sa_mask);
  ASSERT_EQ(::sigaction(SIGUSR1, &sa, &old_sa), 0);
  sigset_t block, old_mask;
  ::sigemptyset(&block);
  ::sigaddset(&block, SIGUSR1);
  ASSERT_EQ(::pthread_sigmask(SIG_BLOCK, &block, &old_mask), 0);
  // Pending while blocked: it can only land inside the wait, whose mask lets it through.
  ASSERT_EQ(::pthread_kill(::pthread_self(), SIGUSR1), 0);
  EXPECT_EQ(usr1_seen.load(), 0);
  sigset_t during = old_mask;
  ::sigdelset(&during, SIGUSR1);
  pipe_pair p;
  wait_entry e{p.r, wait_entry::readable, 0};
  auto start = clock::now();
  auto n = wait_any({&e, 1}, deadline::after(quick), &during);
  auto waited = clock::now() - start;
  ::pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
  ::sigaction(SIGUSR1, &old_sa, nullptr);
  ASSERT_FALSE(n);
  EXPECT_EQ(n.error(), std::errc::interrupted);
  EXPECT_EQ(usr1_seen.load(), 1);
  EXPECT_LT(waited, 5s);
}

}  // namespace
}  // namespace sockit
