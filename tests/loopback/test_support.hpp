// Shared helpers for the loopback tests: a listener on 127.0.0.1:0, a connected pair of TCP
// sockets, random payloads, and a loop runner with a deadline. Test-only, not public API.
#pragma once

#include <cstdlib>

#include <gtest/gtest.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#ifndef _WIN32
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#endif

#include "sockit/endpoint.hpp"
#include "sockit/error.hpp"
#include "sockit/event_loop.hpp"
#include "sockit/options.hpp"
#include "sockit/socket.hpp"
#include "sockit/tcp.hpp"

namespace sockit::test {

using namespace std::chrono_literals;

// Generous bound for anything that should happen "at once" on loopback.
inline constexpr auto quick = 10s;

inline std::vector<std::byte> random_bytes(std::size_t n, std::uint32_t seed) {
  std::vector<std::byte> v(n);
  std::mt19937 rng(seed);
  for (auto& b : v) b = static_cast<std::byte>(rng() & 0xff);
  return v;
}

// A listener on 127.0.0.1 (or ::1) port 0, with the port the kernel chose.
struct listener {
  socket sock;
  endpoint at;
};

inline listener listen_loopback(bool v6 = false, listen_options opts = {}) {
  listener l;
  auto s = tcp_listen(v6 ? endpoint::loopback_v6(0) : endpoint::loopback_v4(0), opts);
  EXPECT_TRUE(s) << s.error().message();
  if (!s) return l;
  l.sock = std::move(*s);
  auto e = l.sock.local_endpoint();
  EXPECT_TRUE(e);
  if (e) l.at = *e;
  EXPECT_NE(l.at.port(), 0);
  return l;
}

// A connected TCP pair over 127.0.0.1: first = client side, second = server side. Blocking.
inline std::pair<socket, socket> tcp_pair() {
  auto l = listen_loopback();
  auto c = tcp_connect(l.at, deadline::after(quick));
  EXPECT_TRUE(c) << c.error().message();
  auto a = tcp_accept(l.sock);
  EXPECT_TRUE(a) << a.error().message();
  if (!c || !a) return {};
  return {std::move(*c), std::move(*a)};
}

#ifdef _WIN32
inline std::pair<socket, socket> tcp_pair_for_unix_pair() { return tcp_pair(); }
#endif

// A port on 127.0.0.1 with nobody listening: bind, read the port, close. (Another process could
// take it in between, which the tests that use it tolerate only as a failure with a clear text.)
inline std::uint16_t closed_tcp_port() {
  auto s = socket::open(AF_INET, SOCK_STREAM);
  EXPECT_TRUE(s);
  auto ep = endpoint::loopback_v4(0);
  EXPECT_FALSE(bind(*s, ep));
  auto local = s->local_endpoint();
  return local ? local->port() : 0;
}

inline bool ipv6_loopback_available() {
  auto s = socket::open(AF_INET6, SOCK_STREAM);
  if (!s) return false;
  auto ep = endpoint::loopback_v6(0);
  return !bind(*s, ep);
}

// A connected pair of non-blocking AF_UNIX stream sockets, closed on destruction: descriptors for
// the loop and poller tests to watch, without any TCP in the way. (Windows: a TCP pair on
// 127.0.0.1, since Winsock has no socketpair.)
struct unix_pair {
  int a = -1, b = -1;
#ifdef _WIN32
  unix_pair() {
    auto [x, y] = tcp_pair_for_unix_pair();
    EXPECT_FALSE(set_nonblocking(x, true));
    EXPECT_FALSE(set_nonblocking(y, true));
    a = x.release();
    b = y.release();
  }
  ~unix_pair() {
    socket(a);
    socket(b);
  }
  void poke() const { ASSERT_EQ(::send(static_cast<SOCKET>(b), "x", 1, 0), 1); }
#else
  unix_pair() {
    int sv[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
    a = sv[0];
    b = sv[1];
  }
  ~unix_pair() {
    if (a >= 0) ::close(a);
    if (b >= 0) ::close(b);
  }
  // Makes `a` readable: one byte written on `b`.
  void poke() const { ASSERT_EQ(::write(b, "x", 1), 1); }
#endif
  unix_pair(const unix_pair&) = delete;
  unix_pair& operator=(const unix_pair&) = delete;
};

// Raw calls on a descriptor the test holds as an int (a unix_pair end, a connection's fd), in the
// platform's spelling. -1 on failure, as the calls themselves.
inline long raw_send(int fd, const void* p, std::size_t n) {
#ifdef _WIN32
  return ::send(static_cast<SOCKET>(fd), static_cast<const char*>(p), static_cast<int>(n), 0);
#else
  return ::send(fd, p, n, MSG_DONTWAIT | MSG_NOSIGNAL);
#endif
}
inline long raw_recv(int fd, void* p, std::size_t n) {
#ifdef _WIN32
  return ::recv(static_cast<SOCKET>(fd), static_cast<char*>(p), static_cast<int>(n), 0);
#else
  return ::recv(fd, p, n, MSG_DONTWAIT);
#endif
}
inline void raw_close(int fd) { socket{fd}; }
inline int raw_shutdown_write(int fd) {
#ifdef _WIN32
  return ::shutdown(static_cast<SOCKET>(fd), SD_SEND);
#else
  return ::shutdown(fd, SHUT_WR);
#endif
}

// Runs the loop turn by turn until pred() holds or the bound passes; true when pred held.
inline bool run_until(event_loop& loop, const std::function<bool()>& pred,
                      std::chrono::steady_clock::duration bound = quick) {
  auto end = std::chrono::steady_clock::now() + bound;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= end) return false;
    auto ec = loop.run_once(20ms);
    EXPECT_FALSE(ec) << ec.message();
    if (ec) return false;
  }
  return true;
}

