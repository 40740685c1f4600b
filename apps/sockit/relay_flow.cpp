// One direction of a relayed connection: splice, copy or timed.
#include "relay_flow.hpp"

#include <algorithm>
#include <cstring>

#include <spdlog/spdlog.h>

#include "sockit/error.hpp"
#include "sockit/io.hpp"

namespace sockit::cli {

namespace {
constexpr int max_rounds = 16;  // per wake-up, as tcp_connection caps its reads
bool would_block(std::error_code ec) { return ec == errc::would_block; }
}  // namespace

relay_flow::relay_flow(const socket& src, const socket& dst, const flow_options& o)
    : src_(src), dst_(dst), path_(o.copy ? path::copy : path::splice), pipe_size_(o.pipe_size) {
  if (o.impair && o.impair->active()) {
    path_ = path::timed;
    queue_ = std::make_unique<timed_queue>();
    impair_ = std::make_unique<impairment>(*o.impair, o.seed);
    pacer_ = std::make_unique<pacer>(o.impair->rate);
  }
}

relay_flow::~relay_flow() = default;

bool relay_flow::self_driven() const noexcept { return false; }

void relay_flow::start() {
  if (path_ == path::splice) {
    auto p = splice_pipe::create(pipe_size_);
    if (p) {
      pipe_ = std::move(*p);
    } else {
      spdlog::debug("relay: no pipe ({}): copying instead", p.error().message());
      path_ = path::copy;
    }
  }
  if (path_ == path::copy) buf_size_ = flow_copy_buffer;
}

std::size_t relay_flow::held() const noexcept {
  switch (path_) {
    case path::splice: return pipe_.size();
    case path::copy: return tail_ - head_;
    case path::timed: return queue_->bytes();
  }
  return 0;
}

bool relay_flow::wants_read() const noexcept {
  if (src_eof_ || stop_reading_) return false;
  switch (path_) {
    case path::splice: return pipe_.space() > 0;
    case path::copy: return tail_ < buf_size_ || head_ > 0;
    case path::timed: return queue_->bytes() < flow_queue_limit;
  }
  return false;
}

bool relay_flow::wants_write() const noexcept {
  if (path_ == path::timed) return blocked_ && !queue_->empty();
  return held() > 0;  // after a pump, bytes still held mean dst took no more
}

std::optional<relay_flow::clock::time_point> relay_flow::wake_at() const noexcept {
  if (path_ != path::timed || queue_->empty() || blocked_) return std::nullopt;
  return std::max(queue_->head_due(), pacer_->limited() ? pacer_->next() : clock::time_point{});
}

std::error_code relay_flow::pump(clock::time_point now) {
  for (int round = 0; round < max_rounds; ++round) {
    bool moved = false;
    if (auto ec = read_some(now, moved)) return ec;
    if (auto ec = write_some(now, moved)) return ec;
    if (!moved) break;
  }
  if (path_ == path::copy && head_ == tail_) {
    buf_.reset();
    head_ = tail_ = 0;
  }
  if (src_eof_ && held() == 0 && !shut_) {
    shut_ = true;
    auto ec = dst_.shutdown(shutdown_how::write);
    // The peer may have gone already; that shows on the other direction's next read.
    if (ec && ec != std::errc::not_connected) return ec;
  }
  return {};
}

std::error_code relay_flow::read_some(clock::time_point now, bool& moved) {
  if (src_eof_ || stop_reading_) return {};
  if (path_ == path::splice) {
    if (pipe_.space() == 0) return {};
    auto n = pipe_.fill_from(src_.native_handle());
    if (n) {
      in_ += *n;
      moved = true;
      return {};
    }
    if (!splice_unsupported(n.error())) return read_stopped(n.error(), moved);
    if (auto ec = fall_back_to_copy()) return ec;
    // and read with recv below
  }
  if (path_ == path::copy) {
    if (tail_ == buf_size_ && head_ > 0) {  // make room at the end
      std::memmove(buf_.get(), buf_.get() + head_, tail_ - head_);
      tail_ -= head_;
      head_ = 0;
    }
    if (tail_ == buf_size_) return {};
    if (!buf_) buf_.reset(new std::byte[buf_size_]);
    auto n = try_recv(src_, std::span<std::byte>(buf_.get() + tail_, buf_size_ - tail_));
    if (n) {
      tail_ += *n;
      in_ += *n;
      moved = true;
      return {};
    }
    return read_stopped(n.error(), moved);
  }
  return read_timed(now, moved);
}

std::error_code relay_flow::write_some(clock::time_point now, bool& moved) {
  if (path_ == path::splice) {
    if (pipe_.empty()) return {};
    auto n = pipe_.drain_to(dst_.native_handle());
    if (n) {
      out_ += *n;
      if (*n > 0) moved = true;
      return {};
    }
    if (would_block(n.error())) return {};
    if (!splice_unsupported(n.error())) return n.error();
    if (auto ec = fall_back_to_copy()) return ec;
  }
  if (path_ == path::copy) {
    if (head_ == tail_) return {};
    auto n = try_send(dst_, std::span<const std::byte>(buf_.get() + head_, tail_ - head_));
    if (n) {
      head_ += *n;
      out_ += *n;
      if (head_ == tail_) head_ = tail_ = 0;
      moved = true;
      return {};
    }
    if (would_block(n.error())) return {};
    return n.error();
  }
  return write_timed(now, moved);  // what is due, as fast as the pacer lets it go
}

std::error_code relay_flow::fall_back_to_copy() {
  spdlog::debug("relay: splice refused on fd {} -> {}: copying instead", src_.native_handle(), dst_.native_handle());
  path_ = path::copy;
  buf_size_ = std::max(flow_copy_buffer, pipe_.capacity());
  buf_.reset(new std::byte[buf_size_]);
  head_ = tail_ = 0;
  while (!pipe_.empty()) {
    auto n = pipe_.read_into(std::span<std::byte>(buf_.get() + tail_, buf_size_ - tail_));
    if (!n) return n.error();
    tail_ += *n;
  }
  pipe_.close();
  return {};
}

}  // namespace sockit::cli
