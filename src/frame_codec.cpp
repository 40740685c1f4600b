// Frame parsing and encoding for the framed command protocol.
#include "sockit/frame_codec.hpp"

#include <cassert>
#include <cstring>
#include <string>

#include "sockit/crc32c.hpp"

namespace sockit::proto {
namespace {

class frame_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "sockit.frame"; }
  std::string message(int ev) const override {
    switch (static_cast<frame_errc>(ev)) {
      case frame_errc::bad_checksum: return "bad checksum";
      case frame_errc::payload_too_large: return "payload too large";
      case frame_errc::bad_version: return "unknown protocol version";
      case frame_errc::bad_crc: return "bad CRC32C";
      case frame_errc::version_not_allowed: return "protocol version not accepted here";
    }
    return "unknown frame error";
  }
};

std::uint8_t u8(std::span<const std::byte> b, std::size_t at) { return static_cast<std::uint8_t>(b[at]); }
std::uint16_t u16le(std::span<const std::byte> b, std::size_t at) {
  return static_cast<std::uint16_t>(u8(b, at) | (u8(b, at + 1) << 8));
}
std::uint32_t u32le(std::span<const std::byte> b, std::size_t at) {
  return static_cast<std::uint32_t>(u8(b, at)) | (static_cast<std::uint32_t>(u8(b, at + 1)) << 8) |
         (static_cast<std::uint32_t>(u8(b, at + 2)) << 16) | (static_cast<std::uint32_t>(u8(b, at + 3)) << 24);
}
void put_u16le(std::byte* p, std::uint16_t v) {
  p[0] = static_cast<std::byte>(v & 0xff);
  p[1] = static_cast<std::byte>(v >> 8);
}
void put_u32le(std::byte* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<std::byte>((v >> (8 * i)) & 0xff);
}

parse_result fail(frame_errc e, std::size_t consumed, std::uint8_t version) {
  parse_result r;
  r.kind = parse_result::error;
  r.ec = make_error_code(e);
  r.consumed = consumed;
  r.version = version;
  return r;
}

parse_result more(std::size_t needed, std::uint8_t version) {
  parse_result r;
  r.needed = needed;
  r.version = version;
  return r;
}

// The end v1 and v2 share once a whole frame is in: the check computed over it (v1's sum, v2's
// CRC32C) against the one its header declared. A mismatch is the error `bad`, the frame consumed
// and the computed value reported; a match is the frame. with_header adds the header's fields.
template <class WithHeader>
parse_result checked_frame(WithHeader with_header, std::uint8_t version, std::size_t consumed,
                           std::span<const std::byte> payload, std::uint32_t computed, std::uint32_t declared,
                           frame_errc bad) {
  if (computed != declared) {
    auto r = with_header(fail(bad, consumed, version));
    r.computed_check = computed;
    return r;
  }
  parse_result r = with_header({});
  r.kind = parse_result::frame;
  r.version = version;
  r.consumed = consumed;
  r.view.payload = payload;
  return r;
}

// How many leading bytes match the v2 magic.
std::size_t magic_prefix(std::span<const std::byte> in) {
  std::size_t n = 0;
  while (n < v2_magic.size() && n < in.size() && u8(in, n) == v2_magic[n]) ++n;
  return n;
}

parse_result parse_v1(std::span<const std::byte> in, const frame_limits& lim) {
  if (in.size() < v1_header_size) return more(v1_header_size, 1);
  std::size_t len = u16le(in, 1);
  std::uint32_t declared = u32le(in, 4);
  auto with_header = [&](parse_result r) {
    r.declared_length = len;
    r.declared_check = declared;
    return r;
  };
  if (len > lim.max_payload_v1) return with_header(fail(frame_errc::payload_too_large, v1_header_size, 1));
  if (in.size() < v1_header_size + len) return with_header(more(v1_header_size + len, 1));
  auto payload = in.subspan(v1_header_size, len);
  // Always verified, an empty payload included (its checksum must be 0): the chapter skipped it.
  auto r = checked_frame(with_header, 1, v1_header_size + len, payload, checksum_v1(payload), declared,
                         frame_errc::bad_checksum);
  if (r.kind == parse_result::frame) {  // v1's header fills the view only for a good frame
    r.view.version = 1;
    r.view.code = u8(in, 0);
  }
  return r;
}

