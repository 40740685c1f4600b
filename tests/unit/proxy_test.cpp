// The proxy handshake without sockets: the SOCKS5 and HTTP CONNECT requests byte for byte, and
// the replies fed whole, a byte at a time and in odd splits, with every refusal and with garbage.
#include "sockit/proxy.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sockit/error.hpp"

namespace sockit {
namespace {

using namespace std::string_literals;

proxy_request socks(std::string host, std::uint16_t port, proxy_credentials auth = {}) {
  return {proxy_type::socks5, std::move(host), port, std::move(auth)};
}
proxy_request http(std::string host, std::uint16_t port, proxy_credentials auth = {}) {
  return {proxy_type::http, std::move(host), port, std::move(auth)};
}

proxy_handshake start_ok(const proxy_request& req) {
  auto h = proxy_handshake::start(req);
  EXPECT_TRUE(h) << h.error().message();
  return std::move(*h);
}

// The proxy's bytes, once the handshake's pending request (if any) has been "sent".
result<std::size_t> answer(proxy_handshake& h, std::string_view bytes) {
  (void)h.take_output();
  return h.feed(bytes);
}

// Feeds `reply` in pieces of `step` bytes (0: whole), taking each request before the bytes that
// answer it, as a driver does; returns the bytes used, or the error.
result<std::size_t> feed_in_steps(proxy_handshake& h, std::string_view reply, std::size_t step) {
  if (step == 0) step = reply.size();
  std::size_t at = 0;
  while (at < reply.size() && !h.done()) {
    auto used = answer(h, reply.substr(at, step));
    if (!used) return used;
    if (*used == 0) break;
    at += *used;
  }
  return at;
}

// ---- requests ----------------------------------------------------------------------------------

TEST(proxy_request_bytes, socks5_greeting) {
  EXPECT_EQ(socks5_greeting(false), "\x05\x01\x00"s);
  EXPECT_EQ(socks5_greeting(true), "\x05\x02\x00\x02"s);
}

TEST(proxy_request_bytes, socks5_connect_name_v4_v6) {
  EXPECT_EQ(*socks5_connect_request("localhost", 8080), "\x05\x01\x00\x03\x09localhost\x1f\x90"s);
  EXPECT_EQ(*socks5_connect_request("127.0.0.1", 22), "\x05\x01\x00\x01\x7f\x00\x00\x01\x00\x16"s);
  EXPECT_EQ(*socks5_connect_request("::1", 65535),
            "\x05\x01\x00\x04"s + std::string(15, '\0') + "\x01\xff\xff"s);
}

TEST(proxy_request_bytes, socks5_name_limits) {
  EXPECT_TRUE(socks5_connect_request(std::string(255, 'a'), 1));
  EXPECT_EQ(socks5_connect_request(std::string(256, 'a'), 1).error(), proxy_errc::bad_target);
  EXPECT_EQ(socks5_connect_request("", 1).error(), proxy_errc::bad_target);
  EXPECT_EQ(socks5_connect_request("a b", 1).error(), proxy_errc::bad_target);
  EXPECT_EQ(socks5_connect_request("evil\r\nX: y", 1).error(), proxy_errc::bad_target);
}

TEST(proxy_request_bytes, socks5_auth) {
  EXPECT_EQ(*socks5_auth_request({"bob", "pw"}), "\x01\x03" "bob\x02pw"s);
  EXPECT_EQ(*socks5_auth_request({"bob", ""}), "\x01\x03" "bob\x00"s);
  EXPECT_TRUE(socks5_auth_request({std::string(255, 'u'), std::string(255, 'p')}));
  EXPECT_EQ(socks5_auth_request({std::string(256, 'u'), "p"}).error(), proxy_errc::bad_credentials);
  EXPECT_EQ(socks5_auth_request({"u", std::string(256, 'p')}).error(), proxy_errc::bad_credentials);
  EXPECT_EQ(socks5_auth_request({"", "p"}).error(), proxy_errc::bad_credentials);
}

TEST(proxy_request_bytes, http_connect) {
  EXPECT_EQ(*http_connect_request("localhost", 80), "CONNECT localhost:80 HTTP/1.1\r\nHost: localhost:80\r\n\r\n");
  EXPECT_EQ(*http_connect_request("::1", 443), "CONNECT [::1]:443 HTTP/1.1\r\nHost: [::1]:443\r\n\r\n");
  EXPECT_EQ(*http_connect_request("127.0.0.1", 7, {"Aladdin", "open sesame"}),
            "CONNECT 127.0.0.1:7 HTTP/1.1\r\nHost: 127.0.0.1:7\r\n"
            "Proxy-Authorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==\r\n\r\n");
  EXPECT_EQ(http_connect_request("a:b", 1).error(), proxy_errc::bad_target);
  EXPECT_EQ(http_connect_request("x/y", 1).error(), proxy_errc::bad_target);
  EXPECT_EQ(http_connect_request("h", 1, {"us:er", "p"}).error(), proxy_errc::bad_credentials);
  EXPECT_EQ(proxy_handshake::start(http("h", 1, {"", "pw"})).error(), proxy_errc::bad_credentials);
}

// ---- SOCKS5 replies ----------------------------------------------------------------------------

const std::string method_none = "\x05\x00"s;
const std::string method_userpass = "\x05\x02"s;
const std::string auth_ok = "\x01\x00"s;
const std::string connect_ok_v4 = "\x05\x00\x00\x01\x7f\x00\x00\x01\x30\x39"s;  // bound 127.0.0.1:12345

TEST(proxy_socks5, no_auth_whole_and_split) {
  for (std::size_t step : {0, 1, 2, 3}) {
    auto h = start_ok(socks("localhost", 9));
    EXPECT_EQ(h.take_output(), "\x05\x01\x00"s);
    EXPECT_EQ(h.take_output(), "");
    ASSERT_EQ(*feed_in_steps(h, method_none, step), 2u);
    EXPECT_EQ(h.take_output(), "\x05\x01\x00\x03\x09localhost\x00\x09"s);
    // The tunnel's first bytes behind the reply are not the handshake's.
    auto used = feed_in_steps(h, connect_ok_v4 + "DATA", step);
    ASSERT_TRUE(used) << used.error().message();
    EXPECT_EQ(*used, connect_ok_v4.size()) << "step " << step;
    EXPECT_TRUE(h.done());
    EXPECT_EQ(h.reply().socks_reply, 0);
    EXPECT_EQ(h.reply().bound.to_string(), "127.0.0.1:12345");
    EXPECT_EQ(*answer(h, "more"s), 0u);
  }
}

TEST(proxy_socks5, user_password) {
  auto h = start_ok(socks("127.0.0.1", 80, {"user", "secret"}));
  EXPECT_EQ(h.take_output(), "\x05\x02\x00\x02"s);
  ASSERT_EQ(*answer(h, method_userpass), 2u);
  EXPECT_EQ(h.take_output(), "\x01\x04user\x06secret"s);
  ASSERT_EQ(*answer(h, auth_ok), 2u);
  EXPECT_EQ(h.take_output(), "\x05\x01\x00\x01\x7f\x00\x00\x01\x00\x50"s);
  ASSERT_EQ(*answer(h, connect_ok_v4), connect_ok_v4.size());
  EXPECT_TRUE(h.done());
}

TEST(proxy_socks5, credentials_given_but_not_asked_for) {
  auto h = start_ok(socks("localhost", 1, {"user", "pw"}));
  (void)h.take_output();
  ASSERT_TRUE(answer(h, method_none));
  EXPECT_EQ(h.take_output()[0], '\x05');  // straight to CONNECT
  ASSERT_TRUE(answer(h, connect_ok_v4));
  EXPECT_TRUE(h.done());
}

TEST(proxy_socks5, bound_domain_and_v6) {
  const std::string domain = "\x05\x00\x00\x03\x05proxy\x00\x50"s;
  const std::string v6 = "\x05\x00\x00\x04"s + std::string(15, '\0') + "\x01\x04\x38"s;
  for (std::size_t step : {0, 1, 4, 5}) {
    auto h = start_ok(socks("localhost", 1));
    (void)h.take_output();
    ASSERT_TRUE(answer(h, method_none));
    auto used = feed_in_steps(h, domain + "xyz", step);
    ASSERT_TRUE(used);
    EXPECT_EQ(*used, domain.size());
    EXPECT_TRUE(h.done());
    EXPECT_TRUE(h.reply().bound.empty());

    auto h6 = start_ok(socks("::1", 1));
    (void)h6.take_output();
    ASSERT_TRUE(answer(h6, method_none));
    used = feed_in_steps(h6, v6, step);
    ASSERT_TRUE(used);
    EXPECT_EQ(*used, v6.size());
    EXPECT_EQ(h6.reply().bound.to_string(), "[::1]:1080");
  }
}

TEST(proxy_socks5, every_reply_code) {
  const std::vector<proxy_errc> want = {
      proxy_errc::general_failure,  proxy_errc::not_allowed,     proxy_errc::network_unreachable,
      proxy_errc::host_unreachable, proxy_errc::connection_refused, proxy_errc::ttl_expired,
      proxy_errc::command_not_supported, proxy_errc::address_type_not_supported};
  for (int rep = 1; rep <= 9; ++rep) {
    auto h = start_ok(socks("localhost", 1));
    ASSERT_TRUE(answer(h, method_none));
    auto r = answer(h, "\x05"s + static_cast<char>(rep) + "\x00\x01\x00\x00\x00\x00\x00\x00"s);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), rep <= 8 ? make_error_code(want[rep - 1]) : make_error_code(proxy_errc::unknown_reply));
    EXPECT_EQ(h.reply().socks_reply, rep);
    EXPECT_FALSE(h.done());
    EXPECT_EQ(answer(h, "x"s).error(), r.error());  // stays failed
  }
  EXPECT_EQ(make_error_code(proxy_errc::connection_refused).message(),
            "connection refused by the target (SOCKS5 reply 5)");
  EXPECT_EQ(describe("proxy", proxy_errc::ttl_expired), "proxy: TTL expired (SOCKS5 reply 6)");
}

