// sockit/histogram.hpp: a latency histogram with HdrHistogram-style log-linear buckets: exact
// below 128, then 64 buckets per power of two (relative error under 1.6%), fixed memory (30 KiB),
// O(1) record. Used by `sockit bench` and anything that reports percentiles.
#pragma once

#include <array>
#include <cstdint>

namespace sockit {

class histogram {
 public:
  void record(std::uint64_t value) noexcept;
  void merge(const histogram& other) noexcept;
  void reset() noexcept { *this = histogram{}; }

  std::uint64_t count() const noexcept { return count_; }
  std::uint64_t min() const noexcept { return count_ ? min_ : 0; }
  std::uint64_t max() const noexcept { return max_; }
  double mean() const noexcept { return count_ ? sum_ / static_cast<double>(count_) : 0.0; }
  // The value at percentile p (0..100): the midpoint of the bucket holding it, clamped to
  // [min, max]. 0 when empty.
  std::uint64_t percentile(double p) const noexcept;

  static constexpr int sub_bits = 7;  // 2^7 = 128 exact values, then 64 sub-buckets per octave
  static constexpr std::size_t bucket_count = (64 - sub_bits + 1) * 64 + 64;
  static std::size_t bucket_of(std::uint64_t value) noexcept;
  static std::uint64_t bucket_low(std::size_t index) noexcept;
  static std::uint64_t bucket_high(std::size_t index) noexcept;

 private:
  std::array<std::uint64_t, bucket_count> counts_{};
  std::uint64_t count_ = 0;
  double sum_ = 0;  // not an integer: a few huge values (UINT64_MAX ns) would wrap one
  std::uint64_t min_ = UINT64_MAX;
  std::uint64_t max_ = 0;
};

}  // namespace sockit