// The engine under test: SOCKIT_TEST_ENGINE (set by ctest, which runs the loop-based tests once
// per backend), or the default.
inline engine engine_under_test() {
  const char* name = std::getenv("SOCKIT_TEST_ENGINE");
  if (name == nullptr) return engine::automatic;
  auto e = parse_engine(name);
  EXPECT_TRUE(e) << "SOCKIT_TEST_ENGINE=" << name;
  return e ? *e : engine::automatic;
}

inline std::string_view expected_engine_name() {
  auto e = engine_under_test();
  return e == engine::automatic ? available_engines().front().name : engine_name(e);
}

inline std::unique_ptr<event_loop> make_loop() {
  auto l = event_loop::create(engine_under_test());
  EXPECT_TRUE(l) << l.error().message();
  return l ? std::move(*l) : nullptr;
}

}  // namespace sockit::test

#include <thread>

#include "sockit/io.hpp"

namespace sockit::test {

// Pushes `size` random bytes each way at once over one loopback connection (one thread per
// direction on each side) and checks both arrive byte-exact.
inline void bidirectional_transfer(std::size_t size, std::chrono::steady_clock::duration bound) {
  auto [client, server] = tcp_pair();
  ASSERT_TRUE(client && server);
  auto up = random_bytes(size, 1);
  auto down = random_bytes(size, 2);
  std::vector<std::byte> got_up(size), got_down(size);
  auto by = deadline::after(bound);
  transfer sent_up, sent_down, recv_up, recv_down;
  {
    std::jthread t1([&] { sent_up = send_all(client, up, by); });
    std::jthread t2([&] { sent_down = send_all(server, down, by); });
    std::jthread t3([&] { recv_up = recv_exact(server, got_up, by); });
    std::jthread t4([&] { recv_down = recv_exact(client, got_down, by); });
  }
  EXPECT_TRUE(sent_up.ok()) << sent_up.ec.message();
  EXPECT_TRUE(sent_down.ok()) << sent_down.ec.message();
  EXPECT_TRUE(recv_up.ok()) << recv_up.ec.message();
  EXPECT_TRUE(recv_down.ok()) << recv_down.ec.message();
  EXPECT_EQ(sent_up.bytes, size);
  EXPECT_EQ(recv_down.bytes, size);
  EXPECT_TRUE(got_up == up) << "client to server bytes differ";
  EXPECT_TRUE(got_down == down) << "server to client bytes differ";
  // Nothing more than what was sent: the peer's close is the next thing each side sees.
  ASSERT_FALSE(client.shutdown(shutdown_how::write));
  ASSERT_FALSE(server.shutdown(shutdown_how::write));
  std::byte extra[16];
  auto more = recv_some(server, extra, deadline::after(quick));
  EXPECT_EQ(more.error(), make_error_code(errc::end_of_stream));
}

// A blocking connection to `at` (a failed expectation and an empty socket when it fails).
inline socket connect_to(const endpoint& at) {
  auto s = tcp_connect(at, deadline::after(quick));
  EXPECT_TRUE(s) << describe("connect", s.error());
  return s ? std::move(*s) : socket{};
}

// Everything until the peer's FIN (or `bound`); `ec` says how it ended (end_of_stream: a FIN).
inline std::string read_to_end(const socket& s, std::error_code& ec, std::chrono::steady_clock::duration bound = quick) {
  std::string got;
  char buf[64 * 1024];
  auto by = deadline::after(bound);
  for (;;) {
    auto n = recv_some(s, std::as_writable_bytes(std::span(buf)), by);
    if (!n) {
      ec = n.error();
      return got;
    }
    got.append(buf, *n);
  }
}

// What a new connection to `at` reads until its end, for a server that may close or reset it at
// once: such a reset can arrive while the connect is still being confirmed, and then the connect
// reports it (`ec`: how the read ended, or that reset; any other connect error fails the test).
inline std::string read_to_end_of_new(const endpoint& at, std::error_code& ec) {
  auto s = tcp_connect(at, deadline::after(quick));
  if (s) return read_to_end(*s, ec);
  ec = s.error();
  EXPECT_EQ(ec, std::errc::connection_reset) << describe("connect", ec);
  return {};
}

}  // namespace sockit::test

#ifdef __linux__
#include "sockit/uring_stream_server.hpp"

// Tests of the io_uring completion path skip where this kernel cannot run it, saying why; CI's
// kernel can, so there the same is a failure.
#define NEED_URING_COMPLETIONS()                                                                   \
  if (auto ec = ::sockit::uring_stream_server::available()) {                                       \
    if (std::getenv("CI") != nullptr) FAIL() << "io_uring completion path unavailable in CI: " << ec.message(); \
    GTEST_SKIP() << "io_uring completion path unavailable: " << ec.message();                     \
  }
#endif
