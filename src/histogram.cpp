// Log-linear histogram buckets.
//
//   value < 128             -> bucket = value                     (exact)
//   value in [2^k, 2^(k+1)) -> shift = k - 6, m = value >> shift  (m in [64, 128))
//                              bucket = shift * 64 + m
#include "sockit/histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace sockit {

std::size_t histogram::bucket_of(std::uint64_t v) noexcept {
  if (v < (1u << sub_bits)) return static_cast<std::size_t>(v);
  unsigned shift = static_cast<unsigned>(std::bit_width(v)) - sub_bits;
  return shift * 64 + static_cast<std::size_t>(v >> shift);
}

std::uint64_t histogram::bucket_low(std::size_t i) noexcept {
  if (i < (1u << sub_bits)) return i;
  std::size_t shift = i / 64 - 1;
  std::uint64_t m = i % 64 + 64;
  return m << shift;
}

std::uint64_t histogram::bucket_high(std::size_t i) noexcept {
  if (i < (1u << sub_bits)) return i;
  std::size_t shift = i / 64 - 1;
  std::uint64_t m = i % 64 + 64;
  return ((m + 1) << shift) - 1;
}

void histogram::record(std::uint64_t v) noexcept {
  ++counts_[bucket_of(v)];
  ++count_;
  sum_ += static_cast<double>(v);
  min_ = std::min(min_, v);
  max_ = std::max(max_, v);
}

void histogram::merge(const histogram& o) noexcept {
  for (std::size_t i = 0; i < bucket_count; ++i) counts_[i] += o.counts_[i];
  count_ += o.count_;
  sum_ += o.sum_;
  min_ = std::min(min_, o.min_);
  max_ = std::max(max_, o.max_);
}

std::uint64_t histogram::percentile(double p) const noexcept {
  if (count_ == 0) return 0;
  p = std::clamp(p, 0.0, 100.0);
  auto rank = static_cast<std::uint64_t>(std::ceil(p / 100.0 * static_cast<double>(count_)));
  rank = std::max<std::uint64_t>(rank, 1);
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < bucket_count; ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      std::uint64_t mid = bucket_low(i) + (bucket_high(i) - bucket_low(i)) / 2;
      return std::clamp(mid, min_, max_);
    }
  }
  return max_;
}

}  // namespace sockit
