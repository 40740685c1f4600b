// The event-loop side of Unix stream sockets: tcp_acceptor::adopt takes a unix_listen socket and
// tcp_connection echoes over it, half-close and the drain's kernel_unsent (SIOCOUTQ) included: the
// path sockit echo, proto serve and relay take on unix: addresses. Runs once per engine.
#include <gtest/gtest.h>

#include <array>
#include <memory>
#include <string>
#include <vector>

#include <unistd.h>

#include "sockit/io.hpp"
#include "sockit/tcp_acceptor.hpp"
#include "sockit/tcp_connection.hpp"
#include "sockit/unix.hpp"
#include "test_support.hpp"

namespace sockit {
namespace {

using test::quick;

TEST(tcp_acceptor, adopts_a_unix_listener_and_echoes) {
  auto loop = test::make_loop();
  auto at = *unix_address::abstract("sockit-test-acceptor-" + std::to_string(::getpid()));
  auto l = unix_listen(at);
  ASSERT_TRUE(l) << l.error().message();
  std::vector<std::shared_ptr<tcp_connection>> conns;
  bool peer_was_empty = false;
  auto acc = tcp_acceptor::adopt(*loop, std::move(*l), [&](socket s, const endpoint& peer) {
    peer_was_empty = peer.empty();
    auto c = tcp_connection::create(*loop, std::move(s), peer);
    c->on_data([](tcp_connection& self, buffer& in) {
      self.send(in.view());
      in.consume(in.view().size());
    });
    ASSERT_FALSE(c->start());
    conns.push_back(std::move(c));
  });
  ASSERT_TRUE(acc) << acc.error().message();
  EXPECT_TRUE((*acc)->local_endpoint().empty());

  auto client = unix_connect(at, {.by = deadline::after(quick)});
  ASSERT_TRUE(client) << client.error().message();
  ASSERT_TRUE(send_all(*client, as_bytes("over unix"), deadline::after(quick)));
  ASSERT_FALSE(client->shutdown(shutdown_how::write));  // half-close: the echo follows with its FIN
  std::string got;
  std::array<std::byte, 64> buf{};
  ASSERT_TRUE(test::run_until(*loop, [&] {
    auto n = try_recv(*client, buf);
    if (n) got.append(reinterpret_cast<const char*>(buf.data()), *n);
    return !n && n.error() == errc::end_of_stream;
  }));
  EXPECT_EQ(got, "over unix");
  EXPECT_TRUE(peer_was_empty);
  ASSERT_EQ(conns.size(), 1u);
  EXPECT_EQ(conns[0]->kernel_unsent(), 0u);  // SIOCOUTQ answers on a Unix socket: all read
  EXPECT_EQ((*acc)->accepted(), 1u);
}

}  // namespace
}  // namespace sockit
