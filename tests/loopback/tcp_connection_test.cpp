// tcp_acceptor + tcp_connection on a loop thread, driven by blocking clients in the test thread:
// an echo service for many clients, partial writes, backpressure, half-close both ways, resets.
#include "sockit/tcp_connection.hpp"

#include <gtest/gtest.h>

#include "sockit/wait.hpp"

#include <atomic>
#include <future>
#include <mutex>
#include <set>
#include <thread>

#include "sockit/io.hpp"
#include "sockit/options.hpp"
#include "sockit/tcp_acceptor.hpp"
#include "test_support.hpp"

namespace sockit {
namespace {

using namespace std::chrono_literals;
using test::quick;

// A server on its own loop thread. By default it echoes; tests adjust each new connection
// through `setup` (which runs on the loop thread before start()).
class server {
 public:
  using setup_fn = std::function<void(tcp_connection&)>;

  explicit server(connection_limits lim = {}, setup_fn setup = {}) : limits_(lim), setup_(std::move(setup)) {
    loop_ = test::make_loop();
    auto a = tcp_acceptor::create(*loop_, endpoint::loopback_v4(0), listen_options{},
                                  [this](socket s, const endpoint& peer) { adopt(std::move(s), peer); });
    EXPECT_TRUE(a) << a.error().message();
    if (a) acceptor_ = std::move(*a);
    thread_ = std::jthread([this] { (void)loop_->run(); });
  }
  ~server() {
    loop_->stop();
    thread_.join();
    auto conns = std::move(conns_);  // close handlers erase from conns_
    for (auto& c : conns) c->close();
    acceptor_.reset();
  }

  endpoint at() const { return acceptor_->local_endpoint(); }

  // Runs fn on the loop thread and returns its result (bounded wait).
  template <class F>
  auto call(F fn) -> decltype(fn()) {
    std::promise<decltype(fn())> p;
    auto f = p.get_future();
    loop_->post([&] {
      if constexpr (std::is_void_v<decltype(fn())>) {
        fn();
        p.set_value();
      } else {
        p.set_value(fn());
      }
    });
    if (f.wait_for(quick) != std::future_status::ready) {
      ADD_FAILURE() << "loop thread did not answer";
      std::abort();  // the promise is on our stack; nothing sane can follow
    }
    return f.get();
  }

  std::shared_ptr<tcp_connection> only_connection() {
    return call([this] { return conns_.size() == 1 ? *conns_.begin() : nullptr; });
  }

  // Waits (bounded) until pred() holds on the loop thread.
  bool eventually(const std::function<bool()>& pred, std::chrono::steady_clock::duration bound = quick) {
    auto end = clock::now() + bound;
    while (clock::now() < end) {
      if (call(pred)) return true;
      std::this_thread::sleep_for(5ms);
    }
    return false;
  }

  struct closed_record {
    std::error_code ec;
    int times = 0;
  };
  std::vector<closed_record> closes() {
    return call([this] { return closes_; });
  }
  // For predicates that already run on the loop thread (inside call/eventually).
  std::shared_ptr<tcp_connection> only_connection_unsafe() const {
    return conns_.size() == 1 ? *conns_.begin() : nullptr;
  }
  const std::vector<closed_record>& closes_unsafe() const { return closes_; }
  std::uint64_t bytes_in_total() const {
    std::uint64_t n = 0;
    for (auto& c : conns_) n += c->bytes_in();
    return n;
  }

  tcp_acceptor& acceptor() { return *acceptor_; }
  event_loop& loop() { return *loop_; }

