// Escaping a peer's text for a terminal.
#include "printable.hpp"

#include "utf8.hpp"

namespace sockit::cli {
namespace {

void escape(std::string& out, std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  for (unsigned char c : bytes) {
    out += "\\x";
    out += digits[c >> 4];
    out += digits[c & 0xf];
  }
}

}  // namespace

std::string printable(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  while (!s.empty()) {
    auto c = static_cast<unsigned char>(s[0]);
    std::size_t n = utf8_char_length(s);
    bool not_utf8 = n == 0;  // this one byte is escaped, the next one looked at afresh
    if (not_utf8) n = 1;
    bool c0_or_del = (c < 0x20 && c != '\t' && c != '\n') || c == 0x7f;
    bool c1 = n == 2 && c == 0xc2 && static_cast<unsigned char>(s[1]) < 0xa0;
    if (not_utf8 || c0_or_del || c1) {
      escape(out, s.substr(0, n));
    } else {
      out.append(s.substr(0, n));
    }
    s.remove_prefix(n);
  }
  return out;
}

}  // namespace sockit::cli
