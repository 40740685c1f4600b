// How a received datagram is shown to the user, shared by `udp recv`, `udp send` and `mcast recv`:
// its raw payload, "FROM: payload", or one JSON line, written unbuffered so each datagram is out
// (even into a pipe) before the next read.
#pragma once

#include <cstddef>
#include <string_view>
#include <system_error>

#include "sockit/endpoint.hpp"

namespace sockit::cli {

// labelled: "FROM: payload"; labelled_sized: "FROM (N bytes): payload" (mcast recv), N the real size.
enum class datagram_format { labelled, raw, json, labelled_sized };

// `data` is what the buffer held, `wire_size` the datagram's real size: when it is larger the
// datagram was truncated (MSG_TRUNC), which is never silent: JSON carries "truncated":true and the
// real size, the other formats a notice line on stderr. An error is stdout's (output.hpp).
std::error_code print_datagram(datagram_format f, const endpoint& from, std::string_view data, std::size_t wire_size);

}  // namespace sockit::cli
