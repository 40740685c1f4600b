// Command words to request frames.
#include "request.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>

#include <fmt/core.h>

#include "sockit/frame_codec.hpp"

namespace sockit::cli::proto {

namespace {
std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}
// Splits off the first word; `rest` is what follows the single separating space.
std::string_view first_word(std::string_view line, std::string_view& rest) {
  auto end = line.find(' ');
  if (end == std::string_view::npos) {
    rest = {};
    return line;
  }
  rest = line.substr(end + 1);
  return line.substr(0, end);
}
}  // namespace

bool parse_request(std::string_view line, request& out, std::string& error) {
  while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
  std::string_view rest;
  auto word = lower(first_word(line, rest));
  out = request{};
  out.name = word;
  if (word == "ping" || word == "time" || word == "quit") {
    if (!rest.empty()) {
      error = "'" + word + "' takes no text";
      return false;
    }
    out.code = word == "ping" ? sockit::proto::cmd_ping : word == "time" ? sockit::proto::cmd_time : sockit::proto::cmd_quit;
    return true;
  }
  if (word == "echo") {
    out.code = sockit::proto::cmd_echo;
    out.payload = std::string(rest);
    return true;
  }
  if (word == "raw") {
    std::string_view text;
    auto num = first_word(rest, text);
    unsigned v = 0;
    auto [p, ec] = std::from_chars(num.data(), num.data() + num.size(), v);
    if (num.empty() || ec != std::errc{} || p != num.data() + num.size() || v > 255) {
      error = "raw needs a command code from 0 to 255, got '" + std::string(num) + "'";
      return false;
    }
    out.code = static_cast<std::uint8_t>(v);
    out.payload = std::string(text);
    return true;
  }
  error = word.empty() ? "empty command" : "unknown command '" + std::string(first_word(line, rest)) + "'";
  return false;
}

payload_limit request_limit(bool v2, std::size_t max_payload_v1, std::size_t max_payload_v2) {
  if (v2) {
    constexpr std::size_t field = UINT32_MAX;
    if (max_payload_v2 < field) return {max_payload_v2, "--max-payload-v2"};
    return {field, "the v2 length field is 32 bits"};
  }
  if (max_payload_v1 < sockit::proto::v1_max_payload) return {max_payload_v1, "--max-payload"};
  return {sockit::proto::v1_max_payload, "the v1 length field is 16 bits"};
}

std::string check_request_size(const request& r, const payload_limit& limit) {
  if (r.payload.size() <= limit.bytes) return {};
  return fmt::format("{} text of {} bytes is over the limit of {} bytes ({})", r.name, r.payload.size(), limit.bytes,
                     limit.why);
}

}  // namespace sockit::cli::proto
