// Linux, over 127.0.0.1: sockit::uring_stream_server with sessions (what proto serve runs on
// io_uring) — requests split and pipelined across receives, a finish (replies, FIN, discard to the
// peer's close, or its deadline), a peer that never reads while its session amplifies, a factory
// that refuses a connection.
#ifdef __linux__
#include "sockit/uring_stream_server.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <mutex>
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

// What the sessions saw, from the serving thread.
struct journal {
  std::mutex m;
  std::vector<endpoint> peers;
  std::vector<std::error_code> closes;
  std::atomic<std::uint64_t> answered{0};  // bytes of requests answered
  void closed(std::error_code ec) {
    std::lock_guard g(m);
    closes.push_back(ec);
  }
  std::vector<std::error_code> closes_now() {
    std::lock_guard g(m);
    return closes;
  }
};

// Lines in, each upper-cased and repeated `amplify` times; "QUIT" answers "BYE" and finishes.
class line_session final : public stream_session {
 public:
  line_session(journal& j, std::size_t amplify) : j_(j), amplify_(amplify) {}
  step on_data(std::span<const std::byte> in, buffer& out) override {
    std::string_view text(reinterpret_cast<const char*>(in.data()), in.size());
    std::size_t used = 0;
    for (std::size_t nl; (nl = text.find('\n', used)) != std::string_view::npos; used = nl + 1) {
      std::string line(text.substr(used, nl + 1 - used));
      j_.answered += line.size();
      if (line == "QUIT\n") {
        out.append(std::string_view("BYE\n"));
        return {nl + 1, true};
      }
      std::transform(line.begin(), line.end(), line.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
      for (std::size_t k = 0; k < amplify_; ++k) out.append(std::string_view(line));
    }
    return {used, false};
  }
  void on_close(std::error_code ec) noexcept override { j_.closed(ec); }

 private:
  journal& j_;
  std::size_t amplify_;
};

struct session_server {
  endpoint at;
  journal j;
  std::optional<uring_stream_server> server;
  std::thread thread;
  std::optional<result<uring_stream_stats>> outcome;

  explicit session_server(uring_stream_options opts = {}, std::size_t amplify = 1, int refuse_first = 0) {
    auto l = test::listen_loopback(false, {.nonblocking = true});
    at = l.at;
    auto refused = std::make_shared<std::atomic<int>>(0);
    opts.sessions = [this, amplify, refuse_first, refused](const endpoint& peer) -> std::unique_ptr<stream_session> {
      if (refused->fetch_add(1) < refuse_first) return nullptr;
      std::lock_guard g(j.m);
      j.peers.push_back(peer);
      return std::make_unique<line_session>(j, amplify);
    };
    auto s = uring_stream_server::open(std::move(l.sock), opts);
    EXPECT_TRUE(s) << describe("open", s.error());
    if (!s) return;
    server.emplace(std::move(*s));
    thread = std::thread([this] { outcome.emplace(server->run(2s)); });
  }
  uring_stream_stats stop() {
    if (!server) return {};
    server->stop();
    thread.join();
    EXPECT_TRUE(outcome && *outcome) << (outcome ? describe("run", outcome->error()) : "no outcome");
    return outcome && *outcome ? **outcome : uring_stream_stats{};
  }
  ~session_server() {
    if (thread.joinable()) stop();
  }
  // Until the server has taken and answered all it will (nothing moves for 300 ms): on a busy
  // machine it may still be at it when the client is done.
  void wait_settled() {
    std::uint64_t seen_in = ~std::uint64_t{0}, seen_answered = ~std::uint64_t{0};
    for (auto t = std::chrono::steady_clock::now(), end = t + test::quick; t < end; t = std::chrono::steady_clock::now()) {
      std::this_thread::sleep_for(300ms);
      auto in = server->stats().bytes_in, answered = j.answered.load();
      if (in == seen_in && answered == seen_answered) return;
      seen_in = in;
      seen_answered = answered;
    }
  }
  // Waits (bounded) until `n` sessions have closed.
  bool wait_closes(std::size_t n, std::chrono::steady_clock::duration bound = test::quick) {
    auto end = std::chrono::steady_clock::now() + bound;
    while (j.closes_now().size() < n && std::chrono::steady_clock::now() < end) std::this_thread::sleep_for(5ms);
    return j.closes_now().size() >= n;
  }
};

// Sends `data` without reading until the peer stops taking bytes (nothing taken for 300 ms);
// returns how much it took.
std::size_t send_until_refused(const socket& c, const std::string& data) {
  std::size_t sent = 0;
  auto start = std::chrono::steady_clock::now(), last = start;
  while (sent < data.size() && std::chrono::steady_clock::now() - last < 300ms &&
         std::chrono::steady_clock::now() - start < test::quick) {
    auto n = try_send(c, as_bytes(std::string_view(data).substr(sent)));
    if (n) {
      sent += *n;
      last = std::chrono::steady_clock::now();
    } else {
      std::this_thread::sleep_for(5ms);
    }
  }
  return sent;
}

std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return s;
}

