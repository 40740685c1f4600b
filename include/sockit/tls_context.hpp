// sockit/tls_context.hpp: what a TLS client or server is configured with (public): trust (the
// system store, a CA file, or none), ALPN, and a server's certificate and key. One context serves
// any number of sessions (tls_session.hpp); it is immutable once made and may be shared by
// threads. Needs OpenSSL 3 (Debian's libssl-dev).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "sockit/result.hpp"
#include "sockit/tls_error.hpp"

struct ssl_ctx_st;  // OpenSSL's SSL_CTX, kept out of the public headers

namespace sockit {

struct tls_client_options {
  // Trust: the system store (Debian: ca-certificates) unless ca_file names a PEM file of CAs.
  std::string ca_file;
  // Skips certificate and host name checks altogether (the handshake still encrypts).
  bool insecure = false;
  // Protocols offered in order ("h2", "http/1.1"); empty: no ALPN.
  std::vector<std::string> alpn;
};

struct tls_server_options {
  std::string cert_file;  // PEM, the server's certificate followed by any intermediates
  std::string key_file;   // PEM private key matching it
  // Protocols accepted, in the server's order of preference; a client offering none of them
  // gets no ALPN (not an error). Empty: ALPN is ignored.
  std::vector<std::string> alpn;
};

class tls_context {
 public:
  static result<tls_context> client(const tls_client_options& opts);
  static result<tls_context> server(const tls_server_options& opts);

  bool is_server() const noexcept { return server_; }
  bool insecure() const noexcept { return insecure_; }
  ssl_ctx_st* native_handle() const noexcept { return ctx_.get(); }

 private:
  std::shared_ptr<ssl_ctx_st> ctx_;
  bool server_ = false;
  bool insecure_ = false;
  std::shared_ptr<std::vector<unsigned char>> alpn_wire_;  // the server's list, for its select callback
};

// "h2,http/1.1" -> {"h2", "http/1.1"}; an empty name or one over 255 bytes is tls_errc::bad_alpn_list.
result<std::vector<std::string>> parse_alpn_list(const std::string& text);

}  // namespace sockit
