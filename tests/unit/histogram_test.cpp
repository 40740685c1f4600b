// sockit::histogram: bucket edges (exact below 128, 64 per octave above, no gaps or overlaps up to
// UINT64_MAX), the relative error bound, percentiles in order, merge, min/max/mean.
#include "sockit/histogram.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

namespace sockit {
namespace {

TEST(Histogram, ExactBelow128) {
  for (std::uint64_t v = 0; v < 128; ++v) {
    auto b = histogram::bucket_of(v);
    EXPECT_EQ(b, v);
    EXPECT_EQ(histogram::bucket_low(b), v);
    EXPECT_EQ(histogram::bucket_high(b), v);
  }
}

TEST(Histogram, BucketsTileTheWholeRange) {
  // Consecutive buckets meet exactly: no value falls between two, none is in two.
  for (std::size_t i = 0; i + 1 < histogram::bucket_count; ++i) {
    ASSERT_EQ(histogram::bucket_high(i) + 1, histogram::bucket_low(i + 1)) << "bucket " << i;
    ASSERT_LE(histogram::bucket_low(i), histogram::bucket_high(i)) << "bucket " << i;
  }
  EXPECT_EQ(histogram::bucket_of(UINT64_MAX), histogram::bucket_count - 1);
  EXPECT_EQ(histogram::bucket_high(histogram::bucket_count - 1), UINT64_MAX);
  // Each power of two starts a bucket; the value before it ends the previous one.
  for (int k = 7; k < 64; ++k) {
    std::uint64_t v = std::uint64_t{1} << k;
    auto b = histogram::bucket_of(v);
    EXPECT_EQ(histogram::bucket_low(b), v) << "2^" << k;
    EXPECT_EQ(histogram::bucket_of(v - 1), b - 1) << "2^" << k << " - 1";
    EXPECT_EQ(histogram::bucket_high(b - 1), v - 1);
  }
}

TEST(Histogram, EveryValueLandsInsideItsBucketWithinTheErrorBound) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 200000; ++i) {
    std::uint64_t v = rng() >> (rng() % 64);
    auto b = histogram::bucket_of(v);
    ASSERT_LE(histogram::bucket_low(b), v);
    ASSERT_GE(histogram::bucket_high(b), v);
    if (v >= 128) {
      // Width over low: 1/64, so any value in the bucket is within 1.6% of any other.
      double width = static_cast<double>(histogram::bucket_high(b) - histogram::bucket_low(b) + 1);
      ASSERT_LE(width / static_cast<double>(histogram::bucket_low(b)), 1.0 / 64 + 1e-12) << v;
    }
  }
}

TEST(Histogram, PercentileOfOneValueIsWithinTheBound) {
  for (std::uint64_t v : {0ull, 1ull, 127ull, 128ull, 1000ull, 123456ull, 987654321ull, 1ull << 40}) {
    histogram h;
    h.record(v);
    for (double p : {0.0, 50.0, 99.9, 100.0}) {
      double got = static_cast<double>(h.percentile(p));
      EXPECT_LE(std::abs(got - static_cast<double>(v)), static_cast<double>(v) * 0.016) << v << " at p" << p;
    }
    EXPECT_EQ(h.max(), v);
    EXPECT_EQ(h.min(), v);
  }
}

TEST(Histogram, PercentilesNeverDecreaseAndEndAtMax) {
  histogram h;
  std::mt19937_64 rng(11);
  std::lognormal_distribution<double> lat(10.0, 1.5);  // microsecond-ish latencies, long tail
  std::vector<std::uint64_t> all;
  for (int i = 0; i < 100000; ++i) {
    auto v = static_cast<std::uint64_t>(lat(rng));
    h.record(v);
    all.push_back(v);
  }
  std::uint64_t prev = 0;
  for (double p = 0; p <= 100.0; p += 0.05) {
    auto v = h.percentile(p);
    ASSERT_GE(v, prev) << "p" << p;
    prev = v;
  }
  EXPECT_EQ(h.percentile(100), h.max());
  EXPECT_GE(h.percentile(0), h.min());
  EXPECT_LE(h.percentile(50), h.percentile(90));
  EXPECT_LE(h.percentile(90), h.percentile(99));
  EXPECT_LE(h.percentile(99), h.percentile(99.9));
  EXPECT_LE(h.percentile(99.9), h.max());
  // Against the exact order statistic: within the bucket bound.
  std::sort(all.begin(), all.end());
  for (double p : {50.0, 90.0, 99.0, 99.9}) {
    auto exact = static_cast<double>(all[static_cast<std::size_t>(std::ceil(p / 100 * all.size())) - 1]);
    EXPECT_NEAR(static_cast<double>(h.percentile(p)), exact, exact * 0.016 + 1) << "p" << p;
  }
  EXPECT_EQ(h.max(), all.back());
  EXPECT_EQ(h.min(), all.front());
  EXPECT_EQ(h.count(), all.size());
}

TEST(Histogram, MergeEqualsRecordingEverythingInOne) {
  histogram a, b, both;
  std::mt19937_64 rng(3);
  for (int i = 0; i < 50000; ++i) {
    std::uint64_t v = rng() % 1000000;
    (i % 3 ? a : b).record(v);
    both.record(v);
  }
  b.record(5000000);  // the max comes from the merged-in side
  both.record(5000000);
  a.merge(b);
  EXPECT_EQ(a.count(), both.count());
  EXPECT_EQ(a.min(), both.min());
  EXPECT_EQ(a.max(), 5000000u);
  EXPECT_DOUBLE_EQ(a.mean(), both.mean());
  for (double p : {0.0, 1.0, 50.0, 90.0, 99.0, 99.9, 100.0}) EXPECT_EQ(a.percentile(p), both.percentile(p)) << p;
  // Merging an empty histogram changes nothing (its min must not leak in).
  histogram empty;
  a.merge(empty);
  EXPECT_EQ(a.count(), both.count());
  EXPECT_EQ(a.min(), both.min());
}

TEST(Histogram, EmptyAndReset) {
  histogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.percentile(50), 0u);
  EXPECT_EQ(h.min(), 0u);
  EXPECT_EQ(h.max(), 0u);
  EXPECT_EQ(h.mean(), 0.0);
  h.record(42);
  h.reset();
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.max(), 0u);
  EXPECT_EQ(h.percentile(99), 0u);
}

TEST(Histogram, MeanOfHugeValuesDoesNotWrap) {
  histogram h;
  h.record(UINT64_MAX);
  h.record(UINT64_MAX);
  h.record(UINT64_MAX - 2);
  EXPECT_NEAR(h.mean(), 1.8446744073709552e19, 1e6);
  histogram m;
  m.merge(h);
  m.merge(h);
  EXPECT_NEAR(m.mean(), 1.8446744073709552e19, 1e6);
}

}  // namespace
}  // namespace sockit
