// Traffic dumps for -x/--hexdump (stderr) and --hex-dump FILE, in the line layout of ncat's
// --hex-dump (nbase's hexdump): offset, 16 bytes in hex (8 + 8), the printable column.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>

namespace sockit::cli {

// Formats data as dump lines, the first byte at stream offset `offset`:
//
//   0000   68 65 6c 6c 6f 20 77 6f  72 6c 64 0a              hello.world.
//   |      |                                                 |               |
//   0      7                                                 57              73 '\n'
//
// Lower-case hex; bytes 0x21-0x7e as themselves, the rest (space included) as '.'; a short last
// line is padded with spaces to the full width, as ncat does. The offset has at least 4 digits and
// grows past ffff (ncat wraps it), shifting that line right by one column per extra digit.
std::string hexdump(std::string_view data, std::uint64_t offset);

// Opens FILE (created or truncated, as ncat) to receive every dump of this process from now on,
// in addition to stderr for -x. Called once by main before a command runs.
std::error_code open_hexdump_file(const std::string& path);

// Keeps per-direction stream offsets and writes each chunk's dump to stderr (-x) and to the
// --hex-dump file if one is open. Sent and received chunks are not marked (ncat's layout has no
// place for it); each direction's offsets count from 0.
class traffic_dumper {
 public:
  explicit traffic_dumper(bool to_stderr) : to_stderr_(to_stderr) {}
  void sent(std::string_view data) { dump(data, sent_); }
  void received(std::string_view data) { dump(data, received_); }

 private:
  void dump(std::string_view data, std::uint64_t& offset);

  bool to_stderr_;
  std::uint64_t sent_ = 0;
  std::uint64_t received_ = 0;
};

}  // namespace sockit::cli
