// A client command line ("ping", "echo some text", "raw 99 x") turned into a request frame's
// command code and payload. Shared by `proto call`'s arguments and its stdin/REPL mode.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace sockit::cli::proto {

struct request {
  std::string name;     // "ping", "echo", "time", "quit", "raw"
  std::uint8_t code = 0;
  std::string payload;
};

// Parses one command line: the first word is the command (case-insensitive), the rest of the line
// after one space is the text, kept byte for byte. On failure `error` says why.
bool parse_request(std::string_view line, request& out, std::string& error);

inline constexpr std::string_view request_help =
    "commands: ping | echo TEXT | time | quit | raw CODE [TEXT]  (CODE: 0-255, any command byte)";

}  // namespace sockit::cli::proto
