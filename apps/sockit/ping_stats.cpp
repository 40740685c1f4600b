// sockit ping's statistics in iputils' words (see ping_stats.hpp).
#include "ping_stats.hpp"

#include <cmath>
#include <cstdio>

#include <fmt/core.h>

namespace sockit::cli {
namespace {

std::string ms3(std::int64_t us) { return fmt::format("{}.{:03}", us / 1000, us % 1000); }

// iputils' llsqrt: the integer square root, rounded down.
std::int64_t isqrt(std::int64_t v) {
  if (v <= 0) return 0;
  auto r = static_cast<std::int64_t>(std::sqrt(static_cast<double>(v)));
  while (r * r > v) --r;
  while ((r + 1) * (r + 1) <= v) ++r;
  return r;
}

}  // namespace

void ping_stats::add_rtt(std::int64_t us) {
  if (us < 0) us = 0;
  if (timed == 0 || us < tmin_us) tmin_us = us;
  if (us > tmax_us) tmax_us = us;
  tsum_us += us;
  tsum2_us += us * us;
  ewma_x8 = ewma_x8 == 0 ? us * 8 : ewma_x8 + us - ewma_x8 / 8;
  ++timed;
}

std::int64_t mdev_us(const ping_stats& s) {
  if (s.timed == 0) return 0;
  auto n = static_cast<std::int64_t>(s.timed);
  // iputils' order of operations (its comment: it avoids rounding errors for small times), so the
  // digits match: (sum of squares - sum^2 / n) / n, then the integer square root.
  std::int64_t var = s.tsum_us < 2147483647 ? (s.tsum2_us - (s.tsum_us * s.tsum_us) / n) / n
                                            : s.tsum2_us / n - (s.tsum_us / n) * (s.tsum_us / n);
  return isqrt(var);
}

void ping_stats::acknowledge(std::uint16_t seq) {
  // Sequences start at 1 and wrap at 65536, as the transmitted count's low 16 bits.
  auto diff = static_cast<std::uint16_t>(static_cast<std::uint16_t>(transmitted) - seq);
  if (diff <= 0x7fff && diff + 1 > pipe) pipe = diff + 1;
}

std::string format_reply_time(std::int64_t us) {
  if (us < 0) us = 0;
  if (us >= 100000 - 50) return fmt::format("{}", (us + 500) / 1000);
  if (us >= 10000 - 5) return fmt::format("{}.{:01}", (us + 50) / 1000, ((us + 50) % 1000) / 100);
  if (us >= 1000) return fmt::format("{}.{:02}", (us + 5) / 1000, ((us + 5) % 1000) / 10);
  return ms3(us);
}

std::string loss_percent(const ping_stats& s) {
  if (s.transmitted == 0) return "0";
  // As iputils: a float, printed with %g.
  auto loss = static_cast<float>(static_cast<double>(static_cast<long long>(s.transmitted) -
                                                     static_cast<long long>(s.received)) * 100.0 /
                                 static_cast<double>(s.transmitted));
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", static_cast<double>(loss));
  return buf;
}

std::string transmitted_line(const ping_stats& s, std::int64_t elapsed_ms) {
  std::string line = fmt::format("{} packets transmitted, {} received", s.transmitted, s.received);
  if (s.duplicates) line += fmt::format(", +{} duplicates", s.duplicates);
  if (s.corrupted) line += fmt::format(", +{} corrupted", s.corrupted);
  if (s.errors) line += fmt::format(", +{} errors", s.errors);
  if (s.transmitted) line += fmt::format(", {}% packet loss, time {}ms", loss_percent(s), elapsed_ms);
  return line;
}

std::string rtt_line(const ping_stats& s) {
  if (s.received == 0 || s.timed == 0) return "";
  std::int64_t avg = s.tsum_us / static_cast<std::int64_t>(s.timed);
  return fmt::format("rtt min/avg/max/mdev = {}/{}/{}/{} ms", ms3(s.tmin_us), ms3(avg), ms3(s.tmax_us),
                     ms3(mdev_us(s)));
}

std::string summary_block(std::string_view host, const ping_stats& s, std::int64_t elapsed_ms) {
  std::string out = fmt::format("\n--- {} ping statistics ---\n{}\n", host, transmitted_line(s, elapsed_ms));
  // iputils ends the block with a newline whether or not it printed the rtt line (so a host
  // that never answered leaves an empty line).
  auto rtt = rtt_line(s);
  if (s.pipe > 1) rtt += fmt::format("{}pipe {}", rtt.empty() ? "" : ", ", s.pipe);
  out += rtt + "\n";
  return out;
}

std::string status_line(const ping_stats& s) {
  long loss = s.transmitted ? static_cast<long>((s.transmitted - s.received) * 100 / s.transmitted) : 0;
  std::string line = fmt::format("{}/{} packets, {}% loss", s.received, s.transmitted, loss);
  if (s.received && s.timed) {
    std::int64_t avg = s.tsum_us / static_cast<std::int64_t>(s.timed);
    line += fmt::format(", min/avg/ewma/max = {}/{}/{}.{:03}/{} ms", ms3(s.tmin_us), ms3(avg), s.ewma_x8 / 8000,
                        (s.ewma_x8 / 8) % 1000, ms3(s.tmax_us));
  }
  return line;
}

}  // namespace sockit::cli
