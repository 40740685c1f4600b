// File name checks for received files.
#include "sockit/transfer_name.hpp"

#include "sockit/xxh3.hpp"

namespace sockit {

namespace {
constexpr std::string_view part_suffix = ".sockit-part";
constexpr std::size_t name_max = 255;
}  // namespace

std::string_view transfer_name_problem(std::string_view name) noexcept {
  if (name.empty()) return "empty name";
  if (name == "." || name == "..") return "'.' and '..' name directories";
  if (name.size() > name_max) return "longer than 255 bytes";
  for (std::size_t i = 0; i < name.size(); ++i) {
    auto c = static_cast<unsigned char>(name[i]);
    if (c == '/') return "contains '/' (a path, not a name)";
    if (c == 0) return "contains a NUL byte";
    if (c < 0x20 || c == 0x7f) return "contains a control character";
    // U+0080..U+009F: C1 controls (0x9b is CSI to some terminals).
    if (c == 0xc2 && i + 1 < name.size()) {
      auto d = static_cast<unsigned char>(name[i + 1]);
      if (d >= 0x80 && d <= 0x9f) return "contains a control character";
    }
  }
  if (name.size() > part_suffix.size() + 1 && name.front() == '.' && name.ends_with(part_suffix)) {
    return "reserved for partial files (.NAME.sockit-part)";
  }
  return {};
}

std::string partial_name(std::string_view name) {
  std::string p;
  if (1 + name.size() + part_suffix.size() <= name_max) {
    p.reserve(1 + name.size() + part_suffix.size());
    p += '.';
    p += name;
  } else {
    p = "." + xxh3_128_of({reinterpret_cast<const std::byte*>(name.data()), name.size()}).hex();
  }
  p += part_suffix;
  return p;
}

}  // namespace sockit