TEST(proxy_socks5, method_refusals) {
  auto h = start_ok(socks("localhost", 1));
  EXPECT_EQ(answer(h, "\x05\xff"s).error(), proxy_errc::no_acceptable_method);
  EXPECT_EQ(h.reply().socks_method, 0xff);

  auto h2 = start_ok(socks("localhost", 1));  // user/pass chosen, none offered
  EXPECT_EQ(answer(h2, method_userpass).error(), proxy_errc::unexpected_method);

  auto h3 = start_ok(socks("localhost", 1, {"u", "p"}));
  EXPECT_EQ(answer(h3, "\x05\x01"s).error(), proxy_errc::unexpected_method);  // GSSAPI

  auto h4 = start_ok(socks("localhost", 1, {"u", "bad"}));
  ASSERT_TRUE(answer(h4, method_userpass));
  EXPECT_EQ(answer(h4, "\x01\x01"s).error(), proxy_errc::auth_failed);
}

TEST(proxy_socks5, garbage) {
  for (std::string bad : {"HTTP/1.1 400 Bad Request\r\n\r\n"s, "\x04\x5a"s, "\x00\x00"s}) {
    auto h = start_ok(socks("localhost", 1));
    EXPECT_EQ(answer(h, bad).error(), proxy_errc::bad_reply);
  }
  auto h = start_ok(socks("localhost", 1));
  ASSERT_TRUE(answer(h, method_none));
  EXPECT_EQ(answer(h, "\x05\x00\x00\x07"s).error(), proxy_errc::bad_reply);  // no such ATYP
  auto h2 = start_ok(socks("localhost", 1));
  ASSERT_TRUE(answer(h2, method_none));
  EXPECT_EQ(answer(h2, "\x04\x00\x00\x01"s).error(), proxy_errc::bad_reply);  // not version 5
  auto h3 = start_ok(socks("localhost", 1, {"u", "p"}));
  ASSERT_TRUE(answer(h3, method_userpass));
  EXPECT_EQ(answer(h3, "\x02\x00"s).error(), proxy_errc::bad_reply);
}

