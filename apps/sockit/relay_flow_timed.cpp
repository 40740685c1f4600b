// The part of relay_flow that no platform does its own way: the timed path (impairments: the
// delay queue and the pacer, on readiness with try_recv/try_send), how a read that stopped is
// read, and the paths' names.
#include <algorithm>

#include "relay_flow.hpp"
#include "sockit/error.hpp"
#include "sockit/io.hpp"

namespace sockit::cli {

const char* path_name(relay_flow::path p) noexcept {
  switch (p) {
    case relay_flow::path::splice: return "splice";
    case relay_flow::path::copy: return "copy";
    case relay_flow::path::timed: return "timed";
  }
  return "?";
}

std::error_code relay_flow::read_stopped(std::error_code ec, bool& moved) {
  if (ec == errc::would_block) return {};
  if (ec == errc::end_of_stream) {
    src_eof_ = moved = true;  // the FIN is news: the pump goes round once more to pass it on
    return {};
  }
  return ec;
}

std::error_code relay_flow::read_timed(clock::time_point now, bool& moved) {
  if (queue_->bytes() >= flow_queue_limit) return {};
  std::byte chunk[flow_read_chunk];
  std::size_t want = std::min(flow_read_chunk, flow_queue_limit - queue_->bytes());
  auto n = try_recv(src_, std::span<std::byte>(chunk, want));
  if (n) {
    in_ += *n;
    queue_->push(impair_->stream_due(now), std::span<const std::byte>(chunk, *n));
    moved = true;
    return {};
  }
  return read_stopped(n.error(), moved);
}

std::error_code relay_flow::write_timed(clock::time_point now, bool& moved) {
  blocked_ = false;
  while (!queue_->empty() && queue_->head_due() <= now && pacer_->ready(now)) {
    auto bytes = queue_->head();
    if (pacer_->limited() && bytes.size() > pacer_->quantum()) bytes = bytes.first(pacer_->quantum());
    auto n = try_send(dst_, bytes);
    if (!n) {
      if (n.error() != errc::would_block) return n.error();
      blocked_ = true;
      return {};
    }
    queue_->consume(*n);
    pacer_->spent(*n, now);
    out_ += *n;
    moved = true;
  }
  return {};
}

}  // namespace sockit::cli
