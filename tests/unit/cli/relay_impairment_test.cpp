// The relay's impairment arithmetic with a fixed seed: the draws repeat, the delay stays within
// delay +- jitter with the right mean, a stream's units never leave out of order, loss,
// duplication and reordering come out near their percentages, and the pacer holds the rate.
// Also the delay line's order.
#include "relay_impairment.hpp"
#include "relay_timed_queue.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <vector>

namespace sockit::cli {
namespace {

using namespace std::chrono_literals;
using clock_t_ = std::chrono::steady_clock;

double secs(clock_t_::duration d) { return std::chrono::duration<double>(d).count(); }

TEST(relay_impairment, the_same_seed_draws_the_same) {
  impairment_rng a(42), b(42), c(43);
  bool differs = false;
  for (int i = 0; i < 100; ++i) {
    auto x = a.next();
    EXPECT_EQ(x, b.next());
    differs |= x != c.next();
  }
  EXPECT_TRUE(differs);
  // splitmix64's first output for seed 0 is fixed by its definition: any platform agrees.
  EXPECT_EQ(impairment_rng(0).next(), 0xe220a8397b1dcdafULL);
  EXPECT_NE(flow_seed(1, 1, true), flow_seed(1, 1, false));
  EXPECT_NE(flow_seed(1, 1, true), flow_seed(1, 2, true));
  EXPECT_EQ(flow_seed(7, 3, false), flow_seed(7, 3, false));
}

TEST(relay_impairment, delay_is_uniform_within_the_jitter) {
  impairment_config c;
  c.delay = 0.050;
  c.jitter = 0.010;
  impairment imp(c, 1);
  const int n = 20000;
  double sum = 0, lo = 1, hi = 0;
  int below = 0;
  for (int i = 0; i < n; ++i) {
    double d = secs(imp.sample_delay());
    sum += d;
    lo = std::min(lo, d);
    hi = std::max(hi, d);
    below += d < c.delay;
  }
  EXPECT_NEAR(sum / n, 0.050, 0.0005);
  EXPECT_GE(lo, 0.040 - 1e-9);
  EXPECT_LE(hi, 0.060 + 1e-9);
  EXPECT_LT(lo, 0.0405);  // the whole range is used
  EXPECT_GT(hi, 0.0595);
  EXPECT_NEAR(below / double(n), 0.5, 0.02);
}

TEST(relay_impairment, delay_never_goes_below_zero) {
  impairment_config c;
  c.delay = 0.001;
  c.jitter = 0.010;
  impairment imp(c, 2);
  for (int i = 0; i < 1000; ++i) EXPECT_GE(imp.sample_delay().count(), 0);
}

TEST(relay_impairment, a_stream_never_overtakes_itself) {
  impairment_config c;
  c.delay = 0.020;
  c.jitter = 0.015;
  impairment imp(c, 3);
  auto t = clock_t_::time_point{} + 1h;
  auto last = clock_t_::time_point{};
  for (int i = 0; i < 5000; ++i) {
    t += 1ms;
    auto due = imp.stream_due(t);
    EXPECT_GE(due, last);
    EXPECT_GE(due, t + 5ms - 1us);  // at least delay - jitter
    last = due;
  }
}

TEST(relay_impairment, datagram_fates_match_their_percentages) {
  impairment_config c;
  c.loss = 10;
  c.duplicate = 5;
  c.reorder = 20;
  impairment imp(c, 4);
  const int n = 100000;
  int lost = 0, dup = 0, held = 0;
  auto now = clock_t_::time_point{} + 1h;
  for (int i = 0; i < n; ++i) {
    auto f = imp.datagram_fate(now);
    if (f.copies == 0) {
      ++lost;
      continue;
    }
    dup += f.copies == 2;
    held += f.due == now + reorder_hold;
  }
  EXPECT_NEAR(lost / double(n), 0.10, 0.005);
  // Duplication and reordering are drawn for the datagrams that were not lost.
  EXPECT_NEAR(dup / double(n - lost), 0.05, 0.005);
  EXPECT_NEAR(held / double(n - lost), 0.20, 0.007);
  // The same seed, the same fates.
  impairment a(c, 9), b(c, 9);
  for (int i = 0; i < 1000; ++i) {
    auto fa = a.datagram_fate(now), fb = b.datagram_fate(now);
    EXPECT_EQ(fa.copies, fb.copies);
    EXPECT_EQ(fa.due, fb.due);
  }
}

TEST(relay_impairment, nothing_configured_changes_nothing) {
  impairment_config c;
  EXPECT_FALSE(c.active());
  impairment imp(c, 5);
  auto now = clock_t_::time_point{} + 1h;
  for (int i = 0; i < 1000; ++i) {
    auto f = imp.datagram_fate(now);
    EXPECT_EQ(f.copies, 1);
    EXPECT_EQ(f.due, now);
  }
  pacer p(0);
  EXPECT_FALSE(p.limited());
  EXPECT_TRUE(p.ready(now));
}

TEST(relay_impairment, the_pacer_holds_the_rate) {
  // 1 MB/s, a sender that sends a quantum whenever allowed, its timer firing 0.3 ms late.
  pacer p(1e6);
  EXPECT_EQ(p.quantum(), 10000u);
  auto start = clock_t_::time_point{} + 1h;
  auto now = start;
  std::size_t sent = 0;
  while (now - start < 2s) {
    if (p.ready(now)) {
      p.spent(p.quantum(), now);
      sent += p.quantum();
    } else {
      now = p.next() + 300us;
    }
  }
  EXPECT_NEAR(sent / 2.0, 1e6, 0.02e6);
  // After an idle spell, at most one quantum of credit.
  now += 10s;
  int burst = 0;
  while (p.ready(now)) {
    p.spent(p.quantum(), now);
    ++burst;
  }
  EXPECT_LE(burst, 2);
  // A slow rate: a quantum of one byte.
  EXPECT_EQ(pacer(50).quantum(), 1u);
  EXPECT_EQ(pacer(1e12).quantum(), 65536u);
}

TEST(relay_timed_queue, keeps_time_order_and_fifo_among_equals) {
  timed_queue q;
  auto t0 = clock_t_::time_point{} + 1h;
  auto b = [](char c) { return std::vector<std::byte>(3, std::byte(c)); };
  auto x = b('x'), y = b('y'), z = b('z'), w = b('w');
  q.push(t0 + 2ms, x);
  q.push(t0 + 1ms, y);
  q.push(t0 + 2ms, z);
  q.push(t0, w);
  EXPECT_EQ(q.count(), 4u);
  EXPECT_EQ(q.bytes(), 12u);
  std::string order;
  while (!q.empty()) {
    order += static_cast<char>(q.head()[0]);
    q.consume(1);  // partly sent: the unit stays first
    EXPECT_EQ(q.head().size(), 2u);
    q.pop();
  }
  EXPECT_EQ(order, "wyxz");
  EXPECT_EQ(q.bytes(), 0u);
}

}  // namespace
}  // namespace sockit::cli
