// Argument parsing shared by the server subcommands (serve, echo, udp recv): the --bind address
// and port options, with the CLI's error lines and exit codes.
#pragma once

#include <cstdint>
#include <string_view>

#include "sockit/endpoint.hpp"

namespace sockit::cli {

// "127.0.0.1", "::1", "[::1]", "0.0.0.0", "::" or a host name ("localhost"). Malformed text is a
// usage error (exit 2); a name that does not resolve is a runtime failure (exit 1). Text that
// could only be a mistyped address (digits and dots) never reaches a resolver.
bool parse_bind_address(std::string_view text, endpoint& out, int& exit, std::string_view what = "--bind address");

// A port option's value "0".."65535"; otherwise a usage error naming the flag.
bool parse_port_option(std::string_view flag, std::string_view text, std::uint16_t& out, int& exit);

}  // namespace sockit::cli