parse_result parse_v2(std::span<const std::byte> in, const frame_limits& lim) {
  if (in.size() < 4) return more(v2_header_size, 2);
  if (u8(in, 3) != 2) {
    auto r = fail(frame_errc::bad_version, 4, 2);
    r.version_byte = u8(in, 3);
    return r;
  }
  if (in.size() < v2_header_size) return more(v2_header_size, 2);
  std::size_t len = u32le(in, 8);
  std::uint32_t declared = u32le(in, 16);
  auto with_header = [&](parse_result r) {
    r.version_byte = 2;
    r.declared_length = len;
    r.declared_check = declared;
    r.view.version = 2;
    r.view.code = u8(in, 4);
    r.view.flags = u8(in, 5);
    r.view.request_id = u32le(in, 12);
    return r;
  };
  if (len > lim.max_payload_v2) return with_header(fail(frame_errc::payload_too_large, v2_header_size, 2));
  if (in.size() < v2_header_size + len) return with_header(more(v2_header_size + len, 2));
  auto payload = in.subspan(v2_header_size, len);
  return checked_frame(with_header, 2, v2_header_size + len, payload, crc32c(payload, crc32c(in.first(16))),
                       declared, frame_errc::bad_crc);
}

}  // namespace

const std::error_category& frame_category() noexcept {
  static const frame_category_impl c;
  return c;
}

std::error_code make_error_code(frame_errc e) noexcept { return {static_cast<int>(e), frame_category()}; }

std::uint32_t checksum_v1(std::span<const std::byte> payload) noexcept {
  std::uint32_t sum = 0;
  for (auto b : payload) sum += static_cast<std::uint8_t>(b);
  return sum;
}

parse_result parse_frame(std::span<const std::byte> in, const frame_limits& lim) noexcept {
  if (in.empty()) return more(1, 0);
  if (lim.accept_v2) {
    std::size_t m = magic_prefix(in);
    if (m == v2_magic.size()) return parse_v2(in, lim);
    // A prefix of the magic: undecided until the third byte arrives.
    if (m == in.size()) return more(in.size() + 1, 0);
  }
  if (!lim.accept_v1) return fail(frame_errc::version_not_allowed, 0, 1);
  return parse_v1(in, lim);
}

void encode_v1(buffer& out, std::uint8_t code, std::span<const std::byte> payload) {
  assert(payload.size() <= v1_max_payload);
  auto dst = out.prepare(v1_header_size + payload.size());
  dst[0] = static_cast<std::byte>(code);
  put_u16le(&dst[1], static_cast<std::uint16_t>(payload.size()));
  dst[3] = std::byte{0};
  put_u32le(&dst[4], checksum_v1(payload));
  if (!payload.empty()) std::memcpy(&dst[v1_header_size], payload.data(), payload.size());
  out.commit(v1_header_size + payload.size());
}

void encode_v2(buffer& out, std::uint8_t code, std::uint8_t flags, std::uint32_t request_id,
               std::span<const std::byte> payload) {
  auto dst = out.prepare(v2_header_size + payload.size());
  for (std::size_t i = 0; i < v2_magic.size(); ++i) dst[i] = static_cast<std::byte>(v2_magic[i]);
  dst[3] = std::byte{2};
  dst[4] = static_cast<std::byte>(code);
  dst[5] = static_cast<std::byte>(flags);
  dst[6] = dst[7] = std::byte{0};
  put_u32le(&dst[8], static_cast<std::uint32_t>(payload.size()));
  put_u32le(&dst[12], request_id);
  put_u32le(&dst[16], crc32c(payload, crc32c(dst.first(16))));
  if (!payload.empty()) std::memcpy(&dst[v2_header_size], payload.data(), payload.size());
  out.commit(v2_header_size + payload.size());
}

}  // namespace sockit::proto
