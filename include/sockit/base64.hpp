// sockit/base64.hpp: Base64 (RFC 4648 section 4, padded): the CLI's --json fields that carry bytes
// which are not UTF-8, and the HTTP proxy's Basic credentials (proxy.hpp).
#pragma once

#include <string>
#include <string_view>

namespace sockit {

std::string base64_encode(std::string_view bytes);

}  // namespace sockit
