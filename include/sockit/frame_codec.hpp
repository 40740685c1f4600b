// sockit/frame_codec.hpp: the chapter's framed command protocol (v1, byte-compatible with its
// programs) and sockit's v2 frame, as an encoder and a zero-copy parser. Fields are encoded one by
// one (u8, u16 LE, u32 LE), never by copying a struct. docs/protocol.md has the byte diagrams.
//
//  v1 (8-byte header, then Length payload bytes; the same both ways)
//  +---------+-----------+----------+-------------------+---------
//  | 0 code  | 1-2 len   | 3 rsvd   | 4-7 checksum      | payload
//  | u8      | u16 LE    | u8 (0)   | u32 LE: byte sum  |
//  +---------+-----------+----------+-------------------+---------
//
//  v2 (20-byte header)
//  +----------+-------+--------+-------+---------+---------+---------+---------+---------
//  | 0-2      | 3     | 4      | 5     | 6-7     | 8-11    | 12-15   | 16-19   | payload
//  | C5 53 4B | ver 2 | code   | flags | rsvd 0  | len LE  | id LE   | CRC32C  |
//  +----------+-------+--------+-------+---------+---------+---------+---------+---------
//  CRC32C covers bytes 0-15 of the header, then the payload.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <system_error>

#include "sockit/buffer.hpp"

namespace sockit::proto {

// Request command codes (v1 and v2).
enum command : std::uint8_t { cmd_echo = 1, cmd_time = 2, cmd_quit = 3, cmd_ping = 4 };
// Response status codes, carried in the same byte as the command.
enum status : std::uint8_t { status_ok = 0, status_error = 1 };

inline constexpr std::size_t v1_header_size = 8;
inline constexpr std::size_t v2_header_size = 20;
inline constexpr std::size_t v1_default_max_payload = 4096;   // the chapter's limit
inline constexpr std::size_t v1_max_payload = 65535;          // what a u16 length can say
inline constexpr std::size_t v2_default_max_payload = 1 << 20;
// As a v1 header these bytes would be command 0xC5 with a 19283-byte payload: larger than any
// v1 limit below 19283, so no v1 request accepted under such a limit starts with them.
inline constexpr std::array<std::uint8_t, 3> v2_magic = {0xC5, 0x53, 0x4B};
inline constexpr std::size_t v2_magic_as_v1_length = 0x4B53;

enum class frame_errc {
  bad_checksum = 1,    // v1: payload byte sum differs from the header's (0 for an empty payload)
  payload_too_large,   // length over the configured limit
  bad_version,         // v2 magic with an unknown version byte
  bad_crc,             // v2: CRC32C mismatch
  version_not_allowed, // a v1 frame where only v2 is accepted, or the reverse
};
const std::error_category& frame_category() noexcept;
std::error_code make_error_code(frame_errc e) noexcept;

struct frame_limits {
  std::size_t max_payload_v1 = v1_default_max_payload;
  std::size_t max_payload_v2 = v2_default_max_payload;
  bool accept_v1 = true;
  bool accept_v2 = true;
};

struct frame_view {
  std::uint8_t version = 1;
  std::uint8_t code = 0;         // command (request) or status (response)
  std::uint8_t flags = 0;        // v2 only
  std::uint32_t request_id = 0;  // v2 only
  std::span<const std::byte> payload;
  std::string_view text() const noexcept {
    return {reinterpret_cast<const char*>(payload.data()), payload.size()};
  }
};

struct parse_result {
  enum kind_t { need_more, frame, error } kind = need_more;
  std::size_t consumed = 0;  // bytes of input the frame (or the bad header) occupies
  std::size_t needed = 0;    // need_more: total bytes required to go on (at least input.size()+1)
  frame_view view;           // kind == frame: payload points into the input; a v2 error after a
                             // whole header also carries its code, flags and request_id here
  std::error_code ec;        // kind == error
  std::uint8_t version = 0;  // the version the bytes were read as (0 if not known yet)
  // What the header declared, filled once the header is read (frames and errors alike), so that
  // whoever rejects a frame can say why without reading the header bytes a second time.
  std::size_t declared_length = 0;   // the payload length field
  std::uint32_t declared_check = 0;  // v1: the checksum field; v2: the CRC32C field
  std::uint32_t computed_check = 0;  // bad_checksum / bad_crc: what the bytes really sum to
  std::uint8_t version_byte = 0;     // v2 magic: the version byte found (bad_version names it)
};

// Looks at the front of a byte stream and never reads past input.size(). Errors are found as
// early as the header allows (an oversize length is refused before its payload arrives).
parse_result parse_frame(std::span<const std::byte> input, const frame_limits& limits = {}) noexcept;

// v1's additive checksum: the sum of the payload bytes (no overflow below 16 843 009 bytes).
std::uint32_t checksum_v1(std::span<const std::byte> payload) noexcept;

// Append header + payload to out in one go, so each message can leave in one send. v1 payloads
// over 65535 bytes cannot be expressed: the caller must check (encode_v1 asserts).
void encode_v1(buffer& out, std::uint8_t code, std::span<const std::byte> payload);
void encode_v2(buffer& out, std::uint8_t code, std::uint8_t flags, std::uint32_t request_id,
               std::span<const std::byte> payload);

}  // namespace sockit::proto

template <>
struct std::is_error_code_enum<sockit::proto::frame_errc> : std::true_type {};
