// The protocol's answers (responder.hpp): ECHO, TIME, PING and QUIT, a RESP_ERROR with the reason
// for anything else, every answer held to the payload limit.
#include "responder.hpp"

#include <utility>

#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include "sockit/error.hpp"
#include "time_text.hpp"
#include "../warning_limiter.hpp"

namespace sockit::cli::proto {

namespace sp = sockit::proto;

namespace {

std::span<const std::byte> bytes_of(std::string_view s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

// At most 20 lines a second per loop thread, however many peers send bad input (each is still
// answered and counted in the totals): a flood of bad frames must not become a flood of stderr.
void warn_limited(const std::string& line) {
  thread_local warning_limiter limiter(20);
  limiter.warn(line);
}

}  // namespace

responder::responder(const server_options& opts, proto_counters& counters, endpoint peer)
    : opts_(opts), counters_(counters), peer_(std::move(peer)) {
  limits_.max_payload_v1 = opts.max_payload;
  limits_.max_payload_v2 = opts.max_payload_v2;
  limits_.accept_v2 = opts.v2;
}

std::size_t responder::feed(std::span<const std::byte> in, buffer& out) {
  std::size_t off = 0;
  while (!finishing_) {
    auto r = sp::parse_frame(in.subspan(off), limits_);
    if (r.kind == sp::parse_result::need_more) return off;
    if (r.kind == sp::parse_result::error) {
      reject(out, r);
      break;
    }
    off += r.consumed;
    ++requests_;
    answer(out, r.view);
  }
  return in.size();
}

void responder::closed(std::error_code ec) {
  if (std::exchange(closed_, true)) return;
  counters_.requests.fetch_add(requests_, std::memory_order_relaxed);
  bool normal = !ec || ec == std::errc::connection_reset || ec == std::errc::broken_pipe;
  if (normal) {
    spdlog::debug("proto: {} closed after {} request(s){}", peer_.to_string(), requests_, ec ? ": " + ec.message() : "");
  } else {
    warn_limited("proto: " + describe(peer_.to_string(), ec));
  }
}

// Every answer is built here, so the payload limit holds for all of them (the chapter's client
// refuses more than it expects). An OK answer that would not fit becomes a RESP_ERROR and the
// connection finishes; an error reason that would not fit is cut to the limit.
void responder::reply(buffer& out, const sp::frame_view& req, std::uint8_t status, std::string_view text,
                      std::string_view what) {
  std::size_t limit = req.version == 2 ? opts_.max_payload_v2 : opts_.max_payload;
  std::string why;
  if (text.size() > limit) {
    if (status == sp::status_ok) {
      // Named only on this rare path, so an ordinary ECHO formats nothing.
      auto name = what == "ECHO" ? fmt::format("ECHO of {} bytes", req.payload.size()) : std::string(what);
      why = fmt::format("Response too large: {} would answer {} bytes (limit {})", name, text.size(), limit);
      warn_limited(fmt::format("proto: {}: {}; closing", peer_.to_string(), why));
      counters_.errors.fetch_add(1, std::memory_order_relaxed);
      finishing_ = true;
      status = sp::status_error;
      text = why;
    }
    text = text.substr(0, limit);
  }
  if (req.version == 2) {
    sp::encode_v2(out, status, 0, req.request_id, bytes_of(text));
  } else {
    sp::encode_v1(out, status, bytes_of(text));
  }
}

void responder::answer(buffer& out, const sp::frame_view& req) {
  switch (req.code) {
    case sp::cmd_echo: {
      std::string text = "Echo: ";
      text.append(req.text());
      reply(out, req, sp::status_ok, text, "ECHO");
      return;
    }
    case sp::cmd_time:
      reply(out, req, sp::status_ok, format_time_now(opts_.time_format), "TIME");
      return;
    case sp::cmd_ping:
      reply(out, req, sp::status_ok, "PONG", "PING");
      return;
    case sp::cmd_quit:
      reply(out, req, sp::status_ok, "Goodbye", "QUIT");
      finishing_ = true;
      spdlog::debug("proto: {} sent QUIT", peer_.to_string());
      return;
    default:
      spdlog::info("proto: {}: unknown command {}", peer_.to_string(), req.code);
      reply(out, req, sp::status_error, "Unknown command");
      return;
  }
}

// A frame the decoder refused: say why in a RESP_ERROR of the frame's own version, then finish.
// Everything the reason names comes from the decoder's result, never from the header again.
void responder::reject(buffer& out, const sp::parse_result& r) {
  counters_.errors.fetch_add(1, std::memory_order_relaxed);
  std::string why;
  using fe = sp::frame_errc;
  auto e = static_cast<fe>(r.ec.value());
  if (r.ec.category() != sp::frame_category()) {
    why = r.ec.message();
  } else if (e == fe::bad_checksum) {
    why = fmt::format("Bad checksum: header says {}, payload sums to {}", r.declared_check, r.computed_check);
  } else if (e == fe::payload_too_large) {
    why = fmt::format("Payload too large: {} bytes (limit {})", r.declared_length,
                      r.version == 2 ? opts_.max_payload_v2 : opts_.max_payload);
  } else if (e == fe::bad_version) {
    why = fmt::format("Unsupported protocol version {}", static_cast<unsigned>(r.version_byte));
  } else if (e == fe::bad_crc) {
    why = "Bad CRC32C";
  } else {
    why = r.ec.message();
  }
  warn_limited(fmt::format("proto: {}: {}; closing", peer_.to_string(), why));
  sp::frame_view v;
  v.version = r.version == 2 ? 2 : 1;
  // The request id is echoed only from a frame whose layout is known: the decoder fills it from
  // a whole v2 header (a bad CRC or length). An unknown version says nothing about where (or
  // whether) an id is, so its answer always carries id 0.
  if (v.version == 2) v.request_id = r.view.request_id;
  reply(out, v, sp::status_error, why);
  finishing_ = true;
}

}  // namespace sockit::cli::proto
