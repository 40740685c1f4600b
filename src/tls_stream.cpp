// TLS streams on the event loop: a tls_session driven by readiness (see tls_stream.hpp).
#include "sockit/tls_stream.hpp"

#include "detail/close_handler.hpp"
#include "detail/net.hpp"
#include "sockit/error.hpp"
#include "sockit/io.hpp"
#include "sockit/liveness.hpp"
#include "sockit/options.hpp"

namespace sockit {

namespace {
constexpr std::size_t read_chunk = 64 * 1024;
constexpr std::size_t plain_chunk = 16 * 1024;     // one TLS record's worth
constexpr std::size_t deliver_at = 256 * 1024;     // plaintext handed to on_data in pieces of about this
}  // namespace

std::shared_ptr<tls_stream> tls_stream::create(event_loop& loop, socket s, endpoint peer, tls_session session,
                                               limits l) {
  (void)set_nonblocking(s, true);
  return std::make_shared<tls_stream>(loop, std::move(s), peer, std::move(session), l);
}

tls_stream::tls_stream(event_loop& loop, socket s, endpoint peer, tls_session session, limits l)
    : loop_(loop), socket_(std::move(s)), session_(std::move(session)), limits_(effective(l)), peer_(peer) {}

tls_stream::~tls_stream() {
  if (!closed_ && started_) loop_.unwatch(socket_.native_handle());
}

std::error_code tls_stream::start() {
  if (started_) return std::make_error_code(std::errc::already_connected);
  interest_ = io_readable;
  std::weak_ptr<tls_stream> weak = weak_from_this();
  auto ec = loop_.watch(socket_.native_handle(), interest_, [weak](std::uint32_t ev) {
    if (auto self = weak.lock()) self->handle_events(ev);
  });
  if (ec) return ec;
  started_ = true;
  last_activity_ = std::chrono::steady_clock::now();
  // A client's hello goes out now; a server's handshake waits for it. Errors surface on the loop.
  auto hs = session_.handshake();
  if (hs && hs != errc::would_block) {
    close_deferred(hs);
    return {};
  }
  flush();
  return {};
}

void tls_stream::handle_events(std::uint32_t ev) {
  auto moved = wire_in_ + wire_out_;
  handle_io(ev);
  if (track_activity_ && !closed_ && wire_in_ + wire_out_ != moved) last_activity_ = std::chrono::steady_clock::now();
}

void tls_stream::handle_io(std::uint32_t ev) {
  bool reading = !transport_eof_ && !peer_eof_ &&
                 (!session_.handshake_done() || (!paused_ && !held_ && !closing_));
  if (reading && (ev & (io_readable | io_hangup | io_error))) read_socket();
  if (closed_) return;
  if (!output_.empty() && (ev & (io_writable | io_hangup | io_error))) flush();
  if (closed_) return;
  // Not reading, so nothing else will notice: a dead socket must be closed here or a
  // level-triggered poller would report it forever (as tcp_connection does).
  if ((ev & (io_error | io_hangup)) && !reading) {
    auto ec = pending_error(socket_);
    bool orderly = !ec && peer_eof_ && !truncated_ && output_.empty();
    close(orderly ? std::error_code{} : ec ? ec : std::make_error_code(std::errc::connection_reset));
  }
}

void tls_stream::read_socket() {
  for (int i = 0; i < limits_.max_reads_per_wakeup; ++i) {
    auto n = net_in_.read_from(socket_.native_handle(), read_chunk);
    if (!n) {
      if (n.error() == errc::would_block) break;
      if (n.error() == errc::end_of_stream) {
        transport_eof_ = true;
        break;
      }
      close(n.error());
      return;
    }
    wire_in_ += *n;
    (void)session_.feed(net_in_.readable());
    net_in_.clear();
    if (*n < read_chunk) break;
  }
  net_in_.release_if_empty();
  if (!process()) return;
  if (transport_eof_) {
    update_interest();
    if (!session_.handshake_done()) {
      close(session_.transport_closed());
      return;
    }
    // As tcp_connection: the peer's EOF does not close by itself; we may still send (TLS's
    // half-close), and the stream closes once our side is done too (maybe_finish).
    if (!peer_eof_) {  // FIN without close_notify
      truncated_ = true;
      peer_eof_ = true;
      if (on_peer_eof_) on_peer_eof_(*this); else shutdown_write();
      if (closed_) return;
    }
    maybe_finish();
  }
}

bool tls_stream::process() {
  if (!session_.handshake_done()) {
    auto ec = session_.handshake();
    if (ec == errc::would_block) {
      flush();
      return !closed_;
    }
    if (ec) {
      (void)session_.take_output(output_);  // the alert that tells the peer why, if the socket takes it
      if (!output_.empty()) (void)try_send(socket_, output_.readable());
      close(ec);
      return false;
    }
    if (!early_.empty()) {
      if (auto wec = session_.write(early_.readable())) {
        close(wec);
        return false;
      }
      early_.clear();
      early_.release_if_empty();
    }
    if (on_handshake_) on_handshake_(*this);
    if (closed_) return false;
  }
  bool eof = false;
  while (!paused_ && !held_ && !closing_ && !peer_eof_ && !eof) {
    auto room = input_.prepare(plain_chunk);
    auto r = session_.read(room);
    if (r) {
      input_.commit(*r);
      bytes_in_ += *r;
      if (input_.size() < deliver_at) continue;
    } else if (r.error() == errc::end_of_stream) {
      eof = true;
    } else if (r.error() != errc::would_block) {
      close(r.error());
      return false;
    }
    if (!input_.empty()) {
      if (on_data_ && !lingering_) on_data_(*this, input_); else input_.clear();
      if (closed_) return false;
    }
    if (!r && r.error() == errc::would_block) break;
  }
  input_.release_if_empty();
  flush();
  if (closed_) return false;
  if (eof) {
    peer_eof_ = true;
    update_interest();
    if (on_peer_eof_) on_peer_eof_(*this); else shutdown_write();
    if (closed_) return false;
    maybe_finish();
  }
  return !closed_;
}

void tls_stream::send(std::string_view text) { send(as_bytes(text)); }

void tls_stream::send(std::span<const std::byte> bytes) {
  if (closed_ || closing_ || want_shutdown_ || bytes.empty()) return;
  bytes_out_ += bytes.size();
  if (!session_.handshake_done()) {
    early_.append(bytes);
    if (!paused_ && early_.size() > limits_.high_water) paused_ = true;
    return;
  }
  if (auto ec = session_.write(bytes)) {
    close_deferred(ec);
    return;
  }
  if (output_.empty()) {
    flush();  // as tcp_connection: what the kernel takes at once is never queued
  } else {
    (void)session_.take_output(output_);
    if (!paused_ && output_.size() > limits_.high_water) paused_ = true;
    update_interest();
  }
}

void tls_stream::flush() {
  bool was_queued = !output_.empty();
  for (;;) {
    (void)session_.take_output(output_);
    while (!output_.empty()) {
      auto n = try_send(socket_, output_.readable());
      if (!n) {
        if (n.error() == errc::would_block) break;
        close_deferred(n.error());
        return;
      }
      output_.consume(*n);
      wire_out_ += *n;
    }
    if (!output_.empty()) break;
    // Everything is out: the end of our side, if asked for, is close_notify first.
    if ((want_shutdown_ || closing_) && session_.handshake_done() && early_.empty() && !session_.close_notify_sent()) {
      session_.close_notify();
      continue;
    }
    break;
  }
  if (!paused_ && output_.size() > limits_.high_water) paused_ = true;
  if (paused_ && output_.size() <= limits_.low_water) {
    paused_ = false;
    // Records already fed to the session will not make the socket readable again.
    post_resume();
  }
  if (output_.empty()) {
    output_.release_if_empty();
    if (want_shutdown_ && !write_shut_ && session_.close_notify_sent()) {
      write_shut_ = true;
      (void)socket_.shutdown(shutdown_how::write);
    }
    // close_after_drain: once our close_notify is out (before the handshake: once nothing waits for it).
    if (closing_ && early_.empty() && (session_.close_notify_sent() || !session_.handshake_done())) {
      close();
      return;
    }
    if (was_queued && on_drain_) on_drain_(*this);
    if (closed_) return;
  }
  update_interest();
  maybe_finish();
}

void tls_stream::update_interest() {
  if (!started_ || closed_) return;
  std::uint32_t want = 0;
  bool reading = !transport_eof_ && !peer_eof_ &&
                 (!session_.handshake_done() || (!paused_ && !held_ && !closing_));
  if (reading) want |= io_readable;
  if (!output_.empty()) want |= io_writable;
  if (want != interest_) {
    if (auto ec = loop_.modify(socket_.native_handle(), want)) {
      close_deferred(ec);
      return;
    }
    interest_ = want;
  }
}

void tls_stream::maybe_finish() {
  if (!closed_ && peer_eof_ && write_shut_ && output_.empty()) {
    close(truncated_ ? make_error_code(tls_errc::closed_without_close_notify) : std::error_code{});
  }
}

// Decrypted input the session already holds: processed on a later turn, once.
void tls_stream::post_resume() {
  if (resume_posted_) return;
  resume_posted_ = true;
  std::weak_ptr<tls_stream> weak = weak_from_this();
  loop_.post([weak] {
    auto self = weak.lock();
    if (!self || self->closed_) return;
    self->resume_posted_ = false;
    (void)self->process();
  });
}

void tls_stream::hold_reading(bool on) {
  if (held_ == on) return;
  held_ = on;
  update_interest();
  if (!on && started_ && !closed_) post_resume();
}

void tls_stream::linger() {
  if (closed_ || lingering_) return;
  lingering_ = true;
  input_.clear();
  input_.release_if_empty();
  shutdown_write();
  if (!closed_ && paused_) {
    paused_ = false;  // read (and drop) on, so the peer's data cannot turn our close into a reset
    update_interest();
  }
}

std::size_t tls_stream::kernel_unsent() const noexcept {
  return closed_ ? 0 : detail::kernel_unsent(socket_.native_handle());
}

void tls_stream::shutdown_write() {
  if (closed_ || want_shutdown_) return;
  want_shutdown_ = true;
  if (started_ && output_.empty()) flush();
}

void tls_stream::close_after_drain() {
  if (closed_) return;
  closing_ = true;
  if (!started_) return;
  flush();
}

void tls_stream::close(std::error_code ec) {
  if (closed_) return;
  // The close handler usually drops the owner's reference: stay alive until we return.
  auto guard = weak_from_this().lock();
  ec = release(ec);
  if (on_close_) on_close_(*this, ec);
}

void tls_stream::close_deferred(std::error_code ec) {
  if (closed_) return;
  ec = release(ec);
  detail::run_close_handler_later(loop_, *this, &tls_stream::on_close_, ec);
}

std::error_code tls_stream::release(std::error_code ec) {
  closed_ = true;
  if (started_) (void)loop_.unwatch(socket_.native_handle());
  auto close_ec = socket_.close();
  if (!ec) ec = close_ec;
  net_in_.clear();
  input_.clear();
  output_.clear();
  early_.clear();
  net_in_.release_if_empty();
  input_.release_if_empty();
  output_.release_if_empty();
  early_.release_if_empty();
  return ec;
}

}  // namespace sockit
