// One connection's side of the chapter's protocol, whatever carries it: requests parsed from the
// bytes received, every answer to them encoded into one output buffer (each whole, for one send).
// Shared by proto serve's event-loop handler and its io_uring sessions (server.cpp).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <system_error>

#include "server.hpp"
#include "sockit/buffer.hpp"
#include "sockit/endpoint.hpp"
#include "sockit/frame_codec.hpp"

namespace sockit::cli::proto {

// What proto serve counts besides the host's connection totals; shared by every connection.
struct proto_counters {
  std::atomic<std::uint64_t> requests{0};  // added per connection when it closes
  std::atomic<std::uint64_t> errors{0};    // bad inputs and answers too large to send
};

class responder {
 public:
  responder(const server_options& opts, proto_counters& counters, endpoint peer);
  responder(const responder&) = delete;
  responder& operator=(const responder&) = delete;

  // Answers every whole request at the start of `in` into `out`; returns the bytes they took (the
  // rest is a frame still arriving). After a bad frame or QUIT (answered, then finishing()), the
  // rest is not looked at: the connection only discards from then on.
  std::size_t feed(std::span<const std::byte> in, buffer& out);

  bool finishing() const noexcept { return finishing_; }
  // --idle-timeout and the like: no more requests are answered.
  void set_finishing() noexcept { finishing_ = true; }

  const endpoint& peer() const noexcept { return peer_; }
  // The connection ended (`ec`: {} for a close, else why): its requests go to the totals, and a
  // debug line (a warning for an unusual error) says so. Once.
  void closed(std::error_code ec);

 private:
  void reply(buffer& out, const sockit::proto::frame_view& req, std::uint8_t status, std::string_view text,
             std::string_view what = {});
  void answer(buffer& out, const sockit::proto::frame_view& req);
  void reject(buffer& out, const sockit::proto::parse_result& r);

  const server_options& opts_;
  proto_counters& counters_;
  sockit::proto::frame_limits limits_;
  endpoint peer_;
  std::uint64_t requests_ = 0;
  bool finishing_ = false;
  bool closed_ = false;
};

}  // namespace sockit::cli::proto
