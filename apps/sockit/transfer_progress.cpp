// Progress bar for file transfers (see transfer_progress.hpp).
#include "transfer_progress.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

#ifdef _WIN32
#ifndef NOMINMAX
#define NOMINMAX  // std::min and std::max, not windows.h's macros
#endif
#include <io.h>
#include <windows.h>
#else
#include <sys/ioctl.h>
#include <unistd.h>
#endif

#include <fmt/core.h>

#include "output.hpp"

namespace sockit::cli {

std::string human_bytes(std::uint64_t n) {
  static constexpr const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  if (n < 1024) return fmt::format("{} B", n);
  double v = static_cast<double>(n);
  int u = 0;
  while (v >= 1024 && u < 6) {
    v /= 1024;
    ++u;
  }
  return fmt::format("{:.1f} {}", v, units[u]);
}

std::string progress_line(std::string_view name, std::uint64_t done, std::uint64_t total, std::uint64_t from,
                          double seconds, int width) {
  double frac = total == 0 ? 1.0 : std::min(1.0, static_cast<double>(done) / static_cast<double>(total));
  double moved = static_cast<double>(done > from ? done - from : 0);
  double rate = seconds > 0 ? moved / seconds : 0;  // bytes per second
  std::string eta = "--:--";
  if (done >= total) {
    eta = "done";
  } else if (rate > 0) {
    double left = static_cast<double>(total - done) / rate;
    auto s = static_cast<long long>(std::min(left, 359999.0));
    eta = fmt::format("{}:{:02}", s / 60, s % 60);
  }
  // A stream of unknown length (recv --raw): no percentage, no bar, no ETA.
  if (total == 0 && done > 0) {
    return fmt::format("{}  {}  {:.1f} MB/s", name, human_bytes(done), rate / 1e6);
  }
  std::string tail = fmt::format(" {:3.0f}% {} / {}  {:.1f} MB/s  ETA {}", std::floor(frac * 100), human_bytes(done),
                                 human_bytes(total), rate / 1e6, eta);
  std::string shown(name);
  int room = width - static_cast<int>(tail.size()) - 1;
  int bar = std::clamp(room - 24, 0, 30);  // the bar shrinks first, then the name
  int name_room = std::max(room - (bar > 0 ? bar + 3 : 0), 8);
  if (static_cast<int>(shown.size()) > name_room) shown = shown.substr(0, static_cast<std::size_t>(name_room - 1)) + "~";
  std::string line = shown;
  if (bar > 0) {
    int fill = static_cast<int>(frac * bar);
    line += " [" + std::string(static_cast<std::size_t>(fill), '=') +
            (fill < bar ? ">" + std::string(static_cast<std::size_t>(bar - fill - 1), ' ') : "") + "]";
  }
  return line + tail;
}

namespace {
// The terminal's width, or 0 when unknown.
int stderr_columns() {
#ifdef _WIN32
  CONSOLE_SCREEN_BUFFER_INFO info{};
  if (!::GetConsoleScreenBufferInfo(::GetStdHandle(STD_ERROR_HANDLE), &info)) return 0;
  return info.srWindow.Right - info.srWindow.Left + 1;
#else
  winsize ws{};
  return ::ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 ? ws.ws_col : 0;
#endif
}
}  // namespace

bool transfer_progress::stderr_is_terminal() { return ::isatty(STDERR_FILENO) == 1; }

void transfer_progress::begin(std::string_view name, std::uint64_t total, std::uint64_t from) {
  if (!enabled_) return;
  name_ = std::string(name);
  total_ = total;
  from_ = from;
  done_ = from;
  started_ = clock::now();
  drawn_ = {};
  active_ = true;
  draw();
}

void transfer_progress::update(std::uint64_t done) {
  if (!active_) return;
  done_ = done;
  if (clock::now() - drawn_ >= std::chrono::milliseconds(200)) draw();
}

void transfer_progress::finish() {
  if (!active_) return;
  draw();
  write_err("\n");
  active_ = false;
}

void transfer_progress::draw() {
  int columns = stderr_columns();
  int width = columns > 20 ? columns : 80;
  double seconds = std::chrono::duration<double>(clock::now() - started_).count();
  // \r and "erase to end of line": a shorter line leaves nothing of the previous one behind.
  write_err("\r" + progress_line(name_, done_, total_, from_, seconds, width) + "\x1b[K");
  drawn_ = clock::now();
}

}  // namespace sockit::cli
