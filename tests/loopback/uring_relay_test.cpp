// Linux, over 127.0.0.1: sockit::uring_relay (what `sockit relay --engine uring` runs) between real
// clients and a real target — bytes both ways with a half-close, a target that refuses, one that
// never answers, a reset passed on, a peer that never reads while others are served, the
// connection cap, the graceful stop and its deadline.
#ifdef __linux__
#include "sockit/uring_relay.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/resource.h>

#include <cstring>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "sockit/error.hpp"
#include "sockit/io.hpp"
#include "sockit/options.hpp"
#include "sockit/tcp.hpp"
#include "test_support.hpp"

namespace sockit {
namespace {

using namespace std::chrono_literals;
using clk = std::chrono::steady_clock;

struct ending {
  uring_relay_connection row;
  uring_relay_outcome outcome;
  std::error_code ec;
};

// A relay from a listener on 127.0.0.1:0 to `target`, running on its own thread.
struct relay_under_test {
  endpoint at;
  std::mutex m;
  std::vector<ending> ends;
  std::vector<std::size_t> refusals;  // how many were open at each
  std::vector<std::error_code> refusal_reasons;
  std::vector<std::uint64_t> refused_in_stats;  // stats().refused, asked from inside on_refused
  std::optional<uring_relay> relay;
  std::thread thread;
  std::optional<result<uring_relay_stats>> outcome;

