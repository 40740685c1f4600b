// One TLS connection over memory BIOs (see tls_session.hpp for why).
#include "sockit/tls_session.hpp"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "sockit/error.hpp"

namespace sockit {

void tls_session::ssl_free::operator()(ssl_st* s) const noexcept { SSL_free(s); }

tls_session::~tls_session() = default;

namespace {

bool is_ip_literal(std::string_view host) {
  std::string h(host);
  unsigned char buf[16];
  return ::inet_pton(AF_INET, h.c_str(), buf) == 1 || ::inet_pton(AF_INET6, h.c_str(), buf) == 1;
}

result<std::unique_ptr<ssl_st, void (*)(ssl_st*)>> new_ssl(const tls_context& ctx) {
  ERR_clear_error();
  SSL* s = SSL_new(ctx.native_handle());
  BIO* rbio = BIO_new(BIO_s_mem());
  BIO* wbio = BIO_new(BIO_s_mem());
  if (!s || !rbio || !wbio) {
    SSL_free(s);
    BIO_free(rbio);
    BIO_free(wbio);
    return std::make_error_code(std::errc::not_enough_memory);
  }
  // An empty memory BIO says "retry" rather than EOF: the transport's EOF is ours to report.
  BIO_set_mem_eof_return(rbio, -1);
  BIO_set_mem_eof_return(wbio, -1);
  SSL_set_bio(s, rbio, wbio);  // SSL owns both from here
  return std::unique_ptr<ssl_st, void (*)(ssl_st*)>(s, [](ssl_st* p) { SSL_free(p); });
}

}  // namespace

result<tls_session> tls_session::client(const tls_context& ctx, std::string_view host, std::string_view sni) {
  auto s = new_ssl(ctx);
  if (!s) return s.error();
  tls_session t;
  t.ssl_.reset(s->release());
  t.ctx_ = ctx;
  t.host_ = std::string(host);
  SSL* ssl = t.ssl_.get();
  SSL_set_connect_state(ssl);
  std::string name(sni.empty() ? host : sni);
  if (!name.empty() && !is_ip_literal(name) && SSL_set_tlsext_host_name(ssl, name.c_str()) != 1) {  // RFC 6066: no IP in SNI
    return std::make_error_code(std::errc::invalid_argument);  // over 255 bytes: rather than no SNI at all
  }
  if (!ctx.insecure() && !t.host_.empty()) {
    // Checked by OpenSSL inside the chain verification: a mismatch is X509_V_ERR_HOSTNAME_MISMATCH.
    int ok = is_ip_literal(t.host_) ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), t.host_.c_str())
                                    : SSL_set1_host(ssl, t.host_.c_str());
    if (ok != 1) return std::make_error_code(std::errc::invalid_argument);
    SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  }
  return t;
}

result<tls_session> tls_session::server(const tls_context& ctx) {
  auto s = new_ssl(ctx);
  if (!s) return s.error();
  tls_session t;
  t.ssl_.reset(s->release());
  t.ctx_ = ctx;
  SSL_set_accept_state(t.ssl_.get());
  return t;
}

std::error_code tls_session::feed(std::span<const std::byte> cipher) {
  while (!cipher.empty()) {
    int n = BIO_write(SSL_get_rbio(ssl_.get()), cipher.data(), static_cast<int>(std::min<std::size_t>(cipher.size(), 1 << 30)));
    if (n <= 0) return std::make_error_code(std::errc::not_enough_memory);
    cipher = cipher.subspan(static_cast<std::size_t>(n));
  }
  return {};
}

std::size_t tls_session::output_pending() const noexcept { return BIO_ctrl_pending(SSL_get_wbio(ssl_.get())); }

std::size_t tls_session::take_output(buffer& out) {
  BIO* w = SSL_get_wbio(ssl_.get());
  std::size_t total = 0;
  while (std::size_t n = BIO_ctrl_pending(w)) {
    auto room = out.prepare(n);
    int got = BIO_read(w, room.data(), static_cast<int>(std::min<std::size_t>(n, 1 << 30)));
    if (got <= 0) break;
    out.commit(static_cast<std::size_t>(got));
    total += static_cast<std::size_t>(got);
  }
  return total;
}

