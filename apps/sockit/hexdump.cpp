// Hex dumps in ncat's layout, to stderr and/or the --hex-dump file.
#include "hexdump.hpp"

#include <cstdio>

#include <fmt/core.h>

#include "sockit/error.hpp"

namespace sockit::cli {
namespace {

// The one --hex-dump file of the process. A process-wide sink, as ncat has one, so that the
// commands' dumpers (and the options structs that create them) need not carry it.
std::FILE* dump_file = nullptr;
std::string dump_path;

constexpr std::size_t hex_width = 16 * 3 + 2;  // "xx " x 16, the extra space after 8, one more

// Flushed at once, as ncat writes each dump unbuffered: the file is complete however we end.
std::error_code put(std::FILE* f, const std::string& text) {
  if (std::fwrite(text.data(), 1, text.size(), f) != text.size() || std::fflush(f) != 0) return last_error();
  return {};
}

}  // namespace

std::string hexdump(std::string_view data, std::uint64_t offset) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < data.size(); i += 16) {
    std::string line = fmt::format("{:04x}   ", offset + i);
    std::size_t hex_start = line.size();
    std::string text;
    for (std::size_t j = 0; j < 16 && i + j < data.size(); ++j) {
      auto c = static_cast<unsigned char>(data[i + j]);
      if (j == 8) line += ' ';
      line += digits[c >> 4];
      line += digits[c & 0xf];
      line += ' ';
      text += (c > 0x20 && c < 0x7f) ? static_cast<char>(c) : '.';
    }
    line.resize(hex_start + hex_width, ' ');
    text.resize(16, ' ');
    out += line;
    out += text;
    out += '\n';
  }
  return out;
}

std::error_code open_hexdump_file(const std::string& path) {
  // "e": close-on-exec, so nothing a command may start inherits it.
  std::FILE* f = std::fopen(path.c_str(), "we");
  if (f == nullptr) return last_error();
  if (dump_file != nullptr) std::fclose(dump_file);
  dump_file = f;
  dump_path = path;
  return {};
}

void traffic_dumper::dump(std::string_view data, std::uint64_t& offset) {
  if ((!to_stderr_ && dump_file == nullptr) || data.empty()) return;
  auto text = hexdump(data, offset);
  offset += data.size();
  if (to_stderr_) put(stderr, text);
  if (dump_file != nullptr) {
    if (auto ec = put(dump_file, text)) {
      // A full disk must not end the session; say it once and stop dumping to the file.
      std::fprintf(stderr, "sockit: %s; hex dump stopped\n", describe("write " + dump_path, ec).c_str());
      std::fclose(dump_file);
      dump_file = nullptr;
    }
  }
}

}  // namespace sockit::cli
