// The completion-based echo servers over 127.0.0.1 — Linux's on io_uring (sockit/uring_stream_server.hpp),
// Windows' on a completion port (sockit/iocp_echo.hpp, under Wine): the same interface, the same
// tests. Many clients byte-exact, a client that never reads, a client that resets, a stop while
// connections are busy, with the server's totals checked against what the clients saw.
#ifdef _WIN32
#include "sockit/iocp_echo.hpp"
#else
#include "sockit/uring_stream_server.hpp"
#endif

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <thread>
#include <vector>

#include "sockit/io.hpp"
#include "sockit/options.hpp"
#include "sockit/tcp.hpp"
#include "sockit/wait.hpp"
#include "test_support.hpp"

namespace sockit {
namespace {

using namespace std::chrono_literals;

constexpr std::size_t buffer_bytes = 16 * 1024;  // both servers' default
#ifdef _WIN32
using echo_server = iocp_echo_server;
using echo_stats = iocp_echo_stats;
using echo_options = iocp_echo_options;
// One buffer per connection, one operation at a time: the most it holds for a stuck peer.
constexpr std::size_t held_at_most = buffer_bytes;
#else
using echo_server = uring_stream_server;
using echo_stats = uring_stream_stats;
using echo_options = uring_stream_options;
// Its receive is cancelled past hold_bytes; a multishot receive may land more buffers before the
// cancel does: the kernel retries up to 32 receives per wake-up, and a cancel that finds the
// receive's work already queued lands after that round (67 buffers seen under ASan). Four rounds
// here: still an eighth of the 16 MiB pool, which a server without the cancel fills (20 MB held).
const std::size_t held_at_most = uring_stream_options{}.hold_bytes + 4 * 32 * buffer_bytes;
#endif

// A server running on its own thread; its totals are in `result` once joined.
struct running_server {
  endpoint at;
  std::unique_ptr<echo_server> server;
  std::thread thread;
  std::optional<sockit::result<echo_stats>> outcome;

  explicit running_server(std::chrono::milliseconds drain, const echo_options& opts = {}) {
    auto l = test::listen_loopback(false, {.nonblocking = true});
    at = l.at;
    auto s = echo_server::open(std::move(l.sock), opts);
    EXPECT_TRUE(s) << describe("echo_server::open", s.error());
    if (!s) return;
    server = std::make_unique<echo_server>(std::move(*s));
    thread = std::thread([this, drain] { outcome.emplace(server->run(drain)); });
  }
  // Stops, joins, and returns the totals (empty stats when run failed: the test has failed then).
  echo_stats stop() {
    if (!server) return {};
    server->stop();
    thread.join();
    EXPECT_TRUE(outcome && *outcome) << (outcome ? describe("run", outcome->error()) : "no outcome");
    return outcome && *outcome ? **outcome : echo_stats{};
  }
  ~running_server() {
    if (thread.joinable()) stop();
  }
};

// A non-blocking client that sends `data` and checks that what comes back is the same bytes.
struct client {
  socket sock;
  std::vector<std::byte> data;
  std::size_t sent = 0;
  std::size_t got = 0;
  bool mismatch = false;
  bool ended = false;  // EOF or an error on receive