 private:
  void adopt(socket s, const endpoint& peer) {
    auto c = tcp_connection::create(*loop_, std::move(s), peer, limits_);
    auto idx = closes_.size();
    closes_.push_back({});
    c->on_data([](tcp_connection& conn, buffer& in) {
      conn.send(in.readable());
      in.clear();
    });
    c->on_close([this, idx](tcp_connection& conn, std::error_code ec) {
      closes_[idx].ec = ec;
      ++closes_[idx].times;
      for (auto it = conns_.begin(); it != conns_.end(); ++it) {
        if (it->get() == &conn) {
          conns_.erase(it);
          break;
        }
      }
    });
    if (setup_) setup_(*c);
    if (c->closed()) return;  // the setup finished it already (e.g. close_after_drain, all sent)
    EXPECT_FALSE(c->start());
    conns_.insert(c);
  }

  connection_limits limits_;
  setup_fn setup_;
  std::unique_ptr<event_loop> loop_;
  std::unique_ptr<tcp_acceptor> acceptor_;
  std::set<std::shared_ptr<tcp_connection>> conns_;
  std::vector<closed_record> closes_;
  std::jthread thread_;
};

socket connect_to(const endpoint& at) {
  auto c = tcp_connect(at, deadline::after(quick));
  EXPECT_TRUE(c) << c.error().message();
  return c ? std::move(*c) : socket{};
}

TEST(tcp_connection, echo_serves_several_clients_at_once) {
  server srv;
  constexpr int clients = 6;
  constexpr std::size_t size = 300 * 1024;
  std::vector<std::jthread> threads;
  std::atomic<int> exact{0};
  for (int i = 0; i < clients; ++i) {
    threads.emplace_back([&, i] {
      auto c = connect_to(srv.at());
      auto data = test::random_bytes(size, 100 + i);
      std::vector<std::byte> back(size);
      transfer sent;
      std::jthread sender([&] { sent = send_all(c, data, deadline::after(60s)); });
      auto got = recv_exact(c, back, deadline::after(60s));
      sender.join();
      EXPECT_TRUE(sent.ok()) << sent.ec.message();
      EXPECT_TRUE(got.ok()) << got.ec.message() << " after " << got.bytes;
      if (got.ok() && back == data) ++exact;
    });
  }
  threads.clear();
  EXPECT_EQ(exact.load(), clients);
  EXPECT_EQ(srv.acceptor().accepted(), static_cast<std::uint64_t>(clients));
}

// Reads go through one read block per thread, lent to a connection while it reads: bytes a
// handler leaves (an incomplete line here) must stay with their connection, in order, while
// another connection on the same loop reads through the same block in between.
TEST(tcp_connection, bytes_a_handler_leaves_stay_with_their_connection) {
  server srv({}, [](tcp_connection& c) {
    c.on_data([](tcp_connection& conn, buffer& in) {
      auto text = in.view();
      auto end = text.rfind('\n');
      if (end == std::string_view::npos) return;  // no complete line yet: keep it all
      conn.send(text.substr(0, end + 1));
      in.consume(end + 1);
    });
  });
  auto a = connect_to(srv.at());
  auto b = connect_to(srv.at());
  auto expect_back = [](socket& s, std::string_view want) {
    std::string got(want.size(), '\0');
    auto r = recv_exact(s, std::as_writable_bytes(std::span(got)), deadline::after(quick));
    EXPECT_TRUE(r.ok()) << r.ec.message() << " after " << r.bytes;
    EXPECT_EQ(got, want);
  };
  ASSERT_TRUE(send_all(a, "hel", deadline::after(quick)).ok());
  ASSERT_TRUE(srv.eventually([&] { return srv.bytes_in_total() == 3; }));
  ASSERT_TRUE(send_all(b, "world\nand mo", deadline::after(quick)).ok());
  expect_back(b, "world\n");
  ASSERT_TRUE(send_all(a, "lo\nhow", deadline::after(quick)).ok());
  expect_back(a, "hello\n");
  // A long incomplete line (more than one 64 KiB read), then its end.
  std::string big(150 * 1024, 'x');
  ASSERT_TRUE(send_all(b, big, deadline::after(quick)).ok());
  ASSERT_TRUE(send_all(a, " are you\n", deadline::after(quick)).ok());
  expect_back(a, "how are you\n");
  ASSERT_TRUE(send_all(b, "re\n", deadline::after(quick)).ok());
  expect_back(b, "and mo" + big + "re\n");
}

TEST(tcp_connection, partial_writes_finish_when_writable) {
  constexpr std::size_t size = 4u << 20;
  auto data = test::random_bytes(size, 21);
  server srv({.high_water = 64u << 20, .low_water = 1u << 20},
             [&](tcp_connection& c) { c.send(data); });
  auto c = connect_to(srv.at());
  ASSERT_FALSE(set_recv_buffer_size(c, 16384));
  std::shared_ptr<tcp_connection> conn;
  ASSERT_TRUE(srv.eventually([&] { return srv.only_connection_unsafe() != nullptr; }));
  conn = srv.only_connection();
  ASSERT_TRUE(conn);
  auto queued = srv.call([&] { return conn->output_size(); });
  EXPECT_GT(queued, 0u) << "4 MiB must not fit the socket at once: the test would prove nothing";
  std::vector<std::byte> got(size);
  std::size_t have = 0;
  auto by = deadline::after(60s);
  while (have < size) {
    auto n = recv_some(c, std::span(got).subspan(have, std::min<std::size_t>(32768, size - have)), by);
    ASSERT_TRUE(n) << n.error().message() << " after " << have;
    have += *n;
    if (have < 256 * 1024) std::this_thread::sleep_for(1ms);  // slow at first
  }
  EXPECT_TRUE(got == data);
  EXPECT_TRUE(srv.eventually([&] { return conn->output_size() == 0; }));
  EXPECT_EQ(srv.call([&] { return conn->bytes_out(); }), size);
}

TEST(tcp_connection, backpressure_pauses_reading_then_resumes) {
  const connection_limits lim{.high_water = 128 * 1024, .low_water = 32 * 1024, .max_reads_per_wakeup = 16};
  server srv(lim);
  auto c = connect_to(srv.at());
  ASSERT_FALSE(set_recv_buffer_size(c, 32768));
  constexpr std::size_t size = 16u << 20;
  std::vector<std::byte> data(size);
  for (std::size_t i = 0; i < size; ++i) data[i] = static_cast<std::byte>((i * 131) >> 3);
  transfer sent;
  std::jthread sender([&] { sent = send_all(c, data, deadline::after(90s)); });

  // The client does not read: the echo's output backs up and reading must pause.
  std::shared_ptr<tcp_connection> conn;
  ASSERT_TRUE(srv.eventually([&] { return srv.only_connection_unsafe() != nullptr; }));
  conn = srv.only_connection();
  ASSERT_TRUE(srv.eventually([&] { return conn->reading_paused(); })) << "reading never paused";
  // Stays bounded near high_water for a while (the sender keeps pushing meanwhile).
  std::size_t worst = 0;
  for (int i = 0; i < 20; ++i) {
    worst = std::max(worst, srv.call([&] { return conn->output_size(); }));
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_GT(worst, lim.high_water / 2);
  EXPECT_LE(worst, lim.high_water + 256 * 1024) << "output grew past the bound";
  EXPECT_TRUE(srv.call([&] { return conn->reading_paused(); }));
  EXPECT_LT(srv.call([&] { return conn->bytes_in(); }), size) << "the server read everything anyway";

  // Now read everything: reading resumes and all bytes come back in order.
  std::vector<std::byte> got(size);
  auto r = recv_exact(c, got, deadline::after(90s));
  sender.join();
  EXPECT_TRUE(sent.ok()) << sent.ec.message();
  ASSERT_TRUE(r.ok()) << r.ec.message() << " after " << r.bytes;
  EXPECT_TRUE(got == data);
  EXPECT_TRUE(srv.eventually([&] { return !conn->reading_paused() && conn->output_size() == 0; }));
}

TEST(tcp_connection, half_close_echo_sends_everything_then_fin) {
  server srv;
  auto c = connect_to(srv.at());
  constexpr std::size_t size = 2u << 20;
  auto data = test::random_bytes(size, 6);
  std::vector<std::byte> got;
  std::error_code end;
  std::jthread reader([&] {
    std::byte chunk[65536];
    auto by = deadline::after(60s);
    for (;;) {
      auto n = recv_some(c, chunk, by);
      if (!n) {
        end = n.error();
        return;
      }
      got.insert(got.end(), chunk, chunk + *n);
    }
  });
  auto sent = send_all(c, data, deadline::after(60s));
  ASSERT_TRUE(sent.ok());
  ASSERT_FALSE(c.shutdown(shutdown_how::write));
  reader.join();
  EXPECT_EQ(end, make_error_code(errc::end_of_stream)) << end.message();
  EXPECT_EQ(got.size(), size);
  EXPECT_TRUE(got == data);
  // Both sides done: the server closed the connection cleanly, once.
  ASSERT_TRUE(srv.eventually([&] { return srv.closes_unsafe().size() == 1 && srv.closes_unsafe()[0].times == 1; }));
  auto closes = srv.closes();
  EXPECT_FALSE(closes[0].ec) << closes[0].ec.message();
}

TEST(tcp_connection, server_half_close_keeps_reading_until_peer_eof) {
  std::atomic<bool> saw_eof{false};
  server srv({}, [&](tcp_connection& conn) {
    conn.on_data([](tcp_connection& cn, buffer& in) {
      cn.send(in.readable());
      in.clear();
    });
    conn.send("hello\n");
    conn.shutdown_write();  // FIN after "hello", but keep reading
    conn.on_peer_eof([&](tcp_connection& cn) {
      saw_eof = true;
      cn.close();
    });
  });
  auto c = connect_to(srv.at());
  std::byte buf[64];
  auto t = recv_exact(c, std::span(buf, 6), deadline::after(quick));
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(std::string(reinterpret_cast<char*>(buf), 6), "hello\n");
  auto eof = recv_some(c, buf, deadline::after(quick));
  EXPECT_EQ(eof.error(), make_error_code(errc::end_of_stream));
  // The server still reads what we send (its echo is dropped: it already shut down writing).
  ASSERT_TRUE(send_all(c, "still here", deadline::after(quick)).ok());
  ASSERT_TRUE(srv.eventually([&] { return srv.bytes_in_total() >= 10; }));
  ASSERT_FALSE(c.shutdown(shutdown_how::write));
  ASSERT_TRUE(srv.eventually([&] { return saw_eof.load(); }));
}

TEST(tcp_connection, close_handler_runs_once_with_econnreset) {
  server srv;
  auto c = connect_to(srv.at());
  ASSERT_TRUE(send_all(c, "x", deadline::after(quick)).ok());
  std::byte b;
  ASSERT_TRUE(recv_exact(c, std::span(&b, 1), deadline::after(quick)).ok());
  ASSERT_FALSE(set_linger(c, seconds(0)));
  ASSERT_FALSE(c.close());
  ASSERT_TRUE(srv.eventually([&] { return !srv.closes_unsafe().empty() && srv.closes_unsafe()[0].times > 0; }));
  std::this_thread::sleep_for(50ms);  // give a double close time to show
  auto closes = srv.closes();
  ASSERT_EQ(closes.size(), 1u);
  EXPECT_EQ(closes[0].times, 1);
  EXPECT_EQ(closes[0].ec, std::errc::connection_reset) << closes[0].ec.message();
}

TEST(tcp_connection, reset_while_paused_is_noticed) {
  const connection_limits lim{.high_water = 64 * 1024, .low_water = 16 * 1024, .max_reads_per_wakeup = 16};
  server srv(lim);
  auto c = connect_to(srv.at());
  ASSERT_FALSE(set_recv_buffer_size(c, 16384));
  std::vector<std::byte> data(8u << 20, std::byte{1});
  std::jthread sender([&] { (void)send_all(c, data, deadline::after(3s)); });
  std::shared_ptr<tcp_connection> conn;
  ASSERT_TRUE(srv.eventually([&] { return srv.only_connection_unsafe() != nullptr; }));
  conn = srv.only_connection();
  ASSERT_TRUE(srv.eventually([&] { return conn->reading_paused(); }));
  sender.join();
  ASSERT_FALSE(set_linger(c, seconds(0)));
  ASSERT_FALSE(c.close());
  ASSERT_TRUE(srv.eventually([&] { return conn->closed(); })) << "a reset while paused went unnoticed";
  auto closes = srv.closes();
  ASSERT_EQ(closes.size(), 1u);
  EXPECT_EQ(closes[0].times, 1);
  EXPECT_TRUE(closes[0].ec) << "a reset is not an orderly close";
}

TEST(tcp_connection, close_after_drain_delivers_everything_then_closes) {
  constexpr std::size_t size = 3u << 20;
  auto data = test::random_bytes(size, 33);
  server srv({.high_water = 64u << 20, .low_water = 1u << 20}, [&](tcp_connection& conn) {
    conn.send(data);
    conn.close_after_drain();
  });
  auto c = connect_to(srv.at());
  std::vector<std::byte> got(size);
  auto r = recv_exact(c, got, deadline::after(60s));
  ASSERT_TRUE(r.ok()) << r.ec.message() << " after " << r.bytes;
  EXPECT_TRUE(got == data);
  std::byte b[4];
  auto eof = recv_some(c, b, deadline::after(quick));
  EXPECT_EQ(eof.error(), make_error_code(errc::end_of_stream));
  ASSERT_TRUE(srv.eventually([&] { return srv.closes_unsafe().size() == 1 && srv.closes_unsafe()[0].times == 1; }));
  EXPECT_FALSE(srv.closes()[0].ec);
}

TEST(tcp_connection, on_drain_fires_when_output_is_written) {
  std::atomic<int> drains{0};
  server srv({}, [&](tcp_connection& conn) {
    conn.on_drain([&](tcp_connection&) { ++drains; });
    // A small send buffer makes the kernel refuse most of it, so output is really queued (a send
    // the kernel takes whole raises no drain event, by design).
    socket view(conn.fd());
    ASSERT_FALSE(set_send_buffer_size(view, 4096));
    (void)view.release();
    std::vector<std::byte> big(4u << 20, std::byte{2});
    conn.send(big);
  });
  auto c = connect_to(srv.at());
  std::vector<std::byte> got(4u << 20);
  ASSERT_TRUE(recv_exact(c, got, deadline::after(60s)).ok());
  EXPECT_TRUE(srv.eventually([&] { return drains.load() >= 1; }));
}

TEST(tcp_connection, output_queued_before_start_is_flushed) {
  auto loop = test::make_loop();
  auto l = test::listen_loopback();
  auto c = connect_to(l.at);
  auto a = tcp_accept(l.sock);
  ASSERT_TRUE(a);
  // Fixed buffers both ways: autotuned ones (tcp_wmem/tcp_rmem reach 4-32 MiB) took all 4 MiB at
  // once on a CI run, leaving nothing queued for the loop to flush.
  ASSERT_FALSE(set_send_buffer_size(*a, 64 * 1024));
  ASSERT_FALSE(set_recv_buffer_size(c, 64 * 1024));
  constexpr std::size_t size = 4u << 20;
  auto data = test::random_bytes(size, 44);
  auto conn = tcp_connection::create(*loop, std::move(*a), l.at, {.high_water = 64u << 20, .low_water = 1u << 20});
  conn->send(data);  // before start(): part goes out now, the rest must follow on writability
  ASSERT_GT(conn->output_size(), 0u);
  ASSERT_FALSE(conn->start());
  std::vector<std::byte> got(size);
  transfer r;
  {
    std::jthread reader([&] { r = recv_exact(c, got, deadline::after(20s)); });
    auto end = clock::now() + 25s;
    while (conn->output_size() > 0 && clock::now() < end) ASSERT_FALSE(loop->run_once(20ms));
  }
  ASSERT_TRUE(r.ok()) << r.ec.message() << " after " << r.bytes;
  EXPECT_TRUE(got == data);
  conn->close();
}

TEST(tcp_connection, explicit_close_reports_the_given_error_once) {
  auto loop = test::make_loop();
  auto [client, server_side] = test::tcp_pair();
  auto conn = tcp_connection::create(*loop, std::move(server_side), endpoint{});
  int calls = 0;
  std::error_code got;
  conn->on_close([&](tcp_connection&, std::error_code ec) {
    ++calls;
    got = ec;
  });
  ASSERT_FALSE(conn->start());
  EXPECT_EQ(conn->start(), std::errc::already_connected);
  EXPECT_EQ(loop->watched_count(), 1u);
  conn->close(std::make_error_code(std::errc::timed_out));
  conn->close();
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(got, std::errc::timed_out);
  EXPECT_TRUE(conn->closed());
  EXPECT_EQ(loop->watched_count(), 0u);
  conn->send("ignored after close");
  std::byte b[4];
  auto eof = recv_some(client, b, deadline::after(quick));
  EXPECT_EQ(eof.error(), make_error_code(errc::end_of_stream));
}

TEST(tcp_connection, destroying_an_open_connection_unwatches_it) {
  auto loop = test::make_loop();
  auto [client, server_side] = test::tcp_pair();
  {
    auto conn = tcp_connection::create(*loop, std::move(server_side), endpoint{});
    ASSERT_FALSE(conn->start());
    EXPECT_EQ(loop->watched_count(), 1u);
  }
  EXPECT_EQ(loop->watched_count(), 0u);
  (void)send_all(client, "late", deadline::after(quick));  // may fail: the server side is gone
  ASSERT_FALSE(loop->run_once(20ms));  // no callback into a dead connection
}

// libuv's contract: a handler that sends on a connection whose peer has reset is not re-entered
// by the close that send() causes; on_close runs after send() has returned, at the end of the turn.
TEST(tcp_connection, close_found_by_send_runs_after_send_returns) {
  auto loop = test::make_loop();
  auto [client, srv_sock] = test::tcp_pair();
  auto conn = tcp_connection::create(*loop, std::move(srv_sock), endpoint::loopback_v4(0));
  int depth = 0;  // handlers of this connection running right now
  int closes = 0;
  int depth_at_close = -1;
  bool closed_after_send = false;
  std::error_code close_ec;
  conn->on_data([&](tcp_connection& c, buffer& in) {
    ++depth;
    in.clear();
    c.send("reply");  // the peer is gone: this send finds ECONNRESET
    closed_after_send = c.closed();
    EXPECT_EQ(closes, 0) << "on_close ran inside send()";
    --depth;
  });
  conn->on_close([&](tcp_connection& c, std::error_code ec) {
    depth_at_close = depth;
    close_ec = ec;
    ++closes;
    c.send("again");  // a closed connection ignores it, and nothing runs twice
  });
  ASSERT_FALSE(conn->start());
  const int fd = conn->fd();
  // One byte, then a reset (SO_LINGER 0): the server reads the byte first, then sends into the reset.
  ASSERT_TRUE(send_all(client, "x", deadline::after(quick)).ok());
  ASSERT_FALSE(set_linger(client, seconds(0)));
  ASSERT_FALSE(client.close());
  wait_entry p{fd, wait_entry::readable, 0};
  for (int i = 0; i < 100 && (p.ready & (wait_entry::error | wait_entry::hangup)) == 0; ++i) {
    ASSERT_TRUE(wait_any({&p, 1}, deadline::after(std::chrono::milliseconds(10))));
  }
  ASSERT_NE(p.ready & (wait_entry::error | wait_entry::hangup), 0u) << "the reset never arrived";
  ASSERT_TRUE(test::run_until(*loop, [&] { return closes > 0; }));
  EXPECT_TRUE(closed_after_send) << "send() found the reset but left the connection open";
  EXPECT_EQ(depth_at_close, 0) << "the close handler re-entered the handler that called send()";
  EXPECT_EQ(closes, 1);
  EXPECT_TRUE(close_ec == std::errc::connection_reset || close_ec == std::errc::broken_pipe) << close_ec.message();
  EXPECT_FALSE(loop->watching(fd));
}

TEST(tcp_acceptor, close_stops_accepting) {
  auto loop = test::make_loop();
  int accepted = 0;
  auto a = tcp_acceptor::create(*loop, endpoint::loopback_v4(0), {}, [&](socket, const endpoint&) { ++accepted; });
  ASSERT_TRUE(a);
  auto at = (*a)->local_endpoint();
  EXPECT_NE(at.port(), 0);
  auto c = connect_to(at);
  ASSERT_TRUE(test::run_until(*loop, [&] { return accepted == 1; }));
  EXPECT_EQ((*a)->accepted(), 1u);
  (*a)->close();
  EXPECT_EQ(loop->watched_count(), 0u);
  auto refused = tcp_connect(at, deadline::after(quick));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error(), std::errc::connection_refused);
}

TEST(tcp_connection, hold_reading_stops_input_until_released) {
  std::atomic<std::size_t> got{0};
  server srv({}, [&](tcp_connection& c) {
    c.on_data([&](tcp_connection&, buffer& in) {
      got += in.size();
      in.clear();
    });
  });
  auto c = connect_to(srv.at());
  ASSERT_TRUE(srv.eventually([&] { return srv.only_connection_unsafe() != nullptr; }));
  auto conn = srv.only_connection();
  srv.call([&] { conn->hold_reading(true); });
  EXPECT_TRUE(srv.call([&] { return conn->reading_held(); }));
  ASSERT_TRUE(send_all(c, as_bytes(std::string_view("held back")), deadline::after(quick)).ok());
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(got.load(), 0u) << "read while held";
  srv.call([&] { conn->hold_reading(false); });
  EXPECT_TRUE(srv.eventually([&] { return got.load() == 9; }));
}

TEST(tcp_acceptor, adopt_takes_over_a_listening_socket) {
  auto loop = test::make_loop();
  auto l = tcp_listen(endpoint::loopback_v4(0));  // blocking: adopt makes it non-blocking
  ASSERT_TRUE(l);
  auto port = l->local_endpoint()->port();
  int accepted = 0;
  auto a = tcp_acceptor::adopt(*loop, std::move(*l), [&](socket, const endpoint&) { ++accepted; });
  ASSERT_TRUE(a) << a.error().message();
  EXPECT_EQ((*a)->local_endpoint().port(), port);
  auto c1 = connect_to((*a)->local_endpoint());
  auto c2 = connect_to((*a)->local_endpoint());
  ASSERT_TRUE(test::run_until(*loop, [&] { return accepted == 2; }));
  // A third wake-up with nothing pending must not block in accept.
  EXPECT_FALSE(loop->run_once(10ms));
  EXPECT_EQ(accepted, 2);
}

TEST(tcp_acceptor, port_in_use_is_an_error_not_an_abort) {
  auto loop = test::make_loop();
  auto l = test::listen_loopback();
  auto a = tcp_acceptor::create(*loop, l.at, listen_options{.reuse_address = true}, [](socket, const endpoint&) {});
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error(), std::errc::address_in_use);
}

}  // namespace
}  // namespace sockit
