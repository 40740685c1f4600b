// libFuzzer target: the frame decoder (v1 and v2) must take any byte stream, however it is split,
// without reading past its input, and agree with itself: a stream fed whole and fed one byte at a
// time yields the same frames and the same error, and every frame it accepts re-encodes to the
// exact bytes it came from.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <span>
#include <vector>

#include "sockit/buffer.hpp"
#include "sockit/frame_codec.hpp"

namespace sp = sockit::proto;

namespace {

struct outcome {
  std::vector<std::size_t> frames;  // consumed size of each frame, in order
  int error = 0;
};

void check_frame(std::span<const std::byte> in, const sp::parse_result& r) {
  if (r.consumed == 0 || r.consumed > in.size()) std::abort();
  if (r.declared_length != r.view.payload.size()) std::abort();
  sockit::buffer again;
  if (r.view.version == 2) {
    sp::encode_v2(again, r.view.code, r.view.flags, r.view.request_id, r.view.payload);
    // Bytes 6-7 are reserved: accepted whatever they hold (the CRC covers them), re-encoded as 0.
    if (in[6] != std::byte{0} || in[7] != std::byte{0}) return;
  } else {
    sp::encode_v1(again, r.view.code, r.view.payload);
    if (in[3] != std::byte{0}) return;  // the reserved byte is ignored on receipt
  }
  auto b = again.readable();
  if (b.size() != r.consumed || std::memcmp(b.data(), in.data(), b.size()) != 0) std::abort();
}

// An error carries what the header said, and it agrees with the verdict.
void check_error(const sp::parse_result& r, const sp::frame_limits& lim) {
  using fe = sp::frame_errc;
  auto e = static_cast<fe>(r.ec.value());
  if (e == fe::payload_too_large &&
      r.declared_length <= (r.version == 2 ? lim.max_payload_v2 : lim.max_payload_v1))
    std::abort();
  if ((e == fe::bad_checksum || e == fe::bad_crc) && r.declared_check == r.computed_check) std::abort();
  if (e == fe::bad_version && r.version_byte == 2) std::abort();
}

outcome whole(std::span<const std::byte> in, const sp::frame_limits& lim) {
  outcome o;
  std::size_t off = 0;
  while (off < in.size()) {
    auto rest = in.subspan(off);
    auto r = sp::parse_frame(rest, lim);
    if (r.kind == sp::parse_result::need_more) {
      if (r.needed <= rest.size()) std::abort();
      break;
    }
    if (r.kind == sp::parse_result::error) {
      if (!r.ec || r.consumed > rest.size()) std::abort();
      check_error(r, lim);
      o.error = r.ec.value();
      break;
    }
    check_frame(rest, r);
    o.frames.push_back(r.consumed);
    off += r.consumed;
  }
  return o;
}

// The same stream arriving one byte at a time, into a growing buffer as a server would hold it.
outcome trickle(std::span<const std::byte> in, const sp::frame_limits& lim) {
  outcome o;
  sockit::buffer buf;
  for (std::size_t i = 0; i < in.size(); ++i) {
    buf.append(in.subspan(i, 1));
    for (;;) {
      auto r = sp::parse_frame(buf.readable(), lim);
      if (r.kind == sp::parse_result::need_more) break;
      if (r.kind == sp::parse_result::error) {
        o.error = r.ec.value();
        return o;
      }
      o.frames.push_back(r.consumed);
      buf.consume(r.consumed);
    }
  }
  return o;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 1 << 16) return 0;
  std::span<const std::byte> in(reinterpret_cast<const std::byte*>(data), size);
  // Small limits make the oversize paths reachable; the defaults cover the common case.
  const sp::frame_limits configs[] = {
      {},
      {16, 64, true, true},
      {sp::v1_max_payload, 1 << 20, true, false},
      {4096, 4096, false, true},
  };
  for (const auto& lim : configs) {
    auto a = whole(in, lim);
    if (size <= 4096) {
      auto b = trickle(in, lim);
      if (a.frames != b.frames || a.error != b.error) std::abort();
    }
  }
  return 0;
}
