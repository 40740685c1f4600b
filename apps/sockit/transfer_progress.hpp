// The progress bar of `sockit send`/`recv`: one line per file on a terminal's stderr, redrawn at
// most five times a second (bytes, percentage, rate, ETA). When stderr is not a terminal it
// prints nothing. Private to the CLI.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "sockit/deadline.hpp"

namespace sockit::cli {

// The line for `done` of `total` bytes after `seconds`, `from` of them already there before
// (resumed, not counted in the rate), fitting in `width` columns:
// "big.iso  45% [=========>           ] 461.0 MiB / 1.0 GiB  512.3 MB/s  ETA 0:01"; total 0 with
// done > 0 is a stream of unknown length: "copy.bin  461.0 MiB  512.3 MB/s".
std::string progress_line(std::string_view name, std::uint64_t done, std::uint64_t total, std::uint64_t from,
                          double seconds, int width);
// "1.0 GiB", "512 B": binary units with one decimal.
std::string human_bytes(std::uint64_t n);

class transfer_progress {
 public:
  explicit transfer_progress(bool enabled) : enabled_(enabled) {}
  static bool stderr_is_terminal();

  void begin(std::string_view name, std::uint64_t total, std::uint64_t from);
  void update(std::uint64_t done);
  // Draws the final state and ends the line (a failure leaves the bar where it stopped).
  void finish();

 private:
  void draw();
  bool enabled_;
  bool active_ = false;
  std::string name_;
  std::uint64_t total_ = 0;
  std::uint64_t from_ = 0;
  std::uint64_t done_ = 0;
  clock::time_point started_{};
  clock::time_point drawn_{};
};

}  // namespace sockit::cli
