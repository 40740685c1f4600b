// TIME's text: strftime on the local time, with the ISO 8601 offset colon strftime lacks.
#include "time_text.hpp"

#include <array>

namespace sockit::cli::proto {

std::string format_time(std::string_view pattern, std::time_t when) {
  std::tm tm{};
#ifdef _WIN32
  ::localtime_s(&tm, &when);
#else
  ::localtime_r(&when, &tm);
#endif
  std::array<char, 512> out{};
  if (pattern.empty()) {
    // %z gives "+0100"; ISO 8601's extended form wants "+01:00".
    std::size_t n = std::strftime(out.data(), out.size(), "%Y-%m-%dT%H:%M:%S%z", &tm);
    std::string s(out.data(), n);
    if (s.size() >= 5) s.insert(s.size() - 2, ":");
    return s;
  }
  std::string fmt(pattern);
  // strftime returns 0 both for "too long" and for an empty result: the marker tells them apart.
  fmt += '\x01';
  // A long pattern gives a long text: the buffer grows until it fits (the reply then says whether
  // the text fits a frame), bounded since no conversion expands a character more than ~100 times.
  std::string text(out.size(), '\0');
  for (std::size_t cap = 128 * fmt.size() + out.size(); text.size() <= cap; text.resize(text.size() * 2)) {
    std::size_t n = std::strftime(text.data(), text.size(), fmt.c_str(), &tm);
    if (n > 0) {
      text.resize(n - 1);
      return text;
    }
  }
  return {};
}

std::string format_time_now(std::string_view pattern) { return format_time(pattern, std::time(nullptr)); }

}  // namespace sockit::cli::proto
