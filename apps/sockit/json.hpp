// A minimal JSON writer for --json output: flat objects built in order, one per line.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace sockit::cli {

// A quoted JSON string: valid UTF-8 is kept as it is (only '"', '\\' and control characters
// escaped); any other input is escaped byte by byte as \u00XX.
std::string json_escape(std::string_view s);

class json_object {
 public:
  json_object& add(std::string_view key, std::string_view value);
  json_object& add(std::string_view key, const char* value) { return add(key, std::string_view(value)); }
  json_object& add(std::string_view key, bool value);
  json_object& add(std::string_view key, int value) { return add(key, static_cast<std::int64_t>(value)); }
  json_object& add(std::string_view key, std::int64_t value);
  json_object& add(std::string_view key, std::uint64_t value);
  json_object& add(std::string_view key, double value);
  json_object& add_null(std::string_view key);
  // Bytes a peer sent: under `key` when they are valid UTF-8, else base64 under `key`_base64,
  // never both, so text and binary payloads can never be told apart wrongly.
  json_object& add_bytes(std::string_view key, std::string_view bytes);
  // `raw` must already be valid JSON (a nested object or array).
  json_object& add_raw(std::string_view key, std::string_view raw);
  std::string str() const { return body_ + "}"; }

 private:
  void key(std::string_view k);
  std::string body_ = "{";
};

// Prints obj.str() and a newline to stdout and flushes (streams are read line by line).
void print_json(const json_object& obj);

}  // namespace sockit::cli
