// XXH3-128 over libxxhash's streaming API.
#include "sockit/xxh3.hpp"

#include <cstdlib>

#include <xxhash.h>

namespace sockit {

namespace {

constexpr char hex_digits[] = "0123456789abcdef";

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

XXH3_state_s* new_state() {
  XXH3_state_t* s = XXH3_createState();
  if (!s) std::abort();  // out of memory, as operator new would end
  XXH3_128bits_reset(s);
  return s;
}

}  // namespace

std::string hash128::hex() const {
  std::string out(32, '0');
  for (int i = 0; i < 16; ++i) {
    std::uint64_t v = i < 8 ? high : low;
    auto byte = static_cast<unsigned>((v >> (56 - 8 * (i % 8))) & 0xff);
    out[static_cast<std::size_t>(2 * i)] = hex_digits[byte >> 4];
    out[static_cast<std::size_t>(2 * i + 1)] = hex_digits[byte & 0xf];
  }
  return out;
}

std::optional<hash128> hash128::from_hex(std::string_view text) {
  if (text.size() != 32) return std::nullopt;
  hash128 h;
  for (std::size_t i = 0; i < 32; ++i) {
    int v = hex_value(text[i]);
    if (v < 0) return std::nullopt;
    std::uint64_t& half = i < 16 ? h.high : h.low;
    half = (half << 4) | static_cast<std::uint64_t>(v);
  }
  return h;
}

void xxh3_128::state_deleter::operator()(XXH3_state_s* s) const noexcept { XXH3_freeState(s); }

xxh3_128::xxh3_128() : state_(new_state()) {}
xxh3_128::~xxh3_128() = default;
xxh3_128::xxh3_128(xxh3_128&&) noexcept = default;
xxh3_128& xxh3_128::operator=(xxh3_128&&) noexcept = default;

// A moved-from hasher is a fresh one: it hashes from the start again, rather than dereferencing
// the state it gave away.
xxh3_128::xxh3_128(const xxh3_128& other) : state_(new_state()) {
  if (other.state_) XXH3_copyState(state_.get(), other.state_.get());
}

xxh3_128& xxh3_128::operator=(const xxh3_128& other) {
  if (this != &other) {
    if (!state_) state_.reset(new_state());
    if (other.state_) {
      XXH3_copyState(state_.get(), other.state_.get());
    } else {
      XXH3_128bits_reset(state_.get());
    }
  }
  return *this;
}

void xxh3_128::update(std::span<const std::byte> data) noexcept {
  if (data.empty()) return;
  if (!state_) state_.reset(new_state());
  XXH3_128bits_update(state_.get(), data.data(), data.size());
}

hash128 xxh3_128::digest() const noexcept {
  XXH128_hash_t d = state_ ? XXH3_128bits_digest(state_.get()) : XXH3_128bits(nullptr, 0);
  return {d.high64, d.low64};
}

void xxh3_128::reset() noexcept {
  if (state_) {
    XXH3_128bits_reset(state_.get());
  } else {
    state_.reset(new_state());
  }
}

hash128 xxh3_128_of(std::span<const std::byte> data) noexcept {
  XXH128_hash_t d = XXH3_128bits(data.data(), data.size());
  return {d.high64, d.low64};
}

}  // namespace sockit
