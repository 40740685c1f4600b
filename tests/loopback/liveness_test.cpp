// peer_closed() and pending_error() on real connections: alive, closed with and without unread
// data, reset; SO_ERROR after a refused non-blocking connect.
#include "sockit/liveness.hpp"

#include <gtest/gtest.h>

#include <poll.h>

#include "sockit/io.hpp"
#include "sockit/options.hpp"
#include "test_support.hpp"

namespace sockit {
namespace {

using namespace std::chrono_literals;
using test::quick;

// Waits (bounded) until the kernel has processed the peer's FIN/RST on s.
void wait_for_hangup(const socket& s) {
  pollfd p{s.native_handle(), POLLRDHUP, 0};
  ASSERT_EQ(::poll(&p, 1, 10000), 1) << "peer close never arrived";
}

// Sets client to one end of a connection whose other end has just reset it (SO_LINGER 0, then
// close); returns once the kernel has processed the RST on client.
void reset_by_server(socket& client) {
  auto [c, server] = test::tcp_pair();
  client = std::move(c);
  ASSERT_FALSE(set_linger(server, seconds(0)));
  ASSERT_FALSE(server.close());
  wait_for_hangup(client);
}

TEST(liveness, open_connection_is_not_closed) {
  auto [client, server] = test::tcp_pair();
  auto r = peer_closed(client);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_FALSE(*r);
  EXPECT_FALSE(pending_error(client));
}

TEST(liveness, orderly_close_is_detected) {
  auto [client, server] = test::tcp_pair();
  ASSERT_FALSE(server.close());
  wait_for_hangup(client);
  auto r = peer_closed(client);
  ASSERT_TRUE(r);
  EXPECT_TRUE(*r);
  EXPECT_FALSE(pending_error(client)) << "a FIN is not an error";
}

TEST(liveness, unread_data_means_not_closed_and_stays_put) {
  auto [client, server] = test::tcp_pair();
  ASSERT_TRUE(send_all(server, "pending", deadline::after(quick)).ok());
  ASSERT_FALSE(server.shutdown(shutdown_how::write));
  wait_for_hangup(client);
  for (int i = 0; i < 3; ++i) {
    auto r = peer_closed(client);
    ASSERT_TRUE(r);
    EXPECT_FALSE(*r) << "unread data must read as 'not closed' (call " << i << ")";
  }
  std::byte buf[7];
  auto t = recv_exact(client, buf, deadline::after(quick));
  ASSERT_TRUE(t.ok()) << "peer_closed consumed data: " << t.ec.message();
  EXPECT_EQ(std::string(reinterpret_cast<char*>(buf), 7), "pending");
  auto after = peer_closed(client);
  ASSERT_TRUE(after);
  EXPECT_TRUE(*after) << "once the data is read, the FIN shows";
}

TEST(liveness, reset_is_closed_and_leaves_a_pending_error) {
  socket client;
  ASSERT_NO_FATAL_FAILURE(reset_by_server(client));
  auto ec = pending_error(client);
  EXPECT_EQ(ec, std::errc::connection_reset) << ec.message();
  EXPECT_FALSE(pending_error(client)) << "SO_ERROR is cleared by reading it";
  auto r = peer_closed(client);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_TRUE(*r);
}

TEST(liveness, reset_seen_by_peer_closed_first) {
  socket client;
  ASSERT_NO_FATAL_FAILURE(reset_by_server(client));
  auto r = peer_closed(client);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_TRUE(*r);
}

TEST(liveness, pending_error_after_refused_nonblocking_connect) {
  auto s = socket::open(AF_INET, SOCK_STREAM | SOCK_NONBLOCK);
  ASSERT_TRUE(s);
  auto to = endpoint::loopback_v4(test::closed_tcp_port());
  int rc = ::connect(s->native_handle(), to.data(), to.size());
  if (rc != 0) {
    ASSERT_TRUE(errno == EINPROGRESS || errno == ECONNREFUSED) << errno;
    if (errno == EINPROGRESS) {
      ASSERT_FALSE(wait_writable(s->native_handle(), deadline::after(quick)));
      EXPECT_EQ(pending_error(*s), std::errc::connection_refused);
    }
  }
  EXPECT_FALSE(pending_error(*s));
}

TEST(liveness, bad_descriptor) {
  socket none;
  auto r = peer_closed(none);
  EXPECT_FALSE(r && !*r) << "a closed descriptor must not read as alive";
  EXPECT_EQ(pending_error(none), std::errc::bad_file_descriptor);
}

}  // namespace
}  // namespace sockit