  explicit relay_under_test(const endpoint& target, uring_relay_options opts = {},
                            std::chrono::milliseconds drain = 2s) {
    auto l = test::listen_loopback();
    at = l.at;
    opts.target = target;
    // The callbacks ask the relay for its stats: they run outside its lock, so this cannot deadlock.
    opts.on_end = [this](const uring_relay_connection& c, uring_relay_outcome o, std::error_code ec) {
      (void)relay->stats();
      std::lock_guard g(m);
      ends.push_back({c, o, ec});
    };
    opts.on_refused = [this](const endpoint&, std::size_t open, std::error_code why) {
      auto refused = relay->stats().refused;
      std::lock_guard g(m);
      refusals.push_back(open);
      refusal_reasons.push_back(why);
      refused_in_stats.push_back(refused);
    };
    auto r = uring_relay::open(std::move(l.sock), opts);
    EXPECT_TRUE(r) << describe("open", r.error());
    if (!r) return;
    relay.emplace(std::move(*r));
    thread = std::thread([this, drain] { outcome.emplace(relay->run(drain)); });
  }
  uring_relay_stats stop() {
    if (!relay) return {};
    relay->stop();
    thread.join();
    EXPECT_TRUE(outcome && *outcome) << (outcome ? describe("run", outcome->error()) : "no outcome");
    return outcome && *outcome ? **outcome : uring_relay_stats{};
  }
  ~relay_under_test() {
    if (thread.joinable()) stop();
  }
  std::vector<ending> ends_now() {
    std::lock_guard g(m);
    return ends;
  }
  bool wait_ends(std::size_t n, clk::duration bound = test::quick) {
    auto end = clk::now() + bound;
    while (ends_now().size() < n && clk::now() < end) std::this_thread::sleep_for(5ms);
    return ends_now().size() >= n;
  }
};

// The target's side: a non-blocking listener whose connections are taken within a bound.
struct target_listener {
  test::listener l = test::listen_loopback(false, {.nonblocking = true});
  socket accept(clk::duration bound = test::quick) {
    auto end = clk::now() + bound;
    for (;;) {
      auto s = tcp_accept(l.sock);
      if (s) return std::move(*s);
      if (s.error() != make_error_code(errc::would_block) || clk::now() >= end) {
        ADD_FAILURE() << describe("accept at the target", s.error());
        return {};
      }
      std::this_thread::sleep_for(2ms);
    }
  }
};

std::string as_text(const std::vector<std::byte>& v) { return {reinterpret_cast<const char*>(v.data()), v.size()}; }

// Sends `chunk` over and over (one endless periodic stream) without blocking until nothing more
// goes for 500 ms, or the budget is spent; returns the bytes sent.
constexpr std::size_t push_budget = 64 << 20;
std::size_t push_until_blocked(const socket& s, std::span<const std::byte> chunk) {
  std::size_t pushed = 0;
  auto idle_since = clk::now();
  while (pushed < push_budget && clk::now() - idle_since < 500ms) {
    auto n = try_send(s, chunk.subspan(pushed % chunk.size()));
    if (n) {
      pushed += *n;
      idle_since = clk::now();
    } else {
      EXPECT_EQ(n.error(), make_error_code(errc::would_block)) << n.error().message();
      if (n.error() != make_error_code(errc::would_block)) break;
      std::this_thread::sleep_for(5ms);
    }
  }
  return pushed;
}

TEST(uring_relay, bytes_go_both_ways_and_a_half_close_is_passed_on) {
  NEED_URING_COMPLETIONS();
  target_listener t;
  relay_under_test r(t.l.at);
  auto client = test::connect_to(r.at);
  auto server = t.accept();
  ASSERT_TRUE(client && server);
  constexpr std::size_t n = 4 << 20;
  auto up = test::random_bytes(n, 7), down = test::random_bytes(n, 8);
  std::string got_up, got_down;
  std::error_code ec_up, ec_down;
  {
    // Both ways at once; the client's FIN first, then the target answers the rest on its open half.
    std::jthread a([&] {
      EXPECT_TRUE(send_all(client, up).ok());
      EXPECT_FALSE(client.shutdown(shutdown_how::write));
    });
    std::jthread b([&] { got_up = test::read_to_end(server, ec_up); });
    std::jthread c([&] { got_down = test::read_to_end(client, ec_down); });
    std::jthread d([&] {
      EXPECT_TRUE(send_all(server, down).ok());
      b.join();  // the target has seen the client's FIN before it sends its own
      EXPECT_TRUE(send_all(server, std::string_view("after the FIN")).ok());
      EXPECT_FALSE(server.shutdown(shutdown_how::write));
    });
  }
  EXPECT_EQ(ec_up, make_error_code(errc::end_of_stream));
  EXPECT_EQ(ec_down, make_error_code(errc::end_of_stream));
  EXPECT_TRUE(got_up == as_text(up)) << "client to target: " << got_up.size() << " bytes";
  EXPECT_TRUE(got_down == as_text(down) + "after the FIN") << "target to client: " << got_down.size() << " bytes";
  ASSERT_TRUE(r.wait_ends(1));
  auto e = r.ends_now().front();
  EXPECT_EQ(e.outcome, uring_relay_outcome::clean);
  EXPECT_EQ(e.row.id, 1u);
  EXPECT_EQ(e.row.bytes_up, n);
  EXPECT_EQ(e.row.bytes_down, n + 13);
  EXPECT_EQ(e.row.client, *client.local_endpoint());
  auto st = r.stop();
  EXPECT_EQ(st.accepted, 1u);
  EXPECT_EQ(st.closed, 1u);
  EXPECT_EQ(st.bytes_up, n);
  EXPECT_EQ(st.bytes_down, n + 13);
  EXPECT_EQ(st.resets + st.target_failures + st.refused, 0u);
}

TEST(uring_relay, connections_at_once_each_get_their_own_bytes) {
  NEED_URING_COMPLETIONS();
  target_listener t;
  relay_under_test r(t.l.at);
  constexpr std::size_t conns = 24;
  std::vector<socket> clients, servers;
  for (std::size_t i = 0; i < conns; ++i) {
    clients.push_back(test::connect_to(r.at));
    servers.push_back(t.accept());
  }
  // Each target connection echoes what it gets; the relay must never mix two connections' bytes.
  std::vector<std::string> sent(conns), got(conns);
  {
    std::vector<std::jthread> threads;
    for (std::size_t i = 0; i < conns; ++i) {
      sent[i] = std::string(100'000 + i * 997, static_cast<char>('a' + i));
      threads.emplace_back([&, i] {
        std::error_code ec;
        auto echo = test::read_to_end(servers[i], ec);
        EXPECT_TRUE(send_all(servers[i], echo).ok());
        EXPECT_FALSE(servers[i].shutdown(shutdown_how::write));
      });
      threads.emplace_back([&, i] {
        EXPECT_TRUE(send_all(clients[i], sent[i]).ok());
        EXPECT_FALSE(clients[i].shutdown(shutdown_how::write));
        std::error_code ec;
        got[i] = test::read_to_end(clients[i], ec);
      });
    }
  }
  for (std::size_t i = 0; i < conns; ++i) EXPECT_TRUE(got[i] == sent[i]) << "connection " << i << ": " << got[i].size();
  ASSERT_TRUE(r.wait_ends(conns));
  for (const auto& e : r.ends_now()) EXPECT_EQ(e.outcome, uring_relay_outcome::clean) << "#" << e.row.id;
}

TEST(uring_relay, a_target_that_refuses_resets_the_client) {
  NEED_URING_COMPLETIONS();
  relay_under_test r(endpoint::loopback_v4(test::closed_tcp_port()));
  std::error_code ec;
  EXPECT_EQ(test::read_to_end_of_new(r.at, ec), "");
  EXPECT_EQ(ec, std::errc::connection_reset) << ec.message();
  ASSERT_TRUE(r.wait_ends(1));
  auto e = r.ends_now().front();
  EXPECT_EQ(e.outcome, uring_relay_outcome::target_failed);
  EXPECT_EQ(e.ec, std::errc::connection_refused) << e.ec.message();
  EXPECT_EQ(r.stop().target_failures, 1u);
}

TEST(uring_relay, a_target_that_never_answers_is_given_up_at_the_connect_timeout) {
  NEED_URING_COMPLETIONS();
  // A full accept queue (backlog 0 holds one connection) drops the next SYN: that connect hangs.
  auto full = test::listen_loopback(false, {.backlog = 0});
  auto first = test::connect_to(full.at);
  uring_relay_options o;
  o.connect_timeout = 300ms;
  relay_under_test r(full.at, o);
  auto start = clk::now();
  auto client = test::connect_to(r.at);
  std::error_code ec;
  EXPECT_EQ(test::read_to_end(client, ec), "");
  auto took = clk::now() - start;
  EXPECT_EQ(ec, std::errc::connection_reset) << ec.message();
  EXPECT_GE(took, 250ms);
  EXPECT_LT(took, 5s);
  ASSERT_TRUE(r.wait_ends(1));
  auto e = r.ends_now().front();
  EXPECT_EQ(e.outcome, uring_relay_outcome::target_failed);
  EXPECT_EQ(e.ec, std::errc::timed_out) << e.ec.message();
}

TEST(uring_relay, a_reset_on_one_side_resets_the_other) {
  NEED_URING_COMPLETIONS();
  target_listener t;
  relay_under_test r(t.l.at);
  auto client = test::connect_to(r.at);
  auto server = t.accept();
  ASSERT_TRUE(send_all(client, std::string_view("hello")).ok());
  char buf[5];
  ASSERT_TRUE(recv_exact(server, std::as_writable_bytes(std::span(buf))).ok());
  ASSERT_FALSE(set_linger(server, std::chrono::seconds(0)));
  server = socket{};  // closed with a reset
  std::error_code ec;
  test::read_to_end(client, ec);
  EXPECT_EQ(ec, std::errc::connection_reset) << ec.message();
  ASSERT_TRUE(r.wait_ends(1));
  EXPECT_EQ(r.ends_now().front().outcome, uring_relay_outcome::reset);
  EXPECT_EQ(r.stop().resets, 1u);
}

TEST(uring_relay, a_peer_that_never_reads_is_held_back_and_stalls_no_one) {
  NEED_URING_COMPLETIONS();
  target_listener t;
  uring_relay_options o;
  o.buffers = 2;  // a pool the stalled connection can take all of
  o.buffer_bytes = 64 << 10;
  o.hold_bytes = 128 << 10;
  relay_under_test r(t.l.at, o);
  auto stalled = test::connect_to(r.at);
  auto stalled_target = t.accept();
  // The client pushes until the relay stops reading it; without that it would run to the budget.
  auto chunk = test::random_bytes(64 << 10, 3);
  std::size_t pushed = push_until_blocked(stalled, chunk);
  EXPECT_LT(pushed, push_budget) << "the relay kept reading a connection whose target does not read";
  // Meanwhile another connection is served in full.
  auto other = test::connect_to(r.at);
  auto other_target = t.accept();
  std::string big(1 << 20, 'x');
  std::string echoed;
  {
    std::jthread a([&] {
      std::error_code ec;
      auto all = test::read_to_end(other_target, ec);
      EXPECT_TRUE(send_all(other_target, all).ok());
      EXPECT_FALSE(other_target.shutdown(shutdown_how::write));
    });
    EXPECT_TRUE(send_all(other, big).ok());
    EXPECT_FALSE(other.shutdown(shutdown_how::write));
    std::error_code ec;
    echoed = test::read_to_end(other, ec);
  }
  EXPECT_EQ(echoed.size(), big.size());
  // Then the stalled target reads: everything arrives, in order.
  ASSERT_FALSE(stalled.shutdown(shutdown_how::write));
  std::error_code ec;
  auto got = test::read_to_end(stalled_target, ec);
  ASSERT_EQ(got.size(), pushed);
  for (std::size_t off = 0; off < got.size(); off += chunk.size()) {
    auto len = std::min(chunk.size(), got.size() - off);  // chunk.size() divides every offset
    ASSERT_EQ(std::memcmp(got.data() + off, chunk.data(), len), 0) << "at offset " << off;
  }
}

TEST(uring_relay, past_max_connections_a_client_is_closed_at_once) {
  NEED_URING_COMPLETIONS();
  target_listener t;
  uring_relay_options o;
  o.max_connections = 1;
  relay_under_test r(t.l.at, o);
  auto first = test::connect_to(r.at);
  auto first_target = t.accept();
  std::error_code ec;
  EXPECT_EQ(test::read_to_end_of_new(r.at, ec), "");
  EXPECT_TRUE(ec == make_error_code(errc::end_of_stream) || ec == std::errc::connection_reset) << ec.message();
  {
    std::lock_guard g(r.m);
    ASSERT_EQ(r.refusals.size(), 1u);
    EXPECT_EQ(r.refusals.front(), 1u);
    EXPECT_FALSE(r.refusal_reasons.front()) << "the cap, not a lack of descriptors";
    EXPECT_EQ(r.refused_in_stats.front(), 1u) << "stats() from inside on_refused";
  }
  // The first one still works.
  ASSERT_TRUE(send_all(first, std::string_view("still here")).ok());
  char buf[10];
  ASSERT_TRUE(recv_exact(first_target, std::as_writable_bytes(std::span(buf))).ok());
  auto st = r.stop();
  EXPECT_EQ(st.accepted, 2u);
  EXPECT_EQ(st.refused, 1u);
}

// Restores RLIMIT_NOFILE, and closes the descriptors that filled the gaps below the highest one
// open (a new descriptor takes the lowest free number, so only a process without gaps runs out at
// the limit), when the test ends, however it ends.
struct fd_limit_guard {
  rlimit saved{};
  std::vector<int> fillers;
  fd_limit_guard() { ::getrlimit(RLIMIT_NOFILE, &saved); }
  ~fd_limit_guard() {
    ::setrlimit(RLIMIT_NOFILE, &saved);
    for (int fd : fillers) ::close(fd);
  }
  // Fills the gaps and sets the limit `room` descriptors above the highest one open.
  bool leave_room(int room) {
    int highest = 0;
    for (const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) {
      highest = std::max(highest, std::stoi(e.path().filename()));
    }
    for (;;) {
      int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
      if (fd < 0) return false;
      if (fd > highest) {
        ::close(fd);
        break;
      }
      fillers.push_back(fd);
    }
    rlimit low = saved;
    low.rlim_cur = static_cast<rlim_t>(highest + 1 + room);
    return ::setrlimit(RLIMIT_NOFILE, &low) == 0;
  }
};

TEST(uring_relay, out_of_descriptors_a_client_is_told_at_once_not_left_waiting) {
  NEED_URING_COMPLETIONS();
  // Each relayed connection takes three descriptors of this process in turn: the test's client,
  // the relay's accepted socket, the relay's socket to the target. With room for 6, 7 and 8 more,
  // the first one refused is, in some order, the client's connect, the relay's accept (shed: the
  // reserve freed, the connection taken and closed) and the target's socket (the client reset).
  bool shed = false, target_out = false;
  for (int room = 6; room <= 8; ++room) {
    target_listener t;  // never accepts: its connections wait in its backlog
    relay_under_test r(t.l.at);
    std::this_thread::sleep_for(50ms);  // the relay's ring and reserve are open
    fd_limit_guard guard;
    ASSERT_TRUE(guard.leave_room(room));
    std::vector<socket> clients;
    bool told = false, client_out = false;
    for (int i = 0; i < 6 && !told && !client_out; ++i) {
      auto c = tcp_connect(r.at, deadline::after(test::quick));
      if (!c) {
        // A reset while the connect was being confirmed: the relay told this client at once.
        told = c.error() == std::errc::connection_reset;
        client_out = !told;  // otherwise this process's own side ran out first
        break;
      }
      char one;
      auto n = recv_some(*c, std::as_writable_bytes(std::span(&one, 1)), deadline::after(1s));
      if (!n && n.error() != std::errc::timed_out) told = true;  // closed by the relay at once
      clients.push_back(std::move(*c));
    }
    ::setrlimit(RLIMIT_NOFILE, &guard.saved);
    ASSERT_TRUE(told || client_out) << "room " << room << ": a client was left waiting";
    // Told how: a refusal is reported before its close, an end after the relay's batch.
    for (auto end = clk::now() + 2s; told && clk::now() < end; std::this_thread::sleep_for(5ms)) {
      std::lock_guard g(r.m);
      if (!r.refusal_reasons.empty() || !r.ends.empty()) break;
    }
    std::lock_guard g(r.m);
    for (auto why : r.refusal_reasons) shed = shed || why == std::errc::too_many_files_open;
    for (const auto& e : r.ends) {
      target_out = target_out || (e.outcome == uring_relay_outcome::target_failed && e.ec == std::errc::too_many_files_open);
    }
  }
  EXPECT_TRUE(shed) << "no connection was shed at EMFILE";
  EXPECT_TRUE(target_out) << "no target socket failed with EMFILE";
}

TEST(uring_relay, stop_delivers_what_is_held_then_fins_both_ways) {
  NEED_URING_COMPLETIONS();
  target_listener t;
  relay_under_test r(t.l.at);
  auto client = test::connect_to(r.at);
  auto server = t.accept();
  auto data = test::random_bytes(2 << 20, 9);
  std::jthread writer([&] { EXPECT_TRUE(send_all(client, data).ok()); });
  std::this_thread::sleep_for(100ms);  // the relay holds some, the sockets the rest
  std::jthread stopper([&] { r.stop(); });
  // Nothing more is read from the client after the stop; what the relay had read arrives, then FIN.
  std::error_code ec;
  auto got = test::read_to_end(server, ec);
  EXPECT_EQ(ec, make_error_code(errc::end_of_stream)) << ec.message();
  EXPECT_LE(got.size(), data.size());
  EXPECT_GT(got.size(), 0u);
  EXPECT_EQ(std::memcmp(got.data(), data.data(), got.size()), 0);
  std::error_code ec_client;
  char one;
  auto n = recv_some(client, std::as_writable_bytes(std::span(&one, 1)), deadline::after(test::quick));
  EXPECT_EQ(n.error(), make_error_code(errc::end_of_stream)) << n.error().message();
  stopper.join();
  ASSERT_TRUE(r.wait_ends(1));
  auto e = r.ends_now().front();
  EXPECT_EQ(e.outcome, uring_relay_outcome::stopped);
  EXPECT_EQ(e.row.bytes_up, got.size());
  (void)client.shutdown(shutdown_how::both);  // the writer ends on its error
}

TEST(uring_relay, the_drain_deadline_closes_a_peer_that_never_reads) {
  NEED_URING_COMPLETIONS();
  target_listener t;
  relay_under_test r(t.l.at, {}, 300ms);
  auto client = test::connect_to(r.at);
  auto server = t.accept();
  // Everything full: the target's socket, the relay's hold, the client's socket. What the relay
  // holds can then never leave, and only the deadline ends the drain.
  auto chunk = test::random_bytes(64 << 10, 4);
  EXPECT_LT(push_until_blocked(client, chunk), push_budget);
  auto start = clk::now();
  auto st = r.stop();
  auto took = clk::now() - start;
  EXPECT_GE(took, 250ms);
  EXPECT_LT(took, 5s);
  EXPECT_EQ(st.closed, 1u);
  ASSERT_EQ(r.ends_now().size(), 1u);
  EXPECT_EQ(r.ends_now().front().outcome, uring_relay_outcome::stopped);
}

TEST(uring_relay, options_out_of_range_are_refused) {
  NEED_URING_COMPLETIONS();
  auto target = endpoint::loopback_v4(9);
  for (auto bad : {uring_relay_options{.target = target, .buffers = 3},
                   uring_relay_options{.target = target, .buffer_bytes = 0},
                   uring_relay_options{.target = target, .hold_bytes = 1},
                   uring_relay_options{.target = target, .connect_timeout = 0ms},
                   uring_relay_options{}}) {
    auto l = test::listen_loopback();
    auto r = uring_relay::open(std::move(l.sock), bad);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), std::errc::invalid_argument);
  }
}

}  // namespace
}  // namespace sockit
#endif  // __linux__