  // One non-blocking round; true when it moved bytes.
  bool step(bool send_more = true, bool read = true) {
    bool moved = false;
    if (send_more && !ended && sent < data.size()) {
      auto n = try_send(sock, std::span(data).subspan(sent, std::min<std::size_t>(64 * 1024, data.size() - sent)));
      if (n) {
        sent += *n;
        moved = true;
      }
    }
    std::byte buf[64 * 1024];
    for (int i = 0; i < 4 && read && !ended; ++i) {
      auto n = try_recv(sock, buf);
      if (!n) {
        if (n.error() != errc::would_block) {
          ended = true;
          (void)sock.close();  // as a client does at the end: the server's drain waits for it
        }
        break;
      }
      if (got + *n > data.size() || std::memcmp(buf, data.data() + got, *n) != 0) mismatch = true;
      got += *n;
      moved = true;
    }
    return moved;
  }
};

client connect_client(const endpoint& at, std::size_t bytes, std::uint32_t seed) {
  client c;
  auto s = tcp_connect(at, deadline::after(test::quick), true);
  EXPECT_TRUE(s) << describe("connect", s.error());
  if (s) c.sock = std::move(*s);
  c.data = test::random_bytes(bytes, seed);
  return c;
}

// Steps every client until `done` says so or the bound passes; waits in wait_any between rounds.
template <class Done>
void drive(std::vector<client*> clients, Done done, std::chrono::steady_clock::duration bound = test::quick) {
  auto end = std::chrono::steady_clock::now() + bound;
  while (!done() && std::chrono::steady_clock::now() < end) {
    bool moved = false;
    for (auto* c : clients) moved |= c->step();
    if (moved) continue;
    std::vector<wait_entry> w;
    for (auto* c : clients) {
      if (c->ended) continue;
      w.push_back({c->sock.native_handle(), wait_entry::readable | (c->sent < c->data.size() ? wait_entry::writable : 0u), 0});
    }
    if (w.empty()) break;
    (void)wait_any(w, deadline::after(20ms));
  }
}

TEST(completion_echo, fifty_clients_get_their_bytes_back_exactly) {
  running_server srv(2s);
  constexpr std::size_t n = 50, size = 256 * 1024;
  std::vector<client> clients;
  for (std::size_t i = 0; i < n; ++i) clients.push_back(connect_client(srv.at, size, static_cast<std::uint32_t>(i + 1)));
  std::vector<client*> all;
  for (auto& c : clients) all.push_back(&c);
  drive(all, [&] { return std::all_of(clients.begin(), clients.end(), [](const client& c) { return c.got == c.data.size() || c.mismatch || c.ended; }); });
  for (std::size_t i = 0; i < n; ++i) {
    EXPECT_FALSE(clients[i].mismatch) << "client " << i;
    EXPECT_EQ(clients[i].got, size) << "client " << i;
  }
  clients.clear();  // the clients close; the server sees EOF on each
  auto st = srv.stop();
  EXPECT_EQ(st.accepted, n);
  EXPECT_EQ(st.closed, n);
  EXPECT_EQ(st.bytes_in, n * size);
  EXPECT_EQ(st.bytes_out, n * size);
}

TEST(completion_echo, a_client_that_never_reads_is_held_to_a_bound_and_others_are_served) {
  running_server srv(300ms);
  // Sends until the server stops taking its bytes: its echo cannot leave, so no receive is posted.
  auto stuck = connect_client(srv.at, 64 * 1024 * 1024, 7);
  auto start = std::chrono::steady_clock::now();
  auto last_progress = start;
  while (std::chrono::steady_clock::now() - last_progress < 300ms && std::chrono::steady_clock::now() - start < test::quick) {
    if (stuck.step(true, false)) {
      last_progress = std::chrono::steady_clock::now();
    } else {
      std::this_thread::sleep_for(5ms);
    }
  }
  EXPECT_LT(stuck.sent, stuck.data.size()) << "the server went on taking bytes it could not echo";
  // What the server holds for it: a bounded amount, whatever the peer sends.
  auto st = srv.server->stats();
  EXPECT_LE(st.bytes_in - st.bytes_out, held_at_most) << "in " << st.bytes_in << " out " << st.bytes_out;

  // Another client is served all the while.
  auto other = connect_client(srv.at, 256 * 1024, 8);
  drive({&other}, [&] { return other.got == other.data.size() || other.mismatch || other.ended; });
  EXPECT_FALSE(other.mismatch);
  EXPECT_EQ(other.got, other.data.size());
  st = srv.server->stats();
  EXPECT_LE(st.bytes_in - st.bytes_out, held_at_most + buffer_bytes);
  EXPECT_EQ(srv.server->open_connections(), 2u);

  // The stuck echo never leaves: the drain ends at its deadline and closes it anyway.
  auto t0 = std::chrono::steady_clock::now();
  st = srv.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s);
  EXPECT_EQ(st.accepted, 2u);
  EXPECT_EQ(st.closed, 2u);
}

TEST(completion_echo, a_client_that_resets_mid_stream_ends_only_its_connection) {
  running_server srv(2s);
  auto quitter = connect_client(srv.at, 1024 * 1024, 21);
  drive({&quitter}, [&] { return quitter.got >= 128 * 1024 || quitter.ended; });
  EXPECT_GE(quitter.got, 128u * 1024);
  ASSERT_FALSE(set_linger(quitter.sock, seconds(0)));
  ASSERT_FALSE(quitter.sock.close());  // RST, with bytes in flight both ways

  auto other = connect_client(srv.at, 256 * 1024, 22);
  drive({&other}, [&] { return other.got == other.data.size() || other.mismatch || other.ended; });
  EXPECT_FALSE(other.mismatch);
  EXPECT_EQ(other.got, other.data.size());
  // The reset connection is closed by the server on its own, without a stop.
  auto until = std::chrono::steady_clock::now() + test::quick;
  while (srv.server->open_connections() > 1 && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(5ms);
  EXPECT_EQ(srv.server->open_connections(), 1u);
  other = client{};
  auto st = srv.stop();
  EXPECT_EQ(st.accepted, 2u);
  EXPECT_EQ(st.closed, 2u);
  EXPECT_LE(st.bytes_out, st.bytes_in);
  EXPECT_GE(st.bytes_out, 128u * 1024 + 256 * 1024);
}

TEST(completion_echo, stop_drains_busy_connections_then_returns_the_totals) {
  running_server srv(3s);
  constexpr std::size_t n = 8;
  std::vector<client> clients;
  for (std::size_t i = 0; i < n; ++i) clients.push_back(connect_client(srv.at, 4 * 1024 * 1024, static_cast<std::uint32_t>(100 + i)));
  std::vector<client*> all;
  for (auto& c : clients) all.push_back(&c);
  // Busy: every client has had some echo back, none is finished.
  drive(all, [&] { return std::all_of(clients.begin(), clients.end(), [](const client& c) { return c.got >= 64 * 1024; }); });
  srv.server->stop();
  // The clients go on sending and reading until the server closes each one.
  drive(all, [&] { return std::all_of(clients.begin(), clients.end(), [](const client& c) { return c.ended; }); });
  srv.thread.join();
  ASSERT_TRUE(srv.outcome && *srv.outcome) << (srv.outcome ? describe("run", srv.outcome->error()) : "no outcome");
  auto st = **srv.outcome;
  EXPECT_EQ(st.accepted, n);
  EXPECT_EQ(st.closed, n);
  std::uint64_t received = 0;
  for (std::size_t i = 0; i < n; ++i) {
    EXPECT_TRUE(clients[i].ended) << "client " << i << " was not closed";
    EXPECT_FALSE(clients[i].mismatch) << "client " << i;
    EXPECT_LT(clients[i].got, clients[i].data.size()) << "client " << i << " finished before the stop";
    received += clients[i].got;
  }
  // Drained, not cut: every byte echoed reached its client, and nothing taken was left unechoed.
  EXPECT_EQ(received, st.bytes_out);
  EXPECT_EQ(st.bytes_in, st.bytes_out);
}

TEST(completion_echo, stop_before_run_returns_at_once_and_run_runs_once) {
  auto l = test::listen_loopback(false, {.nonblocking = true});
  auto s = echo_server::open(std::move(l.sock));
  ASSERT_TRUE(s) << describe("open", s.error());
  s->stop();
  auto st = s->run(1s);
  ASSERT_TRUE(st) << describe("run", st.error());
  EXPECT_EQ(st->accepted, 0u);
  EXPECT_EQ(s->run(1s).error(), std::errc::bad_file_descriptor);
  EXPECT_EQ(echo_server::open(socket{}).error(), std::errc::bad_file_descriptor);
}

#ifndef _WIN32
// Stuck clients that never read, each pushing bytes until the server stops taking them.
std::vector<client> stuck_clients(const endpoint& at, std::size_t n) {
  std::vector<client> stuck;
  for (std::size_t i = 0; i < n; ++i) {
    stuck.push_back(connect_client(at, 16 * 1024 * 1024, static_cast<std::uint32_t>(200 + i)));
    // A fixed small receive buffer: autotuned (tcp_rmem's maximum is 32 MiB here) it could take
    // in the whole echo of 16 MiB, and the client would never be stuck at all.
    EXPECT_FALSE(set_recv_buffer_size(stuck.back().sock, 64 * 1024));
  }
  auto start = std::chrono::steady_clock::now();
  auto last_progress = start;
  while (std::chrono::steady_clock::now() - last_progress < 300ms && std::chrono::steady_clock::now() - start < test::quick) {
    bool moved = false;
    for (auto& c : stuck) moved |= c.step(true, false);
    if (moved) {
      last_progress = std::chrono::steady_clock::now();
    } else {
      std::this_thread::sleep_for(5ms);
    }
  }
  return stuck;
}

TEST(completion_echo, a_dry_pool_leaves_others_served_from_buffers_of_their_own) {
  // 8 buffers of 16 KiB: four clients that never read hold the pool (64 KiB each before their
  // receives are cancelled) and keep it dry. A fifth is still echoed, byte-exact.
  echo_options opts;
  opts.buffers = 8;
  running_server srv(300ms, opts);
  auto stuck = stuck_clients(srv.at, 4);
  auto st = srv.server->stats();
  EXPECT_LE(st.bytes_in - st.bytes_out, (opts.buffers + 4) * opts.buffer_bytes);
  for (auto& c : stuck) EXPECT_LT(c.sent, c.data.size());
  auto other = connect_client(srv.at, 1024 * 1024, 9);
  drive({&other}, [&] { return other.got == other.data.size() || other.mismatch || other.ended; });
  EXPECT_FALSE(other.mismatch);
  EXPECT_EQ(other.got, other.data.size());
  st = srv.server->stats();
  EXPECT_LE(st.bytes_in - st.bytes_out, (opts.buffers + 5) * opts.buffer_bytes);
  other = client{};
  st = srv.stop();
  EXPECT_EQ(st.accepted, 5u);
  EXPECT_EQ(st.closed, 5u);
}

TEST(completion_echo, a_stuck_client_resumes_when_it_reads_and_nothing_is_lost) {
  running_server srv(2s);
  auto stuck = stuck_clients(srv.at, 1);
  auto& c = stuck.front();
  ASSERT_LT(c.sent, c.data.size());
  // Now it reads: its receive is re-armed as its echo drains, and every byte comes back in order.
  drive({&c}, [&] { return c.got == c.data.size() || c.mismatch || c.ended; }, 2 * test::quick);
  EXPECT_FALSE(c.mismatch);
  EXPECT_EQ(c.got, c.data.size());
  stuck.clear();
  auto st = srv.stop();
  EXPECT_EQ(st.bytes_in, st.bytes_out);
  EXPECT_EQ(st.bytes_out, 16u * 1024 * 1024);
}

TEST(completion_echo, options_out_of_range_are_refused) {
  for (auto bad : {echo_options{.buffers = 3}, echo_options{.buffers = 0}, echo_options{.buffers = 65536},
                   echo_options{.buffer_bytes = 0}, echo_options{.hold_bytes = 1024}}) {
    auto l = test::listen_loopback(false, {.nonblocking = true});
    EXPECT_EQ(echo_server::open(std::move(l.sock), bad).error(), std::errc::invalid_argument);
  }
}
#endif

}  // namespace
}  // namespace sockit
