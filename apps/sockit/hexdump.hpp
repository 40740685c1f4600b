// Traffic dumps for -x/--hexdump, in the layout of ncat's --hex-dump: offset, 16 hex bytes,
// printable ASCII.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace sockit::cli {

// Formats data as dump lines; `direction` prefixes each line ('>' sent, '<' received).
std::string hexdump(std::string_view data, std::uint64_t offset, char direction);

// Keeps per-direction offsets and writes dumps to stderr when enabled.
class traffic_dumper {
 public:
  explicit traffic_dumper(bool enabled) : enabled_(enabled) {}
  void sent(std::string_view data);
  void received(std::string_view data);

 private:
  bool enabled_;
  std::uint64_t sent_ = 0;
  std::uint64_t received_ = 0;
};

}  // namespace sockit::cli