// Turns a failed SSL call into the error that says why.
std::error_code tls_session::fail(int ret, bool in_handshake) {
  int err = SSL_get_error(ssl_.get(), ret);
  if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) return make_error_code(errc::would_block);
  if (err == SSL_ERROR_ZERO_RETURN) {
    got_close_ = true;
    return make_error_code(errc::end_of_stream);
  }
  if (in_handshake && !SSL_is_server(ssl_.get())) {
    long v = SSL_get_verify_result(ssl_.get());
    if (v != X509_V_OK) return tls_verify_error(v);
  }
  unsigned long e = ERR_peek_last_error();
  ERR_clear_error();
  if (e == 0) return in_handshake ? make_error_code(tls_errc::closed_during_handshake) : std::make_error_code(std::errc::protocol_error);
  return {static_cast<int>(e & 0x7fffffffUL), in_handshake ? tls_handshake_category() : tls_protocol_category()};
}

std::error_code tls_session::handshake() {
  if (done_) return {};
  ERR_clear_error();
  int r = SSL_do_handshake(ssl_.get());
  if (r == 1) {
    done_ = true;
    return {};
  }
  return fail(r, true);
}

result<std::size_t> tls_session::read(std::span<std::byte> plain) {
  if (!done_) {
    if (auto ec = handshake()) return ec;
  }
  if (got_close_) return make_error_code(errc::end_of_stream);
  ERR_clear_error();
  std::size_t n = 0;
  int r = SSL_read_ex(ssl_.get(), plain.data(), plain.size(), &n);
  if (r == 1) return n;
  return fail(0, false);
}

std::error_code tls_session::write(std::span<const std::byte> plain) {
  if (!done_) return make_error_code(tls_errc::not_ready);
  while (!plain.empty()) {
    ERR_clear_error();
    std::size_t n = 0;
    if (SSL_write_ex(ssl_.get(), plain.data(), plain.size(), &n) != 1) return fail(0, false);
    plain = plain.subspan(n);
  }
  return {};
}

void tls_session::close_notify() {
  if (sent_close_) return;
  sent_close_ = true;
  ERR_clear_error();
  (void)SSL_shutdown(ssl_.get());  // 0: sent, the peer's not yet seen; nothing to wait for here
  ERR_clear_error();
}

std::error_code tls_session::transport_closed() const noexcept {
  if (got_close_) return {};
  return make_error_code(done_ ? tls_errc::closed_without_close_notify : tls_errc::closed_during_handshake);
}

std::string tls_session::describe(std::error_code ec) const {
  std::string text = ec.message();
  if (ec.category() == tls_verify_category() &&
      (ec.value() == X509_V_ERR_HOSTNAME_MISMATCH || ec.value() == X509_V_ERR_IP_ADDRESS_MISMATCH)) {
    text += " (wanted " + host_ + ")";
  }
  return text;
}

std::string tls_session::version() const { return SSL_get_version(ssl_.get()); }

std::string tls_session::cipher() const {
  const char* c = SSL_get_cipher_name(ssl_.get());
  return c ? c : "";
}

std::string tls_session::alpn() const {
  const unsigned char* p = nullptr;
  unsigned int len = 0;
  SSL_get0_alpn_selected(ssl_.get(), &p, &len);
  return p ? std::string(reinterpret_cast<const char*>(p), len) : std::string();
}

std::string tls_session::peer_subject() const {
  X509* cert = SSL_get1_peer_certificate(ssl_.get());
  if (!cert) return {};
  std::string out;
  BIO* mem = BIO_new(BIO_s_mem());
  if (mem && X509_NAME_print_ex(mem, X509_get_subject_name(cert), 0, XN_FLAG_ONELINE & ~ASN1_STRFLGS_ESC_MSB) >= 0) {
    char* data = nullptr;
    long n = BIO_get_mem_data(mem, &data);
    if (n > 0) out.assign(data, static_cast<std::size_t>(n));
  }
  BIO_free(mem);
  X509_free(cert);
  return out;
}

}  // namespace sockit
