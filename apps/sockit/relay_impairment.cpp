// The arithmetic of the relay's impairments.
#include "relay_impairment.hpp"

#include <algorithm>
#include <cmath>

namespace sockit::cli {

std::uint64_t impairment_rng::next() noexcept {
  std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::uint64_t flow_seed(std::uint64_t run_seed, std::uint64_t connection, bool up) noexcept {
  impairment_rng mix(run_seed ^ (connection * 0xd1b54a32d192ed03ULL) ^ (up ? 0x5851f42d4c957f2dULL : 0));
  return mix.next();
}

pacer::pacer(double bytes_per_second) noexcept : rate_(bytes_per_second > 0 ? bytes_per_second : 0) {
  double q = std::clamp(rate_ / 100.0, 1.0, 65536.0);
  quantum_ = static_cast<std::size_t>(q);
}

void pacer::spent(std::size_t bytes, clock::time_point now) noexcept {
  if (!limited()) return;
  auto window = std::chrono::duration<double>(static_cast<double>(quantum_) / rate_);
  auto floor = now - std::chrono::duration_cast<clock::duration>(window);
  auto base = std::max(next_, floor);
  next_ = base + std::chrono::duration_cast<clock::duration>(
                     std::chrono::duration<double>(static_cast<double>(bytes) / rate_));
}

impairment::clock::duration impairment::sample_delay() noexcept {
  double d = cfg_.delay;
  if (cfg_.jitter > 0) d += (rng_.uniform() * 2.0 - 1.0) * cfg_.jitter;
  d = std::max(d, 0.0);
  return std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(d));
}

impairment::clock::time_point impairment::stream_due(clock::time_point now) noexcept {
  auto due = now + sample_delay();
  if (due < last_due_) due = last_due_;
  last_due_ = due;
  return due;
}

impairment::fate impairment::datagram_fate(clock::time_point now) noexcept {
  fate f;
  if (rng_.chance(cfg_.loss)) {
    f.copies = 0;
    return f;
  }
  if (rng_.chance(cfg_.duplicate)) f.copies = 2;
  f.due = now + sample_delay();
  if (rng_.chance(cfg_.reorder)) f.due += reorder_hold;
  return f;
}

}  // namespace sockit::cli
