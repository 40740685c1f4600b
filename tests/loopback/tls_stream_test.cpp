// tls_stream on the loop, both ends in this process over 127.0.0.1, with certificates that
// tests/interop/make_certs.sh makes at run time: handshake and a 1 MiB echo, each certificate
// failure's text, ALPN, and hostile peers (garbage instead of a ClientHello, a close mid-handshake).
#include "sockit/tls.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

#include "sockit/io.hpp"
#include "sockit/options.hpp"
#include "test_support.hpp"

#ifndef SOCKIT_MAKE_CERTS
#error "SOCKIT_MAKE_CERTS (the path of make_certs.sh) must be defined"
#endif

namespace sockit {
namespace {

using namespace std::chrono_literals;
using test::quick;

// The certificates: in the build tree (SOCKIT_TLS_CERTS, which ctest's fixture loopback.tls_certs
// fills, or renews, once per run; made here if missing). With SOCKIT_TLS_CERTS=""
// in the environment, a temporary directory of this run's own, removed at exit.
struct cert_store {
  std::string dir;
  bool owned = false;
  cert_store() {
    const char* env = std::getenv("SOCKIT_TLS_CERTS");
    if (const char* shared = env ? env : SOCKIT_TLS_CERTS; *shared) {
      // Made by the fixture (which also remakes them before they expire): no process to start.
      if (std::filesystem::exists(std::string(shared) + "/self.pem")) {
        dir = shared;
        return;
      }
      std::string cmd = std::string("bash '") + SOCKIT_MAKE_CERTS + "' '" + shared + "' >/dev/null 2>&1";
      if (std::system(cmd.c_str()) == 0) dir = shared;
      return;
    }
    std::string tmpl = (std::filesystem::temp_directory_path() / "sockit-tls-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) return;
    std::string cmd = std::string("bash '") + SOCKIT_MAKE_CERTS + "' '" + tmpl + "' >/dev/null 2>&1";
    owned = true;
    if (std::system(cmd.c_str()) == 0) dir = tmpl;
    else std::filesystem::remove_all(tmpl);
  }
  ~cert_store() {
    std::error_code ec;
    if (owned && !dir.empty()) std::filesystem::remove_all(dir, ec);
  }
};

const std::string& cert_dir() {
  static const cert_store store;
  return store.dir;
}

std::string cert(const std::string& name) { return cert_dir() + "/" + name; }

#define NEED_CERTS()                                                                   \
  do {                                                                                 \
    if (cert_dir().empty()) GTEST_SKIP() << "make_certs.sh failed (is openssl installed?)"; \
  } while (0)

tls_context server_ctx(const std::string& name, std::vector<std::string> alpn = {}) {
  auto c = tls_context::server({.cert_file = cert(name + ".pem"), .key_file = cert(name + ".key"), .alpn = alpn});
  EXPECT_TRUE(c) << c.error().message();
  return std::move(*c);
}

tls_context client_ctx(bool with_ca = true, bool insecure = false, std::vector<std::string> alpn = {}) {
  auto c = tls_context::client({.ca_file = with_ca ? cert("ca.pem") : "", .insecure = insecure, .alpn = alpn});
  EXPECT_TRUE(c) << c.error().message();
  return std::move(*c);
}

struct end_state {
  std::string got;
  bool handshake = false;
  bool peer_eof = false;
  bool closed = false;
  std::error_code ec;
};

std::shared_ptr<tls_stream> make_stream(event_loop& loop, socket s, tls_session session, end_state& st,
                                        bool echo, connection_limits lim = {}) {
  auto t = tls_stream::create(loop, std::move(s), endpoint::loopback_v4(0), std::move(session), lim);
  t->on_handshake([&st](tls_stream&) { st.handshake = true; });
  t->on_data([&st, echo](tls_stream& c, buffer& in) {
    if (echo) c.send(in.readable());
    st.got.append(in.view());
    in.clear();
  });
  t->on_peer_eof([&st](tls_stream& c) {
    st.peer_eof = true;
    c.shutdown_write();
  });
  t->on_close([&st](tls_stream&, std::error_code ec) {
    st.closed = true;
    st.ec = ec;
  });
  EXPECT_FALSE(t->start());
  return t;
}

// A client session for `host` against a server with certificate `name`; runs until both ends
// closed or finished the handshake. Returns the client's end.
struct pair_run {
  end_state client, server;
  std::shared_ptr<tls_stream> c, s;
  std::string describe;
};

void handshake_pair(event_loop& loop, pair_run& r, const std::string& name, const std::string& host,
                    tls_context cctx, std::vector<std::string> server_alpn = {}, connection_limits client_limits = {},
                    bool small_buffers = false) {
  auto [cs, ss] = test::tcp_pair();
  if (small_buffers) {  // so that a few MiB back up (loopback's autotuned buffers hold several)
    for (auto* sk : {&cs, &ss}) {
      EXPECT_FALSE(set_send_buffer_size(*sk, 64 << 10));
      EXPECT_FALSE(set_recv_buffer_size(*sk, 64 << 10));
    }
  }
  auto sess_c = tls_session::client(cctx, host);
  ASSERT_TRUE(sess_c) << sess_c.error().message();
  auto sess_s = tls_session::server(server_ctx(name, server_alpn));
  ASSERT_TRUE(sess_s);
  r.s = make_stream(loop, std::move(ss), std::move(*sess_s), r.server, true);
  r.c = make_stream(loop, std::move(cs), std::move(*sess_c), r.client, false, client_limits);
  ASSERT_TRUE(test::run_until(loop, [&] {
    return (r.client.handshake && r.server.handshake) || (r.client.closed && r.server.closed);
  }));
  if (r.client.closed) r.describe = r.c->session().describe(r.client.ec);
}

TEST(tls_stream, handshake_and_1mib_echo_both_ways) {
  NEED_CERTS();
  auto loop = test::make_loop();
  pair_run r;
  handshake_pair(*loop, r, "good", "localhost", client_ctx(true, false, {"x-none", "h2"}), {"h2", "http/1.1"});
  ASSERT_TRUE(r.client.handshake) << r.describe;
  EXPECT_EQ(r.c->session().version(), "TLSv1.3");
  EXPECT_EQ(r.c->session().alpn(), "h2");
  EXPECT_EQ(r.s->session().alpn(), "h2");
  EXPECT_NE(r.c->session().peer_subject().find("localhost"), std::string::npos) << r.c->session().peer_subject();
  auto payload = test::random_bytes(1 << 20, 7);
  r.c->send(payload);
  ASSERT_TRUE(test::run_until(*loop, [&] { return r.client.got.size() >= payload.size(); }));
  EXPECT_EQ(r.server.got.size(), payload.size());
  EXPECT_TRUE(std::memcmp(r.client.got.data(), payload.data(), payload.size()) == 0);
  EXPECT_EQ(r.c->bytes_in(), payload.size());
  // close_notify both ways: an orderly close, no error on either end.
  r.c->shutdown_write();
  ASSERT_TRUE(test::run_until(*loop, [&] { return r.client.closed && r.server.closed; }));
  EXPECT_TRUE(r.server.peer_eof);
  EXPECT_FALSE(r.server.ec) << r.server.ec.message();
  EXPECT_FALSE(r.client.ec) << r.client.ec.message();
}

TEST(tls_stream, backpressure_pauses_the_echo_and_held_input_resumes) {
  NEED_CERTS();
  auto loop = test::make_loop();
  pair_run r;
  // The client's own queue may hold it all: its reading must not pause for its output as well,
  // or both ends would wait for each other (the contract: reading pauses while output is backed up).
  handshake_pair(*loop, r, "good", "localhost", client_ctx(), {}, {.high_water = 64 << 20, .low_water = 1 << 20},
                 true);
  ASSERT_TRUE(r.client.handshake) << r.describe;
  // The client reads nothing while it sends 4 MiB (over small socket buffers): the server's echo backs up past the high-water
  // mark and it stops reading; then the client reads, and every byte comes back.
  r.c->hold_reading(true);
  auto payload = test::random_bytes(4 << 20, 11);
  r.c->send(payload);
  EXPECT_TRUE(test::run_until(*loop, [&] { return r.s->reading_paused(); })) << "the server never paused";
  std::size_t at_pause = r.server.got.size();
  EXPECT_LT(at_pause, payload.size());
  r.c->hold_reading(false);
  ASSERT_TRUE(test::run_until(*loop, [&] { return r.client.got.size() >= payload.size(); }))
      << r.client.got.size() << " of " << payload.size();
  EXPECT_EQ(r.server.got.size(), payload.size());
  EXPECT_TRUE(std::memcmp(r.client.got.data(), payload.data(), payload.size()) == 0);
  EXPECT_FALSE(r.client.closed);
}

TEST(tls_stream, close_after_drain_delivers_everything_then_close_notify) {
  NEED_CERTS();
  auto loop = test::make_loop();
  pair_run r;
  handshake_pair(*loop, r, "good", "localhost", client_ctx());
  ASSERT_TRUE(r.client.handshake) << r.describe;
  auto payload = test::random_bytes(3 << 20, 5);
  r.s->send(payload);
  r.s->close_after_drain();
  ASSERT_TRUE(test::run_until(*loop, [&] { return r.client.closed && r.server.closed; }));
  EXPECT_EQ(r.client.got.size(), payload.size());
  EXPECT_TRUE(r.client.peer_eof);
  EXPECT_FALSE(r.client.ec) << r.client.ec.message();  // close_notify came: an orderly end
}

// A server's graceful stop (the services' drain): what is queued leaves, then close_notify; what
// the client sends meanwhile is read but not delivered; bytes moving stamp last_activity.
TEST(tls_stream, linger_sends_what_is_queued_then_close_notify_and_drops_new_input) {
  NEED_CERTS();
  auto loop = test::make_loop();
  pair_run r;
  handshake_pair(*loop, r, "good", "localhost", client_ctx());
  ASSERT_TRUE(r.client.handshake) << r.describe;
  auto before = r.s->last_activity();
  auto payload = test::random_bytes(1 << 20, 3);
  r.s->send(payload);
  r.s->linger();
  r.s->send(std::string_view("not sent: lingering"));
  r.c->send(std::string_view("dropped by the lingering server"));
  ASSERT_TRUE(test::run_until(*loop, [&] { return r.client.closed && r.server.closed; }));
  EXPECT_EQ(r.client.got.size(), payload.size());
  EXPECT_TRUE(r.client.peer_eof);
  EXPECT_FALSE(r.client.ec) << r.client.ec.message();  // close_notify came: an orderly end
  EXPECT_TRUE(r.server.got.empty()) << r.server.got;
  EXPECT_GT(r.s->last_activity(), before);
  EXPECT_EQ(r.s->kernel_unsent(), 0u);
}

TEST(tls_stream, by_ip_address_the_san_ip_is_checked) {
  NEED_CERTS();
  auto loop = test::make_loop();
  pair_run r;
  handshake_pair(*loop, r, "good", "127.0.0.1", client_ctx());
  EXPECT_TRUE(r.client.handshake) << r.describe;
}

TEST(tls_stream, data_sent_before_the_handshake_is_delivered_after_it) {
  NEED_CERTS();
  auto loop = test::make_loop();
  auto [cs, ss] = test::tcp_pair();
  end_state cst, sst;
  auto s = make_stream(*loop, std::move(ss), std::move(*tls_session::server(server_ctx("good"))), sst, true);
  auto c = tls_stream::create(*loop, std::move(cs), endpoint::loopback_v4(0),
                              std::move(*tls_session::client(client_ctx(), "localhost")));
  c->on_data([&](tls_stream&, buffer& in) {
    cst.got.append(in.view());
    in.clear();
  });
  c->send(std::string_view("early bytes"));
  ASSERT_FALSE(c->start());
  ASSERT_TRUE(test::run_until(*loop, [&] { return cst.got == "early bytes"; }));
}

void expect_client_error(const std::string& name, const std::string& host, tls_context ctx, const std::string& text) {
  auto loop = test::make_loop();
  pair_run r;
  handshake_pair(*loop, r, name, host, std::move(ctx));
  ASSERT_TRUE(r.client.closed) << "the handshake succeeded";
  EXPECT_FALSE(r.client.handshake);
  EXPECT_TRUE(is_tls_error(r.client.ec)) << r.client.ec.category().name() << ": " << r.client.ec.message();
  EXPECT_EQ(r.describe, text);
  // The server hears why (the client's alert), and does not hang.
  EXPECT_TRUE(r.server.closed);
  EXPECT_TRUE(r.server.ec);
}

TEST(tls_stream, expired_certificate_says_expired) {
  NEED_CERTS();
  expect_client_error("expired", "localhost", client_ctx(), "certificate has expired");
}

TEST(tls_stream, wrong_host_says_which_host_was_wanted) {
  NEED_CERTS();
  expect_client_error("wronghost", "localhost", client_ctx(), "certificate is for another host (wanted localhost)");
}

TEST(tls_stream, unknown_ca_says_unknown_ca) {
  NEED_CERTS();
  // The system store does not know the test's CA.
  expect_client_error("good", "localhost", client_ctx(false), "unknown CA (self-signed or untrusted issuer)");
  expect_client_error("self", "localhost", client_ctx(true), "unknown CA (self-signed or untrusted issuer)");
}

TEST(tls_stream, insecure_accepts_any_certificate) {
  NEED_CERTS();
  auto loop = test::make_loop();
  pair_run r;
  handshake_pair(*loop, r, "expired", "other.example", client_ctx(false, true));
  EXPECT_TRUE(r.client.handshake) << r.describe;
}

TEST(tls_stream, garbage_instead_of_a_client_hello_is_an_error_not_a_hang) {
  NEED_CERTS();
  auto loop = test::make_loop();
  auto [cs, ss] = test::tcp_pair();
  end_state st;
  auto s = make_stream(*loop, std::move(ss), std::move(*tls_session::server(server_ctx("good"))), st, true);
  ASSERT_TRUE(send_all(cs, as_bytes(std::string_view("GET / HTTP/1.0\r\n\r\n")), deadline::after(quick)).ok());
  ASSERT_TRUE(test::run_until(*loop, [&] { return st.closed; }));
  EXPECT_EQ(st.ec.category(), tls_handshake_category()) << st.ec.message();
  EXPECT_EQ(st.ec.message().rfind("handshake failed: ", 0), 0u) << st.ec.message();
  EXPECT_FALSE(st.handshake);
}

TEST(tls_stream, a_close_mid_handshake_is_reported_as_such) {
  NEED_CERTS();
  auto loop = test::make_loop();
  auto [cs, ss] = test::tcp_pair();
  end_state st;
  auto s = make_stream(*loop, std::move(ss), std::move(*tls_session::server(server_ctx("good"))), st, true);
  // A few bytes of a record header, then FIN.
  ASSERT_TRUE(send_all(cs, as_bytes(std::string_view("\x16\x03\x01", 3)), deadline::after(quick)).ok());
  cs = socket{};
  ASSERT_TRUE(test::run_until(*loop, [&] { return st.closed; }));
  EXPECT_EQ(st.ec, make_error_code(tls_errc::closed_during_handshake)) << st.ec.message();
}

TEST(tls_stream, transport_eof_without_close_notify_is_reported) {
  NEED_CERTS();
  auto loop = test::make_loop();
  pair_run r;
  handshake_pair(*loop, r, "good", "localhost", client_ctx());
  ASSERT_TRUE(r.client.handshake);
  r.c->send(std::string_view("last words"));
  ASSERT_TRUE(test::run_until(*loop, [&] { return r.server.got == "last words"; }));
  // The client's socket goes away without close_notify: shut its TCP side only.
  ASSERT_FALSE(::shutdown(r.c->fd(), SHUT_WR));
  ASSERT_TRUE(test::run_until(*loop, [&] { return r.server.closed; }));
  EXPECT_TRUE(r.server.peer_eof);
  EXPECT_EQ(r.server.ec, make_error_code(tls_errc::closed_without_close_notify)) << r.server.ec.message();
}

TEST(tls_stream, after_the_peers_close_notify_we_may_still_send) {
  NEED_CERTS();
  auto loop = test::make_loop();
  pair_run r;
  handshake_pair(*loop, r, "good", "localhost", client_ctx());
  ASSERT_TRUE(r.client.handshake) << r.describe;
  // The server keeps its side open at the client's close_notify + FIN, answers later, then ends.
  r.s->on_peer_eof([&](tls_stream&) { r.server.peer_eof = true; });
  r.c->shutdown_write();
  ASSERT_TRUE(test::run_until(*loop, [&] { return r.server.peer_eof; }));
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(loop->run_once(std::chrono::milliseconds(10)) == std::error_code{});
  ASSERT_FALSE(r.server.closed);
  r.s->send(std::string_view("late answer"));
  r.s->shutdown_write();
  ASSERT_TRUE(test::run_until(*loop, [&] { return r.client.closed && r.server.closed; }));
  EXPECT_EQ(r.client.got, "late answer");
  EXPECT_FALSE(r.client.ec) << r.client.ec.message();
  EXPECT_FALSE(r.server.ec) << r.server.ec.message();
}

TEST(tls_context, bad_files_are_errors) {
  NEED_CERTS();
  auto a = tls_context::server({.cert_file = cert("missing.pem"), .key_file = cert("good.key")});
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error(), make_error_code(tls_errc::bad_certificate_file));
  auto b = tls_context::server({.cert_file = cert("good.pem"), .key_file = cert("wronghost.key")});
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error(), make_error_code(tls_errc::bad_key_file));
  auto c = tls_context::client({.ca_file = cert("missing.pem")});
  ASSERT_FALSE(c);
  EXPECT_FALSE(parse_alpn_list("h2,,x"));
  EXPECT_EQ(parse_alpn_list("h2,http/1.1")->size(), 2u);
}

}  // namespace
}  // namespace sockit
