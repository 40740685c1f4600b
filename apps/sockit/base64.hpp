// Base64 (RFC 4648 section 4, padded) for --json fields that carry bytes which are not UTF-8.
#pragma once

#include <string>
#include <string_view>

namespace sockit::cli {

std::string base64_encode(std::string_view bytes);

}  // namespace sockit::cli
