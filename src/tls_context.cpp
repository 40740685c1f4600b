// TLS contexts: trust store, ALPN, a server's certificate and key.
#include "sockit/tls_context.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

namespace sockit {

namespace {

constexpr std::size_t alpn_wire_max = 32 * 1024;

result<std::vector<unsigned char>> alpn_wire(const std::vector<std::string>& names) {
  std::vector<unsigned char> wire;
  for (const auto& n : names) {
    if (n.empty() || n.size() > 255) return make_error_code(tls_errc::bad_alpn_list);
    wire.push_back(static_cast<unsigned char>(n.size()));
    wire.insert(wire.end(), n.begin(), n.end());
  }
  return wire;
}

// The server picks the first of its own protocols that the client offers.
int select_alpn(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in, unsigned int inlen,
                void* arg) {
  const auto& mine = *static_cast<const std::vector<unsigned char>*>(arg);
  for (std::size_t i = 0; i < mine.size(); i += 1 + mine[i]) {
    for (unsigned int j = 0; j < inlen; j += 1u + in[j]) {
      if (mine[i] == in[j] && j + 1 + in[j] <= inlen &&
          std::equal(mine.begin() + static_cast<long>(i) + 1, mine.begin() + static_cast<long>(i) + 1 + mine[i], in + j + 1)) {
        *out = in + j + 1;
        *outlen = in[j];
        return SSL_TLSEXT_ERR_OK;
      }
    }
  }
  return SSL_TLSEXT_ERR_NOACK;
}

result<std::shared_ptr<ssl_ctx_st>> new_ctx(bool server) {
  ERR_clear_error();
  SSL_CTX* raw = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
  if (!raw) return std::error_code(static_cast<int>(ERR_get_error()), tls_protocol_category());
  std::shared_ptr<ssl_ctx_st> ctx(raw, [](ssl_ctx_st* c) { SSL_CTX_free(c); });
  SSL_CTX_set_min_proto_version(raw, TLS1_2_VERSION);
  // Memory BIOs take every byte SSL_write gives them, but a partial write must still not be
  // reported as a failure by a later call with a moved buffer.
  SSL_CTX_set_mode(raw, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  return ctx;
}

}  // namespace

result<std::vector<std::string>> parse_alpn_list(const std::string& text) {
  std::vector<std::string> names;
  std::size_t start = 0, wire = 0;
  for (;;) {
    auto comma = text.find(',', start);
    auto name = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (name.empty() || name.size() > 255) return make_error_code(tls_errc::bad_alpn_list);
    // The list travels in one ClientHello extension (16-bit lengths, shared with the others):
    // past this, the handshake would fail with only "internal error".
    wire += 1 + name.size();
    if (wire > alpn_wire_max) return make_error_code(tls_errc::bad_alpn_list);
    names.push_back(name);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return names;
}

result<tls_context> tls_context::client(const tls_client_options& opts) {
  auto ctx = new_ctx(false);
  if (!ctx) return ctx.error();
  SSL_CTX* raw = ctx->get();
  tls_context c;
  c.insecure_ = opts.insecure;
  if (!opts.insecure) {
    ERR_clear_error();
    int ok = opts.ca_file.empty() ? SSL_CTX_set_default_verify_paths(raw)
                                  : SSL_CTX_load_verify_locations(raw, opts.ca_file.c_str(), nullptr);
    if (ok != 1) return make_error_code(tls_errc::bad_certificate_file);
    SSL_CTX_set_verify(raw, SSL_VERIFY_PEER, nullptr);
  } else {
    SSL_CTX_set_verify(raw, SSL_VERIFY_NONE, nullptr);
  }
  if (!opts.alpn.empty()) {
    auto wire = alpn_wire(opts.alpn);
    if (!wire) return wire.error();
    if (SSL_CTX_set_alpn_protos(raw, wire->data(), static_cast<unsigned>(wire->size())) != 0) {
      return make_error_code(tls_errc::bad_alpn_list);
    }
  }
  c.ctx_ = std::move(*ctx);
  return c;
}

result<tls_context> tls_context::server(const tls_server_options& opts) {
  if (opts.cert_file.empty() || opts.key_file.empty()) return make_error_code(tls_errc::no_certificate);
  auto ctx = new_ctx(true);
  if (!ctx) return ctx.error();
  SSL_CTX* raw = ctx->get();
  ERR_clear_error();
  if (SSL_CTX_use_certificate_chain_file(raw, opts.cert_file.c_str()) != 1) {
    return make_error_code(tls_errc::bad_certificate_file);
  }
  if (SSL_CTX_use_PrivateKey_file(raw, opts.key_file.c_str(), SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_check_private_key(raw) != 1) {
    return make_error_code(tls_errc::bad_key_file);
  }
  ERR_clear_error();
  tls_context c;
  c.server_ = true;
  if (!opts.alpn.empty()) {
    auto wire = alpn_wire(opts.alpn);
    if (!wire) return wire.error();
    c.alpn_wire_ = std::make_shared<std::vector<unsigned char>>(std::move(*wire));
    SSL_CTX_set_alpn_select_cb(raw, select_alpn, c.alpn_wire_.get());
  }
  c.ctx_ = std::move(*ctx);
  return c;
}

}  // namespace sockit
