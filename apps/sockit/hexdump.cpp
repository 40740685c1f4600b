// Hex dumps.
#include "hexdump.hpp"

#include <cstdio>

#include <fmt/core.h>

namespace sockit::cli {

std::string hexdump(std::string_view data, std::uint64_t offset, char direction) {
  std::string out;
  for (std::size_t i = 0; i < data.size(); i += 16) {
    out += fmt::format("{} [{:08x}]  ", direction, offset + i);
    for (std::size_t j = 0; j < 16; ++j) {
      if (i + j < data.size()) {
        out += fmt::format("{:02X} ", static_cast<unsigned char>(data[i + j]));
      } else {
        out += "   ";
      }
      if (j == 7) out += ' ';
    }
    out += ' ';
    for (std::size_t j = 0; j < 16 && i + j < data.size(); ++j) {
      auto c = static_cast<unsigned char>(data[i + j]);
      out += (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : '.';
    }
    out += '\n';
  }
  return out;
}

void traffic_dumper::sent(std::string_view data) {
  if (!enabled_ || data.empty()) return;
  std::fputs(hexdump(data, sent_, '>').c_str(), stderr);
  sent_ += data.size();
}

void traffic_dumper::received(std::string_view data) {
  if (!enabled_ || data.empty()) return;
  std::fputs(hexdump(data, received_, '<').c_str(), stderr);
  received_ += data.size();
}

}  // namespace sockit::cli