TEST(proxy_socks5, partial_reply_waits) {
  auto h = start_ok(socks("localhost", 1));
  EXPECT_EQ(*h.feed("\x05\x00"s), 0u);  // nothing is read before the greeting has been taken
  EXPECT_EQ(h.take_output(), "\x05\x01\x00"s);
  ASSERT_EQ(*h.feed("\x05"s), 1u);
  ASSERT_EQ(*h.feed("\x00\x05\x00"s), 1u);  // the CONNECT request waits: the rest is not read yet
  EXPECT_EQ(h.take_output()[0], '\x05');
  ASSERT_EQ(*h.feed("\x05\x00\x00\x01\x7f"s), 5u);
  EXPECT_FALSE(h.done());
  ASSERT_EQ(*h.feed("\x00\x00\x01\x00"s), 4u);
  EXPECT_FALSE(h.done());
  ASSERT_EQ(*h.feed("\x01"s), 1u);
  EXPECT_TRUE(h.done());
}

TEST(proxy_socks5, replies_sent_ahead_wait_for_each_request) {
  // A proxy that writes every reply at once: each request is still taken in its turn.
  auto h = start_ok(socks("localhost", 1, {"u", "p"}));
  const std::string all = method_userpass + auth_ok + connect_ok_v4;
  EXPECT_EQ(h.take_output(), "\x05\x02\x00\x02"s);
  ASSERT_EQ(*h.feed(all), 2u);
  EXPECT_EQ(h.take_output(), "\x01\x01u\x01p"s);
  ASSERT_EQ(*h.feed(std::string_view(all).substr(2)), 2u);
  EXPECT_EQ(h.take_output(), "\x05\x01\x00\x03\x09localhost\x00\x01"s);
  ASSERT_EQ(*h.feed(std::string_view(all).substr(4)), connect_ok_v4.size());
  EXPECT_TRUE(h.done());
}

