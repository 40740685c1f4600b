// sockit/tls_session.hpp: one TLS connection's state without any I/O (public), like
// proxy_handshake: the caller feeds it the bytes that arrived from the peer, takes the bytes to
// send, and reads and writes plaintext. tls_stream (tls_stream.hpp) drives it on the event loop;
// the CLI's netcat relay drives it on its own poll loop.
//
// Why memory BIOs and not SSL_set_fd: OpenSSL's socket BIO writes with write(2), which raises
// SIGPIPE on a reset connection, and the library never changes a process's signal disposition;
// with memory BIOs every byte still moves through io.hpp's try_send (MSG_NOSIGNAL) and the
// buffer's readv, EINTR/EAGAIN stay in the one syscall layer, and the same session runs over any
// connected stream (a proxy's tunnel, a socketpair) and on any loop backend, io_uring included.
//
//   peer --ciphertext--> feed() --[rbio]--> SSL --> read()           plaintext in
//   write() --> SSL --[wbio]--> take_output() --ciphertext--> peer   plaintext out
//
// SSL_ERROR_WANT_READ means "feed me more" (std::errc::resource_unavailable_try_again, as
// errc::would_block); SSL never wants to write, since the memory BIO takes everything.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "sockit/buffer.hpp"
#include "sockit/result.hpp"
#include "sockit/tls_context.hpp"

struct ssl_st;

namespace sockit {

class tls_session {
 public:
  // A client: `host` is the name (or address) to verify the certificate against and, when it is
  // a name, to send as SNI; an empty host checks the chain only. `sni` overrides the name sent.
  static result<tls_session> client(const tls_context& ctx, std::string_view host, std::string_view sni = {});
  static result<tls_session> server(const tls_context& ctx);

  tls_session(tls_session&&) noexcept = default;
  tls_session& operator=(tls_session&&) noexcept = default;
  ~tls_session();

  // Ciphertext from the peer; all of it is taken.
  std::error_code feed(std::span<const std::byte> cipher);
  // Ciphertext to send, appended to `out`; returns how many bytes.
  std::size_t take_output(buffer& out);
  std::size_t output_pending() const noexcept;

  // Runs the handshake as far as the input fed so far allows: {} once done, errc::would_block
  // while it needs more (take_output() first: there may be bytes to send), or why it failed
  // (tls_verify_category() for a rejected certificate, tls_handshake_category() otherwise).
  std::error_code handshake();
  bool handshake_done() const noexcept { return done_; }

  // Plaintext that arrived: at least 1 byte, errc::would_block (feed more), errc::end_of_stream
  // (the peer's close_notify), or a protocol error.
  result<std::size_t> read(std::span<std::byte> plain);
  // Encrypts all of `plain` into the output (only after the handshake: tls_errc::not_ready).
  std::error_code write(std::span<const std::byte> plain);
  // Queues our close_notify: we send no more. Reading goes on (OpenSSL 3 keeps decrypting what
  // the peer sends after it, TLS 1.2 and 1.3 alike), so this is TLS's half-close.
  void close_notify();
  bool close_notify_sent() const noexcept { return sent_close_; }
  bool close_notify_received() const noexcept { return got_close_; }

  // What the end of the transport (the peer's FIN or a reset) means at this point: {} after the
  // peer's close_notify, else tls_errc::closed_during_handshake or closed_without_close_notify.
  std::error_code transport_closed() const noexcept;

  // A failed handshake's error in one line, with what the code cannot carry: "certificate is
  // for another host (wanted localhost)".
  std::string describe(std::error_code ec) const;

  // After the handshake: "TLSv1.3", "TLS_AES_256_GCM_SHA384", the ALPN protocol ("" if none),
  // the peer certificate's subject ("" if none: a server's client rarely sends one).
  std::string version() const;
  std::string cipher() const;
  std::string alpn() const;
  std::string peer_subject() const;

 private:
  tls_session() = default;
  std::error_code fail(int ret, bool in_handshake);

  struct ssl_free {
    void operator()(ssl_st* s) const noexcept;
  };
  std::unique_ptr<ssl_st, ssl_free> ssl_;
  tls_context ctx_;  // keeps the context's ALPN list alive for the select callback
  std::string host_;
  bool done_ = false;
  bool sent_close_ = false;
  bool got_close_ = false;
};

}  // namespace sockit
