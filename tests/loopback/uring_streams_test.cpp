// Linux, over 127.0.0.1: sockit::uring_streams (the load generator's io_uring path) against the
// io_uring echo server — chained sends arrive whole and in order, large ones through a full
// socket too; a peer's close and a reset are reported once; misuse is refused.
#ifdef __linux__
#include "sockit/uring_streams.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <optional>
#include <thread>

#include "sockit/error.hpp"
#include "sockit/options.hpp"
#include "sockit/tcp.hpp"
#include "sockit/uring_stream_server.hpp"
#include "test_support.hpp"

namespace sockit {
namespace {

using namespace std::chrono_literals;

struct echo_thread {
  endpoint at;
  std::optional<uring_stream_server> server;
  std::thread thread;
  echo_thread() {
    auto l = test::listen_loopback(false, {.nonblocking = true});
    at = l.at;
    auto s = uring_stream_server::open(std::move(l.sock));
    EXPECT_TRUE(s) << describe("open", s.error());
    if (!s) return;
    server.emplace(std::move(*s));
    thread = std::thread([this] { (void)server->run(1s); });
  }
  ~echo_thread() {
    if (!server) return;
    server->stop();
    thread.join();
  }
};

// Records what wait() reports.
struct recorder : uring_streams::events {
  std::vector<std::vector<std::byte>> got;
  std::vector<std::size_t> sent;
  std::vector<std::size_t> sends;
  std::vector<std::error_code> closed;
  std::vector<int> closes;
  explicit recorder(std::size_t n) : got(n), sent(n), sends(n), closed(n), closes(n) {}
  void on_data(std::size_t i, std::span<const std::byte> b) override { got[i].insert(got[i].end(), b.begin(), b.end()); }
  void on_sent(std::size_t i, std::size_t n) override {
    sent[i] += n;
    ++sends[i];
  }
  void on_closed(std::size_t i, std::error_code ec) override {
    closed[i] = ec;
    ++closes[i];
  }
};

std::vector<socket> connect_n(const endpoint& at, std::size_t n) {
  std::vector<socket> v;
  for (std::size_t i = 0; i < n; ++i) {
    auto s = tcp_connect(at, deadline::after(test::quick), true);
    EXPECT_TRUE(s) << describe("connect", s.error());
    if (s) v.push_back(std::move(*s));
  }
  return v;
}

template <class Done>
void wait_until(uring_streams& u, recorder& r, Done done) {
  auto end = std::chrono::steady_clock::now() + test::quick;
  while (!done() && std::chrono::steady_clock::now() < end) ASSERT_FALSE(u.wait(r, 20ms));
}

TEST(uring_streams, chained_sends_come_back_whole_and_in_order) {
  NEED_URING_COMPLETIONS();
  echo_thread srv;
  constexpr std::size_t n = 3;
  // Small send buffers: a 64 KiB piece goes out in parts, each waiting for room, which is where
  // a later piece could overtake one left half-sent without the link.
  auto streams = connect_n(srv.at, n);
  for (auto& s : streams) ASSERT_FALSE(set_send_buffer_size(s, 4096));
  auto u = uring_streams::open(std::move(streams), {.buffer_bytes = 2048, .buffers = 8});
  ASSERT_TRUE(u) << describe("open", u.error());
  ASSERT_EQ(u->size(), n);
  recorder r(n);
  // Per stream: 64 pieces of 64 KiB (4 MiB, far more than the socket buffers hold, so the chain
  // waits on a full socket mid-way), every piece different.
  auto data = test::random_bytes(64 * 65536, 5);
  std::vector<std::span<const std::byte>> pieces;
  for (std::size_t k = 0; k < uring_streams::max_chain; ++k) pieces.emplace_back(data.data() + k * 65536, 65536);
  for (std::size_t i = 0; i < n; ++i) ASSERT_FALSE(u->send(i, pieces));
  EXPECT_EQ(u->send(0, pieces), std::errc::device_or_resource_busy);
  wait_until(*u, r, [&] {
    for (std::size_t i = 0; i < n; ++i)
      if (r.got[i].size() < data.size()) return false;
    return true;
  });
  for (std::size_t i = 0; i < n; ++i) {
    EXPECT_EQ(r.sends[i], uring_streams::max_chain) << i;
    EXPECT_EQ(r.sent[i], data.size()) << i;
    ASSERT_EQ(r.got[i].size(), data.size()) << i;
    EXPECT_EQ(std::memcmp(r.got[i].data(), data.data(), data.size()), 0) << "stream " << i << " reordered or corrupted";
    EXPECT_EQ(r.closes[i], 0);
  }
  // The chain is over: the next one is taken.
  EXPECT_FALSE(u->send(1, std::span(pieces).first(1)));
  wait_until(*u, r, [&] { return r.got[1].size() == data.size() + 65536; });
  EXPECT_EQ(r.got[1].size(), data.size() + 65536);
}

TEST(uring_streams, a_peer_that_closes_or_resets_is_reported_once) {
  NEED_URING_COMPLETIONS();
  auto l = test::listen_loopback();
  auto streams = connect_n(l.at, 2);
  auto a = tcp_accept(l.sock);
  auto b = tcp_accept(l.sock);
  ASSERT_TRUE(a && b);
  auto u = uring_streams::open(std::move(streams));
  ASSERT_TRUE(u) << describe("open", u.error());
  recorder r(2);
  ASSERT_FALSE(a->close());  // a clean close
  ASSERT_FALSE(set_linger(*b, seconds(0)));
  ASSERT_FALSE(b->close());  // a reset
  wait_until(*u, r, [&] { return r.closes[0] == 1 && r.closes[1] == 1; });
  EXPECT_EQ(r.closed[0], errc::end_of_stream);
  EXPECT_EQ(r.closed[1], std::errc::connection_reset);
  std::byte x{1};
  std::span<const std::byte> one[] = {{&x, 1}};
  EXPECT_FALSE(u->send(0, one));  // ignored on a closed stream
  EXPECT_FALSE(u->wait(r, 50ms));
  EXPECT_EQ(r.closes[0], 1);
  EXPECT_EQ(r.closes[1], 1);
  EXPECT_EQ(r.sends[0], 0u);
}

TEST(uring_streams, misuse_is_refused) {
  NEED_URING_COMPLETIONS();
  auto l = test::listen_loopback();
  auto u = uring_streams::open(connect_n(l.at, 1));
  ASSERT_TRUE(u);
  std::byte x{1};
  std::vector<std::span<const std::byte>> too_many(uring_streams::max_chain + 1, {&x, 1});
  EXPECT_EQ(u->send(0, too_many), std::errc::invalid_argument);
  EXPECT_EQ(u->send(1, std::span(too_many).first(1)), std::errc::invalid_argument);
  std::vector<socket> none_open(1);
  EXPECT_EQ(uring_streams::open(std::move(none_open)).error(), std::errc::bad_file_descriptor);
  EXPECT_EQ(uring_streams::open(connect_n(l.at, 1), {.buffers = 3}).error(), std::errc::invalid_argument);
}

}  // namespace
}  // namespace sockit
#endif  // __linux__
