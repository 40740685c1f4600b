// The TLS error texts (one line saying why) and the ALPN list parser: pure logic, no sockets.
#include "sockit/tls_error.hpp"

#include <gtest/gtest.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include "sockit/tls_context.hpp"

namespace sockit {
namespace {

TEST(tls_error, verify_failures_say_why) {
  EXPECT_EQ(tls_verify_error(X509_V_ERR_CERT_HAS_EXPIRED).message(), "certificate has expired");
  EXPECT_EQ(tls_verify_error(X509_V_ERR_CERT_NOT_YET_VALID).message(), "certificate is not yet valid");
  EXPECT_EQ(tls_verify_error(X509_V_ERR_HOSTNAME_MISMATCH).message(), "certificate is for another host");
  for (long unknown : {X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT, X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN,
                       X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE}) {
    EXPECT_EQ(tls_verify_error(unknown).message(), "unknown CA (self-signed or untrusted issuer)") << unknown;
  }
  // Others keep OpenSSL's own words behind a prefix.
  EXPECT_EQ(tls_verify_error(X509_V_ERR_INVALID_PURPOSE).message().rfind("certificate rejected: ", 0), 0u);
  EXPECT_TRUE(is_tls_error(tls_verify_error(X509_V_ERR_CERT_HAS_EXPIRED)));
}

TEST(tls_error, handshake_errors_carry_openssl_reason) {
  auto packed = static_cast<int>(ERR_PACK(ERR_LIB_SSL, 0, SSL_R_WRONG_VERSION_NUMBER));
  EXPECT_EQ(std::error_code(packed, tls_handshake_category()).message(), "handshake failed: wrong version number");
  EXPECT_EQ(std::error_code(packed, tls_protocol_category()).message(), "TLS error: wrong version number");
  EXPECT_TRUE(is_tls_error(std::error_code(packed, tls_handshake_category())));
  EXPECT_FALSE(is_tls_error(std::make_error_code(std::errc::connection_reset)));
}

TEST(tls_error, own_codes) {
  EXPECT_EQ(std::error_code(tls_errc::closed_during_handshake).message(),
            "peer closed the connection during the handshake");
  EXPECT_EQ(std::error_code(tls_errc::closed_without_close_notify).message(),
            "peer closed without close_notify (the data may be truncated)");
  EXPECT_EQ(std::error_code(tls_errc::closed_during_handshake).category().name(), std::string("tls"));
}

TEST(tls_alpn, lists) {
  auto two = parse_alpn_list("h2,http/1.1");
  ASSERT_TRUE(two);
  EXPECT_EQ(*two, (std::vector<std::string>{"h2", "http/1.1"}));
  EXPECT_TRUE(parse_alpn_list(std::string(255, 'a')));
  EXPECT_EQ(parse_alpn_list(std::string(256, 'a')).error(), make_error_code(tls_errc::bad_alpn_list));
  for (const char* bad : {"", ",", "h2,", ",h2", "h2,,x"}) EXPECT_FALSE(parse_alpn_list(bad)) << bad;
}

TEST(tls_context, a_server_needs_a_certificate_and_a_key) {
  EXPECT_EQ(tls_context::server({}).error(), make_error_code(tls_errc::no_certificate));
  auto c = tls_context::client({.insecure = true});
  ASSERT_TRUE(c);
  EXPECT_FALSE(c->is_server());
  EXPECT_TRUE(c->insecure());
  EXPECT_EQ(tls_context::client({.alpn = {""}}).error(), make_error_code(tls_errc::bad_alpn_list));
}

}  // namespace
}  // namespace sockit
