// A response payload as a JSON string for `proto call --json`. The shared json_escape writes every
// byte >= 0x7f as \u00XX (binary stays valid JSON, but UTF-8 text turns into mojibake); payloads
// that are valid UTF-8 are kept as they are instead.
#pragma once

#include <string>
#include <string_view>

namespace sockit::cli::proto {

// A quoted JSON string. Valid UTF-8: characters kept, only '"', '\\' and control bytes escaped.
// Anything else: each byte escaped on its own (read as Latin-1), as json_escape does.
std::string json_text(std::string_view payload);

// Whether s is well-formed UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF).
bool valid_utf8(std::string_view s);

}  // namespace sockit::cli::proto
