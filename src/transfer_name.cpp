// File name checks for received files.
#include "sockit/transfer_name.hpp"

#include <array>
#include <cctype>

#include "sockit/xxh3.hpp"

namespace sockit {

namespace {
constexpr std::string_view part_suffix = ".sockit-part";
constexpr std::size_t name_max = 255;
}  // namespace

std::string_view transfer_name_problem(std::string_view name) noexcept {
  if (name.empty()) return "is empty";
  if (name == "." || name == "..") return "is '.' or '..' (a directory)";
  if (name.size() > name_max) return "is longer than 255 bytes";
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
    return "is reserved for partial files (.NAME.sockit-part)";
  }
  return {};
}

std::string_view windows_name_problem(std::string_view name) noexcept {
  for (char c : name) {
    if (c == '\\') return "contains '\\' (a path on Windows, not a name)";
    if (c == ':') return "contains ':', which Windows does not allow in a name";
    if (std::string_view("*?\"<>|").find(c) != std::string_view::npos) {
      return "contains one of * ? \" < > |, which Windows does not allow in a name";
    }
  }
  if (!name.empty() && (name.back() == '.' || name.back() == ' ')) return "ends with a dot or space (Windows drops them)";
  // The device names stay devices whatever the extension: "nul.txt" is NUL.
  std::string stem(name.substr(0, name.find('.')));
  while (!stem.empty() && stem.back() == ' ') stem.pop_back();
  for (auto& c : stem) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  static constexpr std::array<std::string_view, 4> devices{"CON", "PRN", "AUX", "NUL"};
  for (auto d : devices) {
    if (stem == d) return "is a device name on Windows (CON, PRN, AUX, NUL, COM1-9, LPT1-9)";
  }
  if (stem.size() == 4 && (stem.starts_with("COM") || stem.starts_with("LPT")) && stem[3] >= '1' && stem[3] <= '9') {
    return "is a device name on Windows (CON, PRN, AUX, NUL, COM1-9, LPT1-9)";
  }
  return {};
}

std::string_view local_name_problem(std::string_view name) noexcept {
  auto why = transfer_name_problem(name);
#ifdef _WIN32
  if (why.empty()) why = windows_name_problem(name);
#endif
  return why;
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
