// Windows only, over 127.0.0.1 under Wine: what differs from Linux — Winsock's option forms, the
// select engine's count limit, the loop's self-connected wake-up socket, a reset's error code.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <io.h>

#include "poller/poller.hpp"
#include "sockit/event_loop.hpp"
#include "sockit/file_hash.hpp"
#include "sockit/io.hpp"
#include "sockit/options.hpp"
#include "sockit/tcp.hpp"
#include "test_support.hpp"

namespace sockit {
namespace {

using namespace std::chrono_literals;

TEST(windows_options, timeouts_are_whole_milliseconds_read_back) {
  auto [a, b] = test::tcp_pair();
  ASSERT_FALSE(set_recv_timeout(a, std::chrono::milliseconds(1500)));
  auto t = recv_timeout(a);
  ASSERT_TRUE(t) << describe("SO_RCVTIMEO", t.error());
  EXPECT_EQ(*t, std::chrono::milliseconds(1500));
  // Under a millisecond rounds up: 0 would mean "no timeout" to Winsock.
  ASSERT_FALSE(set_send_timeout(a, std::chrono::microseconds(10)));
  EXPECT_EQ(*send_timeout(a), std::chrono::milliseconds(1));
}

TEST(windows_options, nodelay_buffers_linger_read_back) {
  auto [a, b] = test::tcp_pair();
  ASSERT_FALSE(set_tcp_nodelay(a, true));
  EXPECT_TRUE(*tcp_nodelay(a));
  ASSERT_FALSE(set_recv_buffer_size(a, 65536));
  EXPECT_GE(*recv_buffer_size(a), 65536);
  ASSERT_FALSE(set_linger(a, seconds(3)));
  EXPECT_EQ(*linger(a), std::optional<seconds>(seconds(3)));
}

TEST(windows_options, keepalive_sets_through_sio_keepalive_vals) {
  auto [a, b] = test::tcp_pair();
  keepalive_config k;
  k.enabled = true;
  k.idle = seconds(30);
  k.interval = seconds(5);
  k.count = 4;
  auto ec = set_keepalive(a, k);
  // Wine's Winsock takes SIO_KEEPALIVE_VALS; TCP_KEEPCNT is Windows 10's and may be missing.
  if (ec) EXPECT_EQ(ec, std::errc::no_protocol_option) << describe("keepalive", ec);
  auto k2 = keepalive(a);
  if (k2) EXPECT_TRUE(k2->enabled);
}

TEST(windows_options, what_windows_lacks_is_not_supported_never_ignored) {
  auto [a, b] = test::tcp_pair();
  EXPECT_EQ(set_tcp_cork(a, true), std::errc::not_supported);
  EXPECT_EQ(set_reuse_port(a, true), std::errc::not_supported);
  EXPECT_EQ(set_bind_device(a, "lo"), std::errc::not_supported);
  EXPECT_EQ(set_dont_fragment(a, true), std::errc::not_supported);
  EXPECT_EQ(set_tcp_user_timeout(a, std::chrono::milliseconds(100)), std::errc::not_supported);
  EXPECT_EQ(nonblocking(a).error(), std::errc::not_supported);
  EXPECT_EQ(describe("TCP_CORK", make_error_code(errc::not_supported)), "TCP_CORK: not supported on this platform");
}

TEST(windows_tcp, a_reset_reads_as_connection_reset) {
  auto [a, b] = test::tcp_pair();
  ASSERT_FALSE(set_linger(a, seconds(0)));
  ASSERT_FALSE(a.close());  // RST
  std::byte buf[16];
  auto n = recv_some(b, buf, deadline::after(test::quick));
  ASSERT_FALSE(n);
  EXPECT_EQ(n.error(), std::errc::connection_reset) << describe("recv", n.error());
}

TEST(windows_select, the_limit_is_a_count_of_sockets) {
  auto made = detail::make_poller(engine::select);
  ASSERT_TRUE(made);
  auto& p = **made;
  std::vector<socket> socks;
  std::error_code refused;
  for (int i = 0; i < 1100 && !refused; ++i) {
    auto s = socket::open(AF_INET, SOCK_DGRAM);
    ASSERT_TRUE(s) << describe("socket", s.error());
    refused = p.add(s->native_handle(), io_readable, 1);
    socks.push_back(std::move(*s));
  }
  EXPECT_EQ(refused, make_error_code(errc::fd_out_of_range));
  EXPECT_EQ(socks.size(), 1025u);  // 1024 taken, the 1025th refused
}

TEST(windows_event_loop, post_from_another_thread_wakes_the_loop) {
  for (auto e : {engine::iocp, engine::wsapoll, engine::select}) {
    auto loop = event_loop::create(e);
    ASSERT_TRUE(loop) << describe("event_loop", loop.error());
    std::atomic<int> ran{0};
    std::jthread runner([&] { (void)(*loop)->run(); });
    std::this_thread::sleep_for(50ms);  // asleep in the engine's wait, with no timer pending
    auto start = std::chrono::steady_clock::now();
    (*loop)->post([&] { ++ran; });
    while (ran.load() == 0 && std::chrono::steady_clock::now() - start < test::quick) std::this_thread::sleep_for(1ms);
    EXPECT_EQ(ran.load(), 1) << engine_name(e);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 2s) << engine_name(e);
    (*loop)->stop();
  }
}

TEST(windows_engines, the_table_names_iocp_wsapoll_and_select) {
  auto engines = available_engines();
  ASSERT_EQ(engines.size(), 3u);
  EXPECT_EQ(engines[0].name, "iocp");  // what --engine auto picks
  EXPECT_EQ(engines[1].name, "wsapoll");
  EXPECT_EQ(engines[2].name, "select");
  EXPECT_EQ(engines[2].max_fds, 1024u);
  EXPECT_FALSE(parse_engine("epoll"));
  // cmake/engines.cmake's SOCKIT_WINDOWS_ENGINES, which the per-engine test runs come from.
  std::string names;
  for (const auto& info : engines) names += (names.empty() ? "" : " ") + std::string(info.name);
  EXPECT_EQ(names, SOCKIT_CMAKE_WINDOWS_ENGINES) << "cmake/engines.cmake and src/poller/engine_table.cpp disagree";
}

// The iocp engine's own cases: a poll outstanding when its registration changes or goes.
TEST(windows_iocp, a_removed_registrations_cancelled_poll_never_reaches_the_next_one) {
  auto made = detail::make_poller(engine::iocp);
  ASSERT_TRUE(made) << describe("iocp", made.error());
  auto& p = **made;
  std::vector<detail::ready_event> out;
  for (int round = 0; round < 20; ++round) {
    auto [a, a_peer] = test::tcp_pair();
    ASSERT_FALSE(p.add(a.native_handle(), io_readable, 100 + round));
    ASSERT_FALSE(p.wait(out, 0));  // its poll is now outstanding, with nothing to report
    EXPECT_TRUE(out.empty());
    ASSERT_FALSE(p.remove(a.native_handle()));
    (void)a.close();  // Windows reuses the handle value soon: the next socket may get it
    auto [b, b_peer] = test::tcp_pair();
    ASSERT_FALSE(p.add(b.native_handle(), io_readable, 200 + round));
    ASSERT_EQ(test::raw_send(b_peer.native_handle(), "x", 1), 1);
    std::vector<detail::ready_event> got;
    auto end = std::chrono::steady_clock::now() + test::quick;
    while (got.empty() && std::chrono::steady_clock::now() < end) {
      ASSERT_FALSE(p.wait(out, 50));
      got.insert(got.end(), out.begin(), out.end());
    }
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].fd, b.native_handle());
    EXPECT_EQ(got[0].generation, 200u + round);
    EXPECT_TRUE(got[0].events & io_readable);
    ASSERT_FALSE(p.remove(b.native_handle()));
  }
}

