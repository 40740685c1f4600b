// UTF-8 well-formedness (RFC 3629), for output that keeps a peer's text only when it really is text.
#pragma once

#include <cstddef>
#include <string_view>

namespace sockit::cli {

// Length (2-4, or 1 for ASCII) of the well-formed UTF-8 character that s starts with; 0 when s is
// empty or starts with anything else (a stray continuation byte, an overlong form, a surrogate,
// a code point above U+10FFFF, a sequence cut short).
std::size_t utf8_char_length(std::string_view s);

// Whether all of s is well-formed UTF-8.
bool valid_utf8(std::string_view s);

}  // namespace sockit::cli