TEST(uring_sessions, requests_split_and_pipelined_across_receives_are_answered_in_order) {
  NEED_URING_COMPLETIONS();
  session_server srv;
  constexpr std::size_t n = 20;
  std::vector<socket> clients;
  std::vector<std::string> sent(n), want(n);
  for (std::size_t i = 0; i < n; ++i) {
    clients.push_back(test::connect_to(srv.at));
    for (std::size_t k = 0; k < 300; ++k) sent[i] += "client " + std::to_string(i) + " line " + std::to_string(k) + " abc\n";
    want[i] = upper(sent[i]);
  }
  // In pieces of 1 to 97 bytes, so lines are cut anywhere and several arrive in one receive.
  std::size_t longest = 0, total = 0;
  for (auto& s : sent) {
    longest = std::max(longest, s.size());
    total += s.size();
  }
  for (std::size_t off = 0, step = 1; off < longest; off += step, step = step % 97 + 13) {
    for (std::size_t i = 0; i < n; ++i) {
      if (off < sent[i].size()) ASSERT_TRUE(send_all(clients[i], std::string_view(sent[i]).substr(off, step)));
    }
  }
  for (std::size_t i = 0; i < n; ++i) {
    ASSERT_FALSE(clients[i].shutdown(shutdown_how::write));
    std::error_code ec;
    EXPECT_EQ(test::read_to_end(clients[i], ec), want[i]) << "client " << i;
    EXPECT_EQ(ec, errc::end_of_stream) << "client " << i;
  }
  ASSERT_TRUE(srv.wait_closes(n));
  for (auto ec : srv.j.closes_now()) EXPECT_FALSE(ec) << ec.message();
  // Each session was told its peer: the client's own address.
  std::vector<std::string> peers, locals;
  for (auto& p : srv.j.peers) peers.push_back(p.to_string());
  for (auto& c : clients) locals.push_back(c.local_endpoint()->to_string());
  std::sort(peers.begin(), peers.end());
  std::sort(locals.begin(), locals.end());
  EXPECT_EQ(peers, locals);
  auto st = srv.stop();
  EXPECT_EQ(st.accepted, n);
  EXPECT_EQ(st.closed, n);
  EXPECT_EQ(st.bytes_in, total);
  EXPECT_EQ(st.bytes_out, total);
}

TEST(uring_sessions, a_finish_sends_the_replies_then_fin_and_discards_to_the_peers_close) {
  NEED_URING_COMPLETIONS();
  session_server srv;
  auto c = test::connect_to(srv.at);
  ASSERT_TRUE(send_all(c, std::string_view("one\nQUIT\nnever answered\n")));
  char buf[64];
  auto got = recv_exact(c, std::as_writable_bytes(std::span(buf, 8)), deadline::after(test::quick));
  ASSERT_TRUE(got) << describe("recv", got.ec);
  EXPECT_EQ(std::string_view(buf, 8), "ONE\nBYE\n");
  std::error_code ec;
  EXPECT_EQ(test::read_to_end(c, ec), "");
  EXPECT_EQ(ec, errc::end_of_stream) << "a FIN after the replies";
  // The server still reads (and drops) what comes: no reset for a peer that goes on sending.
  std::string more(256 * 1024, 'm');
  EXPECT_TRUE(send_all(c, std::string_view(more), deadline::after(test::quick)));
  EXPECT_EQ(srv.server->open_connections(), 1u);
  c = socket{};  // our close ends it
  ASSERT_TRUE(srv.wait_closes(1));
  EXPECT_FALSE(srv.j.closes_now()[0]) << srv.j.closes_now()[0].message();
  auto st = srv.stop();
  EXPECT_EQ(st.bytes_out, 8u);
}

TEST(uring_sessions, a_finished_peer_that_never_closes_is_closed_at_the_finish_timeout) {
  NEED_URING_COMPLETIONS();
  uring_stream_options o;
  o.finish_timeout = 300ms;
  session_server srv(o);
  auto c = test::connect_to(srv.at);
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(send_all(c, std::string_view("QUIT\n")));
  std::error_code ec;
  EXPECT_EQ(test::read_to_end(c, ec), "BYE\n");
  EXPECT_EQ(ec, errc::end_of_stream);
  ASSERT_TRUE(srv.wait_closes(1, 5s)) << "still open after its finish deadline";
  auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(took, 250ms);
  EXPECT_LT(took, 5s);
  EXPECT_EQ(srv.j.closes_now()[0], std::errc::timed_out);
  EXPECT_EQ(srv.server->open_connections(), 0u);
  // Another client is served as before.
  auto d = test::connect_to(srv.at);
  ASSERT_TRUE(send_all(d, std::string_view("x\n")));
  ASSERT_FALSE(d.shutdown(shutdown_how::write));
  EXPECT_EQ(test::read_to_end(d, ec), "X\n");
}

