// The TLS error categories: one line saying why a handshake or a certificate failed.
#include "sockit/tls_error.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

namespace sockit {

namespace {

class tls_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "tls"; }
  std::string message(int ev) const override {
    switch (static_cast<tls_errc>(ev)) {
      case tls_errc::closed_without_close_notify: return "peer closed without close_notify (the data may be truncated)";
      case tls_errc::closed_during_handshake: return "peer closed the connection during the handshake";
      case tls_errc::bad_certificate_file: return "cannot load the certificate file";
      case tls_errc::bad_key_file: return "cannot load the private key file, or it does not match the certificate";
      case tls_errc::no_certificate: return "a TLS server needs a certificate and a key";
      case tls_errc::bad_alpn_list: return "bad ALPN list (names of 1 to 255 bytes, comma-separated, 32 KiB in all)";
      case tls_errc::not_ready: return "the TLS handshake has not finished";
    }
    return "unknown TLS error " + std::to_string(ev);
  }
};

class verify_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "tls-verify"; }
  std::string message(int ev) const override {
    switch (ev) {
      case X509_V_ERR_CERT_HAS_EXPIRED: return "certificate has expired";
      case X509_V_ERR_CERT_NOT_YET_VALID: return "certificate is not yet valid";
      case X509_V_ERR_HOSTNAME_MISMATCH: return "certificate is for another host";
      case X509_V_ERR_IP_ADDRESS_MISMATCH: return "certificate is for another address";
      case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
      case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
      case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
      case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
      case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
        return "unknown CA (self-signed or untrusted issuer)";
      case X509_V_ERR_CERT_REVOKED: return "certificate has been revoked";
      default: return std::string("certificate rejected: ") + X509_verify_cert_error_string(ev);
    }
  }
};

class openssl_category_impl final : public std::error_category {
 public:
  openssl_category_impl(const char* name, const char* prefix) : name_(name), prefix_(prefix) {}
  const char* name() const noexcept override { return name_; }
  std::string message(int ev) const override {
    auto code = static_cast<unsigned long>(static_cast<unsigned int>(ev));
    // The strings are loaded with the first SSL_CTX; a code may be shown before any (idempotent).
    OPENSSL_init_ssl(OPENSSL_INIT_LOAD_SSL_STRINGS | OPENSSL_INIT_LOAD_CRYPTO_STRINGS, nullptr);
    const char* reason = ERR_reason_error_string(code);
    std::string why = reason ? reason : "OpenSSL error " + std::to_string(ev);
    return prefix_ + why;
  }

 private:
  const char* name_;
  std::string prefix_;
};

}  // namespace

const std::error_category& tls_category() noexcept {
  static const tls_category_impl c;
  return c;
}
const std::error_category& tls_verify_category() noexcept {
  static const verify_category_impl c;
  return c;
}
const std::error_category& tls_handshake_category() noexcept {
  static const openssl_category_impl c("tls-handshake", "handshake failed: ");
  return c;
}
const std::error_category& tls_protocol_category() noexcept {
  static const openssl_category_impl c("tls-protocol", "TLS error: ");
  return c;
}
std::error_code make_error_code(tls_errc e) noexcept { return {static_cast<int>(e), tls_category()}; }

bool is_tls_error(std::error_code ec) noexcept {
  const auto& c = ec.category();
  return c == tls_category() || c == tls_verify_category() || c == tls_handshake_category() ||
         c == tls_protocol_category();
}

}  // namespace sockit
