// proxy_connect over real sockets, against a scripted proxy on a thread: the tunnel's first bytes
// sent right behind the proxy's reply stay in the socket, a reply in pieces, a refusal, a proxy
// that closes mid-handshake and one that never answers (the deadline ends it).
#include "sockit/proxy.hpp"

#include <gtest/gtest.h>

#include <array>
#include <functional>
#include <future>
#include <string>
#include <thread>

#include "sockit/io.hpp"
#include "test_support.hpp"

namespace sockit {
namespace {

using namespace std::chrono_literals;
using namespace std::string_literals;

// Reads n bytes from `s` (fewer if the peer is done first).
std::string read_n(const socket& s, std::size_t n) {
  std::string got(n, '\0');
  auto t = recv_exact(s, std::span<std::byte>(reinterpret_cast<std::byte*>(got.data()), n), deadline::after(test::quick));
  got.resize(t.bytes);
  return got;
}

// Reads up to and including the blank line of an HTTP request.
std::string read_http_request(const socket& s) {
  std::string got;
  while (got.find("\r\n\r\n") == std::string::npos) {
    auto more = read_n(s, 1);
    if (more.empty()) break;
    got += more;
  }
  return got;
}

// A proxy on 127.0.0.1 that runs `script` on the first connection, on its own thread.
struct scripted_proxy {
  test::listener l = test::listen_loopback();
  std::thread t;
  explicit scripted_proxy(std::function<void(const socket&)> script) {
    t = std::thread([this, script = std::move(script)] {
      auto c = tcp_accept(l.sock);
      if (c) script(*c);
    });
  }
  ~scripted_proxy() { wait(); }
  void wait() {
    if (t.joinable()) t.join();
  }
  socket connect() {
    auto s = tcp_connect(l.at, deadline::after(test::quick));
    EXPECT_TRUE(s) << s.error().message();
    return s ? std::move(*s) : socket{};
  }
};

TEST(proxy_connect, http_tunnel_keeps_the_bytes_behind_the_header) {
  std::string request;
  scripted_proxy p([&](const socket& c) {
    request = read_http_request(c);
    (void)send_all(c, "HTTP/1.1 200 Connection established\r\nVia: test\r\n\r\nfirst bytes"s);
    (void)send_all(c, read_n(c, 4));  // then an echo of what the client sends through
  });
  auto s = p.connect();
  proxy_reply reply;
  auto ec = proxy_connect(s, {proxy_type::http, "localhost", 8080, {"u", "p"}}, deadline::after(test::quick), &reply);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(reply.http_status, 200);
  EXPECT_EQ(read_n(s, 11), "first bytes");
  ASSERT_TRUE(send_all(s, "ping"s));
  EXPECT_EQ(read_n(s, 4), "ping");
  p.wait();
  EXPECT_EQ(request, "CONNECT localhost:8080 HTTP/1.1\r\nHost: localhost:8080\r\nProxy-Authorization: Basic dTpw\r\n\r\n");
}

TEST(proxy_connect, socks5_user_password_in_pieces) {
  std::string greeting, auth, request;
  scripted_proxy p([&](const socket& c) {
    greeting = read_n(c, 4);
    (void)send_all(c, "\x05"s);
    std::this_thread::sleep_for(20ms);
    (void)send_all(c, "\x02"s);
    auth = read_n(c, 2 + 5 + 1 + 6);
    (void)send_all(c, "\x01\x00"s);
    request = read_n(c, 4 + 1 + 9 + 2);
    (void)send_all(c, "\x05\x00\x00\x01\x7f\x00"s);
    std::this_thread::sleep_for(20ms);
    (void)send_all(c, "\x00\x01\x04\x38tunnel"s);
  });
  auto s = p.connect();
  proxy_reply reply;
  auto ec = proxy_connect(s, {proxy_type::socks5, "localhost", 7, {"alice", "s3cret"}}, deadline::after(test::quick),
                          &reply);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(reply.bound.to_string(), "127.0.0.1:1080");
  EXPECT_EQ(read_n(s, 6), "tunnel");
  p.wait();
  EXPECT_EQ(greeting, "\x05\x02\x00\x02"s);
  EXPECT_EQ(auth, "\x01\x05" "alice\x06s3cret"s);
  EXPECT_EQ(request, "\x05\x01\x00\x03\x09localhost\x00\x07"s);
}

TEST(proxy_connect, http_refusal_has_the_status_line) {
  scripted_proxy p([](const socket& c) {
    (void)read_http_request(c);
    (void)send_all(c, "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic\r\n\r\n"s);
  });
  auto s = p.connect();
  proxy_reply reply;
  auto ec = proxy_connect(s, {proxy_type::http, "127.0.0.1", 22, {}}, deadline::after(test::quick), &reply);
  EXPECT_EQ(ec, proxy_errc::http_refused);
  EXPECT_EQ(reply.http_status, 407);
  EXPECT_EQ(reply.http_status_line, "HTTP/1.1 407 Proxy Authentication Required");
}

TEST(proxy_connect, socks5_refusal_code) {
  scripted_proxy p([](const socket& c) {
    (void)read_n(c, 3);
    (void)send_all(c, "\x05\x00"s);
    (void)read_n(c, 10);
    (void)send_all(c, "\x05\x05\x00\x01\x00\x00\x00\x00\x00\x00"s);
  });
  auto s = p.connect();
  EXPECT_EQ(proxy_connect(s, {proxy_type::socks5, "127.0.0.1", 9, {}}, deadline::after(test::quick)),
            proxy_errc::connection_refused);
}

TEST(proxy_connect, proxy_closes_mid_handshake) {
  scripted_proxy p([](const socket& c) {
    (void)read_n(c, 3);
    (void)send_all(c, "\x05"s);  // half a method reply, then gone
  });
  auto s = p.connect();
  EXPECT_EQ(proxy_connect(s, {proxy_type::socks5, "localhost", 9, {}}, deadline::after(test::quick)),
            proxy_errc::closed);
}

TEST(proxy_connect, silent_proxy_times_out_at_the_deadline) {
  std::promise<void> done;
  auto finished = done.get_future();
  scripted_proxy p([&](const socket&) { finished.wait_for(test::quick); });
  auto s = p.connect();
  auto start = clock::now();
  auto ec = proxy_connect(s, {proxy_type::http, "localhost", 9, {}}, deadline::after(300ms));
  auto took = std::chrono::duration<double>(clock::now() - start).count();
  done.set_value();
  EXPECT_EQ(ec, std::errc::timed_out) << ec.message();
  EXPECT_GE(took, 0.25);
  EXPECT_LT(took, 3.0);
}

TEST(proxy_connect, bad_target_sends_nothing) {
  scripted_proxy p([](const socket& c) {
    std::array<std::byte, 16> b;
    auto n = recv_some(c, b, deadline::after(test::quick));
    EXPECT_EQ(n.error(), errc::end_of_stream);
  });
  auto s = p.connect();
  EXPECT_EQ(proxy_connect(s, {proxy_type::socks5, std::string(300, 'a'), 9, {}}), proxy_errc::bad_target);
  (void)s.close();
}

}  // namespace
}  // namespace sockit