TEST(uring_sessions, a_peer_that_never_reads_holds_back_input_and_nothing_is_lost) {
  NEED_URING_COMPLETIONS();
  constexpr std::size_t amplify = 16;
  session_server srv({}, amplify);
  auto c = test::connect_to(srv.at);
  ASSERT_FALSE(set_nonblocking(c, true));
  std::string line(63, 'q');
  line += '\n';
  std::string data;
  while (data.size() < 2 * 1024 * 1024) data += line;
  std::size_t sent = send_until_refused(c, data);
  srv.wait_settled();
  ASSERT_GT(srv.server->stats().bytes_in, 0u);
  // The replies the server made and could not send: near hold_bytes, however much came in (without
  // holding the input back, 16 x all of it: 32 MiB).
  auto made = srv.j.answered.load() * amplify;
  auto out = srv.server->stats().bytes_out;
  EXPECT_LE(made - out, uring_stream_options{}.hold_bytes + amplify * uring_stream_options{}.buffer_bytes)
      << "answered " << srv.j.answered.load() << " bytes of " << srv.server->stats().bytes_in << ", sent " << out;
  // Now read: the held input is answered as the output drains, all of it, in order.
  ASSERT_FALSE(set_nonblocking(c, false));
  std::string tail = data.substr(sent);
  std::thread writer([&] {
    (void)send_all(c, std::string_view(tail), deadline::after(test::quick));
    (void)c.shutdown(shutdown_how::write);
  });
  std::error_code ec;
  std::string got = test::read_to_end(c, ec, 30s);
  writer.join();
  EXPECT_EQ(ec, errc::end_of_stream);
  EXPECT_EQ(got.size(), data.size() * amplify);
  std::string want_line = upper(line);
  bool all_same = got.size() % want_line.size() == 0;
  for (std::size_t i = 0; all_same && i < got.size(); i += want_line.size()) all_same = got.compare(i, want_line.size(), want_line) == 0;
  EXPECT_TRUE(all_same);
}

TEST(uring_sessions, a_peer_that_never_reads_leaves_at_most_a_receive_unanswered) {
  NEED_URING_COMPLETIONS();
  // Echo-sized answers: the output drains into the kernel for a while, then stops. Each time it
  // drained, a multishot receive landed up to its cancel (rounds of 32 buffers) into the held
  // input; one receive at a time once held, what waits unanswered at the end is one receive's worth.
  session_server srv({}, 1);
  auto c = test::connect_to(srv.at);
  ASSERT_FALSE(set_nonblocking(c, true));
  std::string data;
  while (data.size() < 64 * 1024 * 1024) data += std::string(63, 'w') + '\n';
  send_until_refused(c, data);
  srv.wait_settled();
  auto in = srv.server->stats().bytes_in, answered = srv.j.answered.load();
  ASSERT_GT(answered, 2 * uring_stream_options{}.hold_bytes) << "the output never drained: nothing measured";
  EXPECT_LE(in - answered, 2 * uring_stream_options{}.buffer_bytes) << "took " << in << " bytes, answered " << answered;
}

TEST(uring_sessions, a_factory_that_refuses_closes_only_that_connection) {
  NEED_URING_COMPLETIONS();
  session_server srv({}, 1, 1);
  auto refused = test::connect_to(srv.at);
  (void)send_all(refused, std::string_view("hello\n"));
  std::error_code ec;
  EXPECT_EQ(test::read_to_end(refused, ec), "");
  EXPECT_TRUE(ec == errc::end_of_stream || ec == std::errc::connection_reset) << ec.message();
  auto ok = test::connect_to(srv.at);
  ASSERT_TRUE(send_all(ok, std::string_view("hello\n")));
  ASSERT_FALSE(ok.shutdown(shutdown_how::write));
  EXPECT_EQ(test::read_to_end(ok, ec), "HELLO\n");
  auto st = srv.stop();
  EXPECT_EQ(st.accepted, 2u);
  EXPECT_EQ(st.closed, 2u);
}

TEST(uring_sessions, a_negative_finish_timeout_is_refused) {
  NEED_URING_COMPLETIONS();
  auto l = test::listen_loopback(false, {.nonblocking = true});
  uring_stream_options o;
  o.finish_timeout = -1ms;
  EXPECT_EQ(uring_stream_server::open(std::move(l.sock), o).error(), std::errc::invalid_argument);
}

}  // namespace
}  // namespace sockit

#endif  // __linux__
