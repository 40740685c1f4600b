// sockit/xxh3.hpp: XXH3-128, the content hash `sockit send`/`recv` put on the wire, as a small
// streaming hasher over Debian's libxxhash (public; xxhash.h stays out of this header).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

struct XXH3_state_s;  // libxxhash's streaming state, opaque here

namespace sockit {

// A 128-bit digest. On the wire and in hex it is xxhash's canonical form: big-endian, high half
// first, so "xxh128sum" prints the same 32 hex digits.
struct hash128 {
  std::uint64_t high = 0;
  std::uint64_t low = 0;

  friend bool operator==(const hash128&, const hash128&) = default;

  std::string hex() const;
  // 32 hex digits (either case) back to a digest; nullopt for anything else.
  static std::optional<hash128> from_hex(std::string_view text);
};

class xxh3_128 {
 public:
  xxh3_128();  // ready to hash; allocation failure aborts, as std::bad_alloc would
  ~xxh3_128();
  xxh3_128(xxh3_128&&) noexcept;  // the moved-from hasher starts again from nothing
  xxh3_128& operator=(xxh3_128&&) noexcept;
  xxh3_128(const xxh3_128& other);  // a copy continues independently from the same point
  xxh3_128& operator=(const xxh3_128& other);

  void update(std::span<const std::byte> data) noexcept;
  // The digest of everything so far; more may be added afterwards.
  hash128 digest() const noexcept;
  void reset() noexcept;

 private:
  struct state_deleter {
    void operator()(XXH3_state_s* s) const noexcept;
  };
  std::unique_ptr<XXH3_state_s, state_deleter> state_;
};

// The digest of one buffer.
hash128 xxh3_128_of(std::span<const std::byte> data) noexcept;

}  // namespace sockit
