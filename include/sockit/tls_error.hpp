// sockit/tls_error.hpp: the errors of sockit's TLS layer (public). Three categories, each message
// one line saying why:
//   tls_category()          sockit's own TLS outcomes (tls_errc): a peer that closed without
//                           close_notify, or during the handshake; a bad certificate or key file
//   tls_verify_category()   the peer's certificate was rejected; the value is OpenSSL's
//                           X509_V_ERR_* code ("certificate has expired", "unknown CA ...")
//   tls_handshake_category() / tls_protocol_category()
//                           an OpenSSL error (the value is ERR_get_error()'s packed code), found
//                           during the handshake ("handshake failed: wrong version number") or
//                           after it ("TLS error: bad record mac")
#pragma once

#include <string>
#include <system_error>

namespace sockit {

enum class tls_errc {
  closed_without_close_notify = 1,  // the transport's EOF came without the peer's close_notify
  closed_during_handshake,          // the transport's EOF (or a reset) before the handshake finished
  bad_certificate_file,             // a certificate or CA file that cannot be read or parsed
  bad_key_file,                     // a private key file that cannot be read, parsed, or does not match
  no_certificate,                   // a server context without a certificate
  bad_alpn_list,                    // an ALPN list with an empty or > 255-byte name
  not_ready,                        // application data before the handshake finished (tls_session)
};

const std::error_category& tls_category() noexcept;
const std::error_category& tls_verify_category() noexcept;
const std::error_category& tls_handshake_category() noexcept;
const std::error_category& tls_protocol_category() noexcept;
std::error_code make_error_code(tls_errc e) noexcept;

// The X509_V_ERR_* code for a rejected certificate, and OpenSSL's packed error code.
inline std::error_code tls_verify_error(long x509_code) noexcept {
  return {static_cast<int>(x509_code), tls_verify_category()};
}

// True for an error of any of the TLS categories.
bool is_tls_error(std::error_code ec) noexcept;

}  // namespace sockit

template <>
struct std::is_error_code_enum<sockit::tls_errc> : std::true_type {};
