// sockit/transfer_wire.hpp: the messages `sockit send` and `sockit recv` exchange, encoded and
// parsed (public, so other programs can speak it; docs/commands/send.md is the specification).
//
// Every message starts with the same six bytes, then a fixed part for its type, then (header and
// error only) a variable part whose length the fixed part gives:
//
//   0       4     5      6                       6+fixed             6+fixed+var
//   +-------+-----+------+-----------------------+-------------------+
//   | SKXF  | ver | type | fixed part (per type) | name / text bytes |
//   +-------+-----+------+-----------------------+-------------------+
//   magic   1     'H' 'O' 'S' 'A' 'E' 'Z' 'T'
//
//   H header  (sender)   flags u8, mode u32, size u64, hash 16, name_len u16 | name
//   O offer   (receiver) have u64, hash of those bytes 16
//   S start   (sender)   offset u64                      (then the body from offset)
//   A ack     (receiver) size u64, hash 16               (stored, synced, renamed)
//   E error   (either)   code u8, text_len u16 | text
//   Z end     (sender)   files u64                       (no more files)
//   T trailer (sender)   hash 16                         (after a body whose H had flag_hash_after)
//
// Integers are big-endian; hashes are XXH3-128 in canonical form (high half first). The body of a
// file follows its H directly, unless H's flag asks to resume: then the receiver answers O with
// what it already holds, and the body follows the sender's S. With flag_hash_after, H's hash is
// zero and the whole file's hash follows its body in T, so a sender can hash while it sends
// instead of reading the whole file before its first byte leaves.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <system_error>
#include <variant>
#include <vector>

#include "sockit/result.hpp"
#include "sockit/xxh3.hpp"

namespace sockit::wire {

inline constexpr std::uint8_t version = 1;
inline constexpr std::size_t prefix_size = 6;        // magic, version, type
inline constexpr std::size_t max_name_bytes = 255;   // as NAME_MAX
inline constexpr std::size_t max_text_bytes = 1024;  // an error's text
inline constexpr std::uint8_t flag_resume = 1;       // header flags: wait for an offer
inline constexpr std::uint8_t flag_hash_after = 2;   // header flags: the hash comes in T after the body
inline constexpr std::uint8_t known_flags = flag_resume | flag_hash_after;

struct file_header {
  std::uint8_t flags = 0;
  std::uint32_t mode = 0;  // permission bits (st_mode & 07777); the receiver applies & 0777 & ~umask
  std::uint64_t size = 0;
  hash128 hash;
  std::string name;  // as sent: parse() checks only its length; see transfer_name.hpp
  bool resume() const noexcept { return (flags & flag_resume) != 0; }
  bool hash_after() const noexcept { return (flags & flag_hash_after) != 0; }
};
struct offer {
  std::uint64_t have = 0;
  hash128 hash;  // of the `have` bytes
};
struct start {
  std::uint64_t offset = 0;
};
struct ack {
  std::uint64_t size = 0;
  hash128 hash;
};
// What failed, so a program can act on the class and a person can read the text.
enum class error_code_class : std::uint8_t {
  refused = 1,    // bad name, file exists, too large, busy
  storage = 2,    // cannot create or write the file: disk full, permission denied, I/O error
  integrity = 3,  // the hash or the size does not match
  protocol = 4,   // a message that makes no sense here
  aborted = 5,    // the peer was interrupted
};
struct error_message {
  error_code_class code = error_code_class::protocol;
  std::string text;
};
struct end {
  std::uint64_t files = 0;
};
struct trailer {
  hash128 hash;  // of the whole file
};

using message = std::variant<file_header, offer, start, ack, error_message, end, trailer>;

// Why bytes are not a message (its own category; message() names the problem).
enum class errc {
  bad_magic = 1,        // not "SKXF": not a sockit transfer stream
  bad_version,          // another version of the protocol
  bad_type,             // an unknown message type
  bad_flags,            // header flags this version does not know
  name_too_long,        // name_len over max_name_bytes, or zero
  text_too_long,        // an error text over max_text_bytes
  bad_error_code,       // an error code outside error_code_class
};
const std::error_category& wire_category() noexcept;
std::error_code make_error_code(errc e) noexcept;

// The encoded message.
std::vector<std::byte> encode(const message& m);

// How many bytes the message starting `in` takes in all, as far as `in` tells: at least
// prefix_size; once the prefix is there, at least the fixed part; once that is there, exactly the
// whole message. A reader asks again after each read of (result - in.size()) bytes and never
// reads past the message. Errors as parse().
result<std::size_t> needed(std::span<const std::byte> in);

// Parses the message at the start of `in`, which must hold all of it (needed(in) <= in.size());
// bytes after it are not looked at. Too few bytes is std::errc::message_size.
result<message> parse(std::span<const std::byte> in);

}  // namespace sockit::wire

template <>
struct std::is_error_code_enum<sockit::wire::errc> : std::true_type {};