TEST(windows_iocp, a_wider_interest_is_polled_at_once_not_after_the_old_poll_fires) {
  auto made = detail::make_poller(engine::iocp);
  ASSERT_TRUE(made) << describe("iocp", made.error());
  auto& p = **made;
  auto [a, peer] = test::tcp_pair();
  std::vector<detail::ready_event> out;
  ASSERT_FALSE(p.add(a.native_handle(), io_readable, 5));
  ASSERT_FALSE(p.wait(out, 0));  // a read poll outstanding; nothing to read
  ASSERT_TRUE(out.empty());
  ASSERT_FALSE(p.modify(a.native_handle(), io_readable | io_writable));
  auto start = std::chrono::steady_clock::now();
  ASSERT_FALSE(p.wait(out, 2000));  // one wait: the cancellation alone must not end it empty
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].generation, 5u);
  EXPECT_EQ(out[0].events, io_writable);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
  ASSERT_FALSE(p.remove(a.native_handle()));
}

TEST(windows_engines, iocp_parses_and_runs_here) {
  auto e = parse_engine("iocp");
  ASSERT_TRUE(e);
  EXPECT_EQ(*e, engine::iocp);
  EXPECT_EQ(engine_name(engine::iocp), "iocp");
  EXPECT_FALSE(engine_status(engine::iocp)) << engine_status(engine::iocp).message();
  auto p = detail::make_poller(engine::automatic);
  ASSERT_TRUE(p) << describe("make_poller", p.error());
  EXPECT_EQ((*p)->name(), "iocp");
}

// ReadFile at an offset past the end fails with ERROR_HANDLE_EOF; callers (recv's resume, the
// sender's hash) take a file shorter than the range as end_of_stream, as on Linux.
TEST(windows_files, hashing_past_the_end_says_end_of_stream) {
  const std::string path = "sockit_hash_range_test.bin";
  std::FILE* f = std::fopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  std::string data(100000, 'x');
  ASSERT_EQ(std::fwrite(data.data(), 1, data.size(), f), data.size());
  std::fclose(f);
  int fd = ::_open(path.c_str(), _O_RDONLY | _O_BINARY);
  ASSERT_GE(fd, 0);
  xxh3_128 whole;
  EXPECT_FALSE(hash_file_range(fd, 0, data.size(), whole));
  xxh3_128 expected;
  expected.update(std::as_bytes(std::span<const char>(data)));
  EXPECT_EQ(whole.digest(), expected.digest());
  xxh3_128 past;
  EXPECT_EQ(hash_file_range(fd, 0, data.size() + 1, past), errc::end_of_stream);
  xxh3_128 beyond;
  EXPECT_EQ(hash_mapped_range(fd, data.size() + 10, 5, beyond), errc::end_of_stream);
  ::_close(fd);
  std::remove(path.c_str());
}

}  // namespace
}  // namespace sockit
