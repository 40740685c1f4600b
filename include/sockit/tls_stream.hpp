// sockit/tls_stream.hpp: a TLS connection on the event loop (public), next to tcp_connection and
// with its callback contract: on_data/on_close/on_peer_eof/on_drain, send, shutdown_write, close,
// close_after_drain, and the same high/low-water backpressure (counted on the ciphertext queued
// for the socket). The handshake is driven by the loop like any other I/O: the session's "want
// more input" is read interest, queued ciphertext is write interest; no thread, no blocking call.
//
// Differences from tcp_connection, all from TLS itself:
// - send() before the handshake finishes is queued and encrypted once it has.
// - on_handshake runs once the handshake is done (after the certificate was verified); a failed
//   handshake closes the stream with the reason (tls_error.hpp; tls_session::describe adds the
//   host for a host mismatch). A peer that never finishes it is the owner's to time out.
// - The peer's EOF is its close_notify. A transport EOF without one runs on_peer_eof too, but the
//   close handler then reports tls_errc::closed_without_close_notify (the data may be truncated).
// - shutdown_write() sends close_notify, then FIN, once the queue is written; reading goes on until
//   the peer's close_notify (or EOF), as with TCP.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string_view>

#include "sockit/buffer.hpp"
#include "sockit/endpoint.hpp"
#include "sockit/event_loop.hpp"
#include "sockit/socket.hpp"
#include "sockit/tcp_connection.hpp"
#include "sockit/tls_session.hpp"

namespace sockit {

class tls_stream : public std::enable_shared_from_this<tls_stream> {
 public:
  using limits = connection_limits;
  using data_handler = std::function<void(tls_stream&, buffer& input)>;
  using close_handler = std::function<void(tls_stream&, std::error_code ec)>;
  using event_handler = std::function<void(tls_stream&)>;

  // The socket must be a connected stream socket; it is made non-blocking.
  static std::shared_ptr<tls_stream> create(event_loop& loop, socket s, endpoint peer, tls_session session,
                                            limits l = limits{});
  ~tls_stream();

  void on_data(data_handler h) { on_data_ = std::move(h); }
  void on_close(close_handler h) { on_close_ = std::move(h); }
  void on_peer_eof(event_handler h) { on_peer_eof_ = std::move(h); }
  void on_drain(event_handler h) { on_drain_ = std::move(h); }
  void on_handshake(event_handler h) { on_handshake_ = std::move(h); }

  // Starts watching the socket and the handshake (a client's hello leaves now).
  std::error_code start();

  void send(std::span<const std::byte> bytes);
  void send(std::string_view text);
  void shutdown_write();
  void close(std::error_code ec = {});
  void close_after_drain();
  void hold_reading(bool on);
  // A server's graceful stop, as tcp_connection::linger(): nothing new is queued, plaintext that
  // arrives is dropped (still read, so the final close is no reset), then close_notify and FIN.
  void linger();
  // Bytes the kernel still holds for the peer (SIOCOUTQ; ciphertext); 0 on error.
  std::size_t kernel_unsent() const noexcept;

  bool handshake_done() const noexcept { return session_.handshake_done(); }
  const tls_session& session() const noexcept { return session_; }
  // Ciphertext queued for the socket, and plaintext waiting for the handshake.
  std::size_t output_size() const noexcept { return output_.size() + early_.size(); }
  bool reading_paused() const noexcept { return paused_; }
  bool closed() const noexcept { return closed_; }
  const endpoint& peer() const noexcept { return peer_; }
  int fd() const noexcept { return socket_.native_handle(); }
  // Plaintext bytes delivered to on_data and accepted by send().
  std::uint64_t bytes_in() const noexcept { return bytes_in_; }
  std::uint64_t bytes_out() const noexcept { return bytes_out_; }
  // Bytes the socket has taken (ciphertext, the TLS records' overhead included): progress as the
  // peer sees it, where bytes_out() counts what send() accepted.
  std::uint64_t wire_bytes_out() const noexcept { return wire_out_; }
  // As tcp_connection: when bytes last moved on the socket (or start()), for an idle timeout; off
  // with track_activity(false).
  std::chrono::steady_clock::time_point last_activity() const noexcept { return last_activity_; }
  void track_activity(bool on) noexcept { track_activity_ = on; }
  event_loop& loop() noexcept { return loop_; }

  std::shared_ptr<void> context;

  tls_stream(event_loop& loop, socket s, endpoint peer, tls_session session, limits l);  // use create()

 private:
  void handle_events(std::uint32_t ev);
  void handle_io(std::uint32_t ev);
  void read_socket();
  // Runs the handshake and reads plaintext from what the session holds; false if closed.
  bool process();
  void post_resume();
  void flush();
  void update_interest();
  void maybe_finish();
  void send_close_notify();
  void close_deferred(std::error_code ec);
  std::error_code release(std::error_code ec);

  event_loop& loop_;
  socket socket_;
  tls_session session_;
  limits limits_;
  buffer net_in_;   // ciphertext read, on its way into the session
  buffer input_;    // plaintext for on_data
  buffer output_;   // ciphertext for the socket
  buffer early_;    // plaintext sent before the handshake finished
  std::uint64_t bytes_in_ = 0;
  std::uint64_t bytes_out_ = 0;
  std::uint64_t wire_out_ = 0;
  std::uint64_t wire_in_ = 0;
  std::chrono::steady_clock::time_point last_activity_{};
  bool track_activity_ = true;
  bool lingering_ = false;
  std::uint32_t interest_ = 0;
  bool started_ = false;
  bool paused_ = false;
  bool held_ = false;
  bool peer_eof_ = false;       // the peer's close_notify (or its transport EOF)
  bool transport_eof_ = false;  // the socket's EOF
  bool truncated_ = false;      // EOF without close_notify
  bool want_shutdown_ = false;
  bool write_shut_ = false;
  bool closing_ = false;
  bool closed_ = false;
  bool resume_posted_ = false;
  data_handler on_data_;
  close_handler on_close_;
  event_handler on_peer_eof_;
  event_handler on_drain_;
  event_handler on_handshake_;
  endpoint peer_;
};

}  // namespace sockit
