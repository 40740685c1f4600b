// A client command line ("ping", "echo some text", "raw 99 x") turned into a request frame's
// command code and payload. Shared by `proto call`'s arguments and its stdin/REPL mode.
#pragma once

#include <cstddef>
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

// The largest payload one request may carry: what the version's length field can say (v1: 16
// bits, v2: 32) or the configured limit (--max-payload, --max-payload-v2), whichever is smaller.
// `why` names which one, for the error line.
struct payload_limit {
  std::size_t bytes = 0;
  std::string why;
};
payload_limit request_limit(bool v2, std::size_t max_payload_v1, std::size_t max_payload_v2);

// Empty when `r` fits under `limit`; else the one-line reason, naming the limit. A request over
// it is never sent: a v1 length would wrap modulo 65536 and desynchronise the stream.
std::string check_request_size(const request& r, const payload_limit& limit);

inline constexpr std::string_view request_help =
    "commands: ping | echo TEXT | time | quit | raw CODE [TEXT]  (CODE: 0-255, any command byte)";

}  // namespace sockit::cli::proto
