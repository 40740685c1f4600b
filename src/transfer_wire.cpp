// The transfer protocol's messages (layout in transfer_wire.hpp).
#include "sockit/transfer_wire.hpp"

#include <cstring>

namespace sockit::wire {

namespace {

constexpr std::byte magic[4] = {std::byte{'S'}, std::byte{'K'}, std::byte{'X'}, std::byte{'F'}};

class wire_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "sockit.wire"; }
  std::string message(int ev) const override {
    switch (static_cast<errc>(ev)) {
      case errc::bad_magic: return "not a sockit transfer (no SKXF magic; plain bytes need --raw)";
      case errc::bad_version: return "unsupported transfer protocol version";
      case errc::bad_type: return "unknown message type";
      case errc::bad_flags: return "unknown header flags";
      case errc::name_too_long: return "file name length out of range (1 to 255 bytes)";
      case errc::text_too_long: return "error text too long";
      case errc::bad_error_code: return "unknown error code";
    }
    return "unknown transfer protocol error";
  }
};

// The fixed part's size after the prefix, per type; 0 for an unknown type.
std::size_t fixed_size(char type) noexcept {
  switch (type) {
    case 'H': return 1 + 4 + 8 + 16 + 2;
    case 'O': return 8 + 16;
    case 'S': return 8;
    case 'A': return 8 + 16;
    case 'E': return 1 + 2;
    case 'Z': return 8;
    case 'T': return 16;
    default: return 0;
  }
}

std::uint64_t get_be(const std::byte* p, int n) noexcept {
  std::uint64_t v = 0;
  for (int i = 0; i < n; ++i) v = (v << 8) | std::to_integer<std::uint64_t>(p[i]);
  return v;
}

void put_be(std::vector<std::byte>& out, std::uint64_t v, int n) {
  for (int i = n - 1; i >= 0; --i) out.push_back(static_cast<std::byte>((v >> (8 * i)) & 0xff));
}

void put_hash(std::vector<std::byte>& out, const hash128& h) {
  put_be(out, h.high, 8);
  put_be(out, h.low, 8);
}

hash128 get_hash(const std::byte* p) noexcept { return {get_be(p, 8), get_be(p + 8, 8)}; }

void put_text(std::vector<std::byte>& out, const std::string& s) {
  const auto* b = reinterpret_cast<const std::byte*>(s.data());
  out.insert(out.end(), b, b + s.size());
}

std::string get_text(const std::byte* p, std::size_t n) { return std::string(reinterpret_cast<const char*>(p), n); }

void put_prefix(std::vector<std::byte>& out, char type) {
  out.insert(out.end(), std::begin(magic), std::end(magic));
  out.push_back(std::byte{version});
  out.push_back(static_cast<std::byte>(type));
}

}  // namespace

const std::error_category& wire_category() noexcept {
  static const wire_category_impl c;
  return c;
}

std::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), wire_category()}; }

std::vector<std::byte> encode(const message& m) {
  std::vector<std::byte> out;
  out.reserve(64);
  if (auto* h = std::get_if<file_header>(&m)) {
    // A name longer than the field allows is cut, never wrapped: the receiver then refuses it.
    std::size_t n = std::min<std::size_t>(h->name.size(), 0xffff);
    put_prefix(out, 'H');
    out.push_back(std::byte{h->flags});
    put_be(out, h->mode, 4);
    put_be(out, h->size, 8);
    put_hash(out, h->hash);
    put_be(out, n, 2);
    put_text(out, h->name.substr(0, n));
  } else if (auto* o = std::get_if<offer>(&m)) {
    put_prefix(out, 'O');
    put_be(out, o->have, 8);
    put_hash(out, o->hash);
  } else if (auto* s = std::get_if<start>(&m)) {
    put_prefix(out, 'S');
    put_be(out, s->offset, 8);
  } else if (auto* a = std::get_if<ack>(&m)) {
    put_prefix(out, 'A');
    put_be(out, a->size, 8);
    put_hash(out, a->hash);
  } else if (auto* e = std::get_if<error_message>(&m)) {
    std::string text = e->text.substr(0, max_text_bytes);
    put_prefix(out, 'E');
    out.push_back(static_cast<std::byte>(e->code));
    put_be(out, text.size(), 2);
    put_text(out, text);
  } else if (auto* z = std::get_if<end>(&m)) {
    put_prefix(out, 'Z');
    put_be(out, z->files, 8);
  } else if (auto* t = std::get_if<trailer>(&m)) {
    put_prefix(out, 'T');
    put_hash(out, t->hash);
  }
  return out;
}

result<std::size_t> needed(std::span<const std::byte> in) {
  // Each field is checked as soon as it has arrived, so garbage is refused after its first bytes
  // and a peer cannot make us wait for a length it never meant.
  for (std::size_t i = 0; i < 4 && i < in.size(); ++i) {
    if (in[i] != magic[i]) return errc::bad_magic;
  }
  if (in.size() < 5) return prefix_size;
  if (std::to_integer<std::uint8_t>(in[4]) != version) return errc::bad_version;
  if (in.size() < prefix_size) return prefix_size;
  char type = std::to_integer<char>(in[5]);
  std::size_t fixed = fixed_size(type);
  if (fixed == 0) return errc::bad_type;
  if (in.size() < prefix_size + fixed) return prefix_size + fixed;
  const std::byte* f = in.data() + prefix_size;
  std::size_t var = 0;
  if (type == 'H') {
    if ((std::to_integer<std::uint8_t>(f[0]) & ~known_flags) != 0) return errc::bad_flags;
    var = get_be(f + 1 + 4 + 8 + 16, 2);
    if (var == 0 || var > max_name_bytes) return errc::name_too_long;
  } else if (type == 'E') {
    auto code = std::to_integer<std::uint8_t>(f[0]);
    if (code < 1 || code > 5) return errc::bad_error_code;
    var = get_be(f + 1, 2);
    if (var > max_text_bytes) return errc::text_too_long;
  }
  return prefix_size + fixed + var;
}

result<message> parse(std::span<const std::byte> in) {
  auto n = needed(in);
  if (!n) return n.error();
  if (*n > in.size()) return std::errc::message_size;
  const std::byte* f = in.data() + prefix_size;
  switch (std::to_integer<char>(in[5])) {
    case 'H': {
      file_header h;
      h.flags = std::to_integer<std::uint8_t>(f[0]);
      h.mode = static_cast<std::uint32_t>(get_be(f + 1, 4));
      h.size = get_be(f + 5, 8);
      h.hash = get_hash(f + 13);
      std::size_t len = get_be(f + 29, 2);
      h.name = get_text(f + 31, len);
      return message{std::move(h)};
    }
    case 'O': return message{offer{get_be(f, 8), get_hash(f + 8)}};
    case 'S': return message{start{get_be(f, 8)}};
    case 'A': return message{ack{get_be(f, 8), get_hash(f + 8)}};
    case 'E': {
      error_message e;
      e.code = static_cast<error_code_class>(std::to_integer<std::uint8_t>(f[0]));
      e.text = get_text(f + 3, get_be(f + 1, 2));
      return message{std::move(e)};
    }
    case 'Z': return message{end{get_be(f, 8)}};
    case 'T': return message{trailer{get_hash(f)}};
    default: return errc::bad_type;  // not reached: needed() checked the type
  }
}

}  // namespace sockit::wire
