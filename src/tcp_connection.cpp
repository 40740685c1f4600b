// Buffered TCP connections on the event loop.
#include "sockit/tcp_connection.hpp"

#include <cerrno>

#include "detail/net.hpp"
#include "detail/close_handler.hpp"
#include "sockit/error.hpp"
#include "sockit/io.hpp"
#include "sockit/liveness.hpp"
#include "sockit/options.hpp"

namespace sockit {

namespace {
constexpr std::size_t read_chunk = 64 * 1024;

// A connection with nothing buffered holds no input memory (so 10k idle connections cost no
// buffers), but allocating 64 KiB for every read and freeing it after would put a malloc, a free
// and (through buffer::read_from's spill area) a copy on every message. Instead each thread keeps
// one read block that a connection borrows for the length of handle_read() and gives back
// when it has consumed what it read; bytes a handler leaves behind are copied into the
// connection's own (right-sized) buffer.
thread_local buffer read_spare;

// Returns whether `input` now holds a read block.
bool borrow_input(buffer& input) {
  if (input.capacity() != 0) return false;  // holds bytes a handler left: read behind them
  if (read_spare.capacity() != 0) {
    input = std::move(read_spare);
  } else {
    (void)input.prepare(read_chunk);  // the first read on this thread (or a nested one): a new block
  }
  return true;
}

void give_back_input(buffer& input, bool borrowed) {
  if (!borrowed || input.capacity() != read_chunk) {  // the connection's own buffer (or grown past the block)
    input.release_if_empty();
    return;
  }
  if (!input.empty()) {
    buffer own;
    own.append(input.readable());
    input.clear();
    buffer block = std::move(input);
    input = std::move(own);
    if (read_spare.capacity() == 0) read_spare = std::move(block);
    return;
  }
  if (read_spare.capacity() == 0) {
    read_spare = std::move(input);
  } else {
    input.release_if_empty();
  }
}
}  // namespace

std::shared_ptr<tcp_connection> tcp_connection::create(event_loop& loop, socket s, endpoint peer, limits l) {
  (void)set_nonblocking(s, true);  // cannot fail on a valid socket; a bad one fails at start()
  return std::make_shared<tcp_connection>(loop, std::move(s), peer, l);
}

tcp_connection::tcp_connection(event_loop& loop, socket s, endpoint peer, limits l)
    : loop_(loop), socket_(std::move(s)), limits_(effective(l)), peer_(peer) {}

tcp_connection::~tcp_connection() {
  if (!closed_ && started_) loop_.unwatch(socket_.native_handle());
}

std::error_code tcp_connection::start() {
  if (started_) return std::make_error_code(std::errc::already_connected);
  // Output queued by send() before start() must be flushed too, or it would wait for a read.
  interest_ = io_readable | (output_.empty() ? 0u : static_cast<std::uint32_t>(io_writable));
  std::weak_ptr<tcp_connection> weak = weak_from_this();
  auto ec = loop_.watch(socket_.native_handle(), interest_, [weak](std::uint32_t ev) {
    if (auto self = weak.lock()) self->handle_events(ev);
  });
  if (!ec) {
    started_ = true;
    last_activity_ = std::chrono::steady_clock::now();
  }
  return ec;
}

void tcp_connection::handle_events(std::uint32_t ev) {
  auto moved = bytes_in_ + bytes_out_;
  handle_io(ev);
  if (track_activity_ && !closed_ && bytes_in_ + bytes_out_ != moved) last_activity_ = std::chrono::steady_clock::now();
}

void tcp_connection::handle_io(std::uint32_t ev) {
  // Wine's WSAPoll takes the reset it reports as POLLERR: SO_ERROR and recv then read as an
  // orderly end. An end of stream read in the same turn as an error event is the reset.
  error_event_ = detail::is_windows && (ev & io_error) != 0;
  bool reading = !paused_ && !held_ && !peer_eof_ && !closing_;
  if (reading && (ev & (io_readable | io_hangup | io_error))) handle_read();
  if (closed_) return;
  if (!output_.empty() && (ev & (io_writable | io_hangup | io_error))) handle_write();
  if (closed_) return;
  // Not reading, so nothing else will notice: a dead socket must be closed here or a
  // level-triggered poller would report it forever.
  if ((ev & (io_error | io_hangup)) && (paused_ || held_ || peer_eof_ || closing_)) {
    auto ec = pending_error(socket_);
    close(ec ? ec : std::make_error_code(std::errc::connection_reset));
  }
}

void tcp_connection::handle_read() {
  bool borrowed = borrow_input(input_);
  for (int i = 0; i < limits_.max_reads_per_wakeup && !closed_; ++i) {
    auto n = input_.read_from(socket_.native_handle(), read_chunk);
    if (!n && n.error() != errc::end_of_stream) {
      auto ec = n.error();
      if (ec == errc::would_block) break;
      close(ec);
      return;
    }
    if (!n && error_event_) {
      close(std::make_error_code(std::errc::connection_reset));
      return;
    }
    if (!n) {  // end of stream
      peer_eof_ = true;
      update_interest();
      if (lingering_) {
        // FIN is already on its way once the output drains; the peer's EOF ends it.
      } else if (on_peer_eof_) {
        on_peer_eof_(*this);
      } else {
        shutdown_write();
      }
      maybe_finish();
      if (!closed_) give_back_input(input_, borrowed);
      return;
    }
    bytes_in_ += *n;
    if (on_data_ && !lingering_) {
      on_data_(*this, input_);
    } else {
      input_.clear();
    }
    if (closed_ || paused_ || held_ || closing_) break;
    if (*n < read_chunk) break;  // the kernel buffer is drained: skip the EAGAIN round trip
  }
  if (!closed_) give_back_input(input_, borrowed);
}

void tcp_connection::send(std::string_view text) { send(as_bytes(text)); }

void tcp_connection::send(std::span<const std::byte> bytes) {
  if (closed_ || closing_ || want_shutdown_ || bytes.empty()) return;
  std::size_t sent = 0;
  if (output_.empty()) {
    auto n = try_send(socket_, bytes);
    if (n) {
      sent = *n;
    } else if (n.error() != errc::would_block) {
      close_deferred(n.error());
      return;
    }
    bytes_out_ += sent;
  }
  if (sent < bytes.size()) {
    output_.append(bytes.subspan(sent));
    if (!paused_ && output_.size() > limits_.high_water) paused_ = true;
    update_interest();
  }
}

void tcp_connection::handle_write() {
  while (!output_.empty()) {
    auto data = output_.readable();
    auto n = try_send(socket_, data);
    if (!n) {
      if (n.error() == errc::would_block) break;
      close(n.error());
      return;
    }
    bytes_out_ += *n;
    output_.consume(*n);
  }
  if (paused_ && output_.size() <= limits_.low_water) paused_ = false;
  if (output_.empty()) {
    output_.release_if_empty();
    if (want_shutdown_ && !write_shut_) {
      write_shut_ = true;
      (void)socket_.shutdown(shutdown_how::write);
    }
    if (closing_) {
      close();
      return;
    }
    if (on_drain_) on_drain_(*this);
    if (closed_) return;
  }
  update_interest();
  maybe_finish();
}

void tcp_connection::update_interest() {
  if (!started_ || closed_) return;
  std::uint32_t want = 0;
  if (!paused_ && !held_ && !peer_eof_ && !closing_) want |= io_readable;
  if (!output_.empty()) want |= io_writable;
  if (want != interest_) {
    if (auto ec = loop_.modify(socket_.native_handle(), want)) {
      close_deferred(ec);
      return;
    }
    interest_ = want;
  }
}

void tcp_connection::maybe_finish() {
  if (!closed_ && peer_eof_ && write_shut_) close();
}

void tcp_connection::hold_reading(bool on) {
  if (held_ == on) return;
  held_ = on;
  update_interest();
}

void tcp_connection::shutdown_write() {
  if (closed_ || want_shutdown_) return;
  want_shutdown_ = true;
  if (output_.empty()) {
    write_shut_ = true;
    (void)socket_.shutdown(shutdown_how::write);
    maybe_finish();
  }
}

void tcp_connection::close_after_drain() {
  if (closed_) return;
  closing_ = true;
  if (output_.empty()) {
    close();
  } else {
    update_interest();
  }
}

void tcp_connection::linger() {
  if (closed_ || lingering_) return;
  lingering_ = true;
  paused_ = false;  // read (and discard) so that the peer's data cannot turn our close into a reset
  input_.clear();
  input_.release_if_empty();
  shutdown_write();
  if (!closed_) update_interest();
}

std::size_t tcp_connection::kernel_unsent() const noexcept {
  return closed_ ? 0 : detail::kernel_unsent(socket_.native_handle());
}

void tcp_connection::close(std::error_code ec) {
  if (closed_) return;
  // The close handler usually drops the owner's reference: stay alive until we return.
  auto guard = weak_from_this().lock();
  ec = release(ec);
  if (on_close_) on_close_(*this, ec);
}

void tcp_connection::close_deferred(std::error_code ec) {
  if (closed_) return;
  ec = release(ec);
  detail::run_close_handler_later(loop_, *this, &tcp_connection::on_close_, ec);
}

std::error_code tcp_connection::release(std::error_code ec) {
  closed_ = true;
  if (started_) (void)loop_.unwatch(socket_.native_handle());
  auto close_ec = socket_.close();
  if (!ec) ec = close_ec;
  input_.clear();
  output_.clear();
  give_back_input(input_, input_.capacity() == read_chunk);  // empty by now: the block, if it is one, is reused
  output_.release_if_empty();
  return ec;
}

}  // namespace sockit
