// The --json writer.
#include "json.hpp"

#include <cmath>
#include <cstdio>

#include <fmt/core.h>

#include "output.hpp"
#include "sockit/base64.hpp"
#include "utf8.hpp"

namespace sockit::cli {

std::string json_escape(std::string_view s) {
  // Text that is valid UTF-8 keeps its characters; anything else is escaped byte by byte (read as
  // Latin-1), so a binary payload still gives valid JSON without mangling real text.
  const bool keep_utf8 = valid_utf8(s);
  std::string out;
  out.reserve(s.size() + 2);
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20 || c == 0x7f || (c > 0x7f && !keep_utf8)) {
          out += fmt::format("\\u{:04x}", c);
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
  return out;
}

void json_object::key(std::string_view k) {
  if (body_.size() > 1) body_ += ',';
  body_ += json_escape(k);
  body_ += ':';
}

json_object& json_object::add(std::string_view k, std::string_view value) {
  key(k);
  body_ += json_escape(value);
  return *this;
}

json_object& json_object::add(std::string_view k, bool value) {
  key(k);
  body_ += value ? "true" : "false";
  return *this;
}

json_object& json_object::add(std::string_view k, std::int64_t value) {
  key(k);
  body_ += std::to_string(value);
  return *this;
}

json_object& json_object::add(std::string_view k, std::uint64_t value) {
  key(k);
  body_ += std::to_string(value);
  return *this;
}

json_object& json_object::add(std::string_view k, double value) {
  key(k);
  body_ += std::isfinite(value) ? fmt::format("{}", value) : "null";
  return *this;
}

json_object& json_object::add_bytes(std::string_view k, std::string_view bytes) {
  if (valid_utf8(bytes)) return add(k, bytes);
  return add(std::string(k) + "_base64", base64_encode(bytes));
}

json_object& json_object::add_null(std::string_view k) {
  key(k);
  body_ += "null";
  return *this;
}

json_object& json_object::add_raw(std::string_view k, std::string_view raw) {
  key(k);
  body_ += raw;
  return *this;
}

void print_json(const json_object& obj) {
  (void)write_out(obj.str() + "\n");
}

}  // namespace sockit::cli