// ---- HTTP replies ------------------------------------------------------------------------------

TEST(proxy_http, established_with_data_behind) {
  const std::string header = "HTTP/1.0 200 OK\r\nServer: Ncat\r\n\r\n";
  for (std::size_t step : {0, 1, 2, 7, 13}) {
    auto h = start_ok(http("localhost", 80));
    EXPECT_EQ(h.take_output(), "CONNECT localhost:80 HTTP/1.1\r\nHost: localhost:80\r\n\r\n");
    auto used = feed_in_steps(h, header + "hello\r\n\r\n", step);
    ASSERT_TRUE(used) << used.error().message();
    EXPECT_EQ(*used, header.size()) << "step " << step;
    EXPECT_TRUE(h.done());
    EXPECT_EQ(h.reply().http_status, 200);
    EXPECT_EQ(h.reply().http_status_line, "HTTP/1.0 200 OK");
  }
}

TEST(proxy_http, bare_lf_no_reason_and_interim) {
  auto h = start_ok(http("localhost", 80));
  const std::string reply = "HTTP/1.1 100 Continue\n\nHTTP/1.1 200\nX: y\n\n";
  EXPECT_EQ(*answer(h, reply + "z"), reply.size());
  EXPECT_TRUE(h.done());
  EXPECT_EQ(h.reply().http_status, 200);
}

TEST(proxy_http, refusals_keep_the_status_line) {
  for (std::string line : {"HTTP/1.1 403 Forbidden"s, "HTTP/1.0 407 Proxy Authentication Required"s,
                           "HTTP/1.1 502 Bad Gateway"s, "HTTP/1.1 301 Moved"s, "HTTP/1.1 101 Switching"s}) {
    auto h = start_ok(http("localhost", 80));
    auto r = feed_in_steps(h, line + "\r\nContent-Length: 0\r\n\r\n", 3);
    ASSERT_FALSE(r) << line;
    EXPECT_EQ(r.error(), proxy_errc::http_refused);
    EXPECT_EQ(h.reply().http_status_line, line);
  }
}

TEST(proxy_http, garbage_fails_early) {
  for (std::string bad : {"SSH-2.0-OpenSSH\r\n"s, "\x05\x00"s, "http/1.1 200 OK\r\n"s, "HTTP/1.1 2000 OK\r\n"s,
                          "HTTP/1.1 20 OK\r\n"s, "HTTP/x.1 200 OK\r\n"s, "HTTP/1.1 200OK\r\n"s,
                          "HTTP/1.1 200 OK\r\nX: a\x01" "b\r\n\r\n"s, "HTTP/1.1 099 Low\r\n"s, "\r\n"s}) {
    auto h = start_ok(http("localhost", 80));
    auto r = feed_in_steps(h, bad, 1);
    ASSERT_FALSE(r) << testing::PrintToString(bad);
    EXPECT_EQ(r.error(), proxy_errc::bad_reply) << testing::PrintToString(bad);
  }
  // Refused at the first wrong byte, without waiting for a line end.
  auto h = start_ok(http("localhost", 80));
  EXPECT_EQ(answer(h, "X"s).error(), proxy_errc::bad_reply);
}

TEST(proxy_http, header_size_cap) {
  auto h = start_ok(http("localhost", 80));
  ASSERT_TRUE(answer(h, "HTTP/1.1 200 OK\r\n"s));
  std::string field = "X-Pad: " + std::string(1000, 'a') + "\r\n";
  result<std::size_t> r = std::size_t{0};
  for (int i = 0; i < 20 && r; ++i) r = answer(h, field);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), proxy_errc::reply_too_long);

  // Just under the cap is fine.
  auto ok = start_ok(http("localhost", 80));
  std::string status = "HTTP/1.1 200 OK\r\n";
  std::string pad = "X: " + std::string(max_http_reply - status.size() - 4 - 3, 'b');
  auto used = answer(ok, status + pad + "\r\n\r\n" + "tail");
  ASSERT_TRUE(used) << used.error().message();
  EXPECT_EQ(*used, max_http_reply);
  EXPECT_TRUE(ok.done());
}

}  // namespace
}  // namespace sockit
