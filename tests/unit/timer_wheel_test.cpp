// The hashed timer wheel: never early, at most one tick late, O(1) reschedule/cancel, rounds
// beyond one turn, long stalls, entries destroyed while scheduled or while firing, and the
// idle-timeout pattern (touch by recording a time; re-file on fire).
#include "sockit/timer_wheel.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

namespace sockit {
namespace {

using namespace std::chrono_literals;
using tp = timer_wheel::time_point;

struct item : timer_wheel::entry {
  int id = 0;
  int fired = 0;
  tp fired_at{};
};

TEST(TimerWheel, FiresNeverEarlyAtMostOneTickLate) {
  tp t0{};
  timer_wheel w(100ms, 8, t0);
  item a, b, c;
  w.schedule(a, t0 + 250ms);
  w.schedule(b, t0 + 300ms);
  w.schedule(c, t0 + 10ms);
  EXPECT_EQ(w.size(), 3u);
  auto fire = [](timer_wheel::entry& e) { ++static_cast<item&>(e).fired; };
  for (auto t = t0; t <= t0 + 500ms; t += 10ms) {
    w.advance(t, fire);
    if (t < t0 + 10ms) EXPECT_EQ(c.fired, 0);
    if (t < t0 + 250ms) EXPECT_EQ(a.fired, 0) << "early at " << (t - t0).count();
    if (t < t0 + 300ms) EXPECT_EQ(b.fired, 0);
    if (t >= t0 + 110ms) EXPECT_EQ(c.fired, 1);
    if (t >= t0 + 350ms) EXPECT_EQ(a.fired, 1) << "late at " << (t - t0).count();
    if (t >= t0 + 400ms) EXPECT_EQ(b.fired, 1);
  }
  EXPECT_EQ(w.size(), 0u);
  EXPECT_FALSE(a.scheduled());
}

TEST(TimerWheel, CancelAndRescheduleAreConstantTimeAndExact) {
  tp t0{};
  timer_wheel w(1s, 16, t0);
  item a, b;
  w.schedule(a, t0 + 3s);
  w.schedule(b, t0 + 3s);
  w.cancel(a);
  EXPECT_FALSE(a.scheduled());
  w.schedule(b, t0 + 5s);  // moves it; does not duplicate
  EXPECT_EQ(w.size(), 1u);
  int fired = 0;
  EXPECT_EQ(w.advance(t0 + 4s, [&](auto&) { ++fired; }), 0u);
  EXPECT_EQ(w.advance(t0 + 5s, [&](auto&) { ++fired; }), 1u);
  EXPECT_EQ(fired, 1);
}

TEST(TimerWheel, DeadlinesBeyondOneTurnWaitTheirRound) {
  tp t0{};
  timer_wheel w(100ms, 4, t0);  // one turn: 400 ms
  item distant;
  w.schedule(distant, t0 + 1050ms);
  int fired = 0;
  for (auto t = t0; t < t0 + 1050ms; t += 50ms) w.advance(t, [&](auto&) { ++fired; });
  EXPECT_EQ(fired, 0);
  EXPECT_TRUE(distant.scheduled());
  w.advance(t0 + 1100ms, [&](auto&) { ++fired; });
  EXPECT_EQ(fired, 1);
}

TEST(TimerWheel, LongStallFiresEverythingDueInOnePass) {
  tp t0{};
  timer_wheel w(10ms, 8, t0);
  std::vector<std::unique_ptr<item>> items;
  for (int i = 0; i < 100; ++i) {
    items.push_back(std::make_unique<item>());
    w.schedule(*items.back(), t0 + std::chrono::milliseconds(i * 7));
  }
  item late;
  w.schedule(late, t0 + 1h);
  EXPECT_EQ(w.advance(t0 + 10min, [](auto&) {}), 100u);
  EXPECT_TRUE(late.scheduled());
  EXPECT_EQ(w.size(), 1u);
}

TEST(TimerWheel, EntriesMayBeDestroyedWhileScheduledOrFromACallback) {
  tp t0{};
  timer_wheel w(10ms, 8, t0);
  auto a = std::make_unique<item>();
  auto b = std::make_unique<item>();
  auto c = std::make_unique<item>();
  w.schedule(*a, t0 + 10ms);
  w.schedule(*b, t0 + 10ms);  // same slot as a
  w.schedule(*c, t0 + 20ms);
  c.reset();  // unlinks itself
  EXPECT_EQ(w.size(), 2u);
  int fired = 0;
  w.advance(t0 + 30ms, [&](timer_wheel::entry& e) {
    ++fired;
    // Whichever fires first destroys the other, still pending in the same slot.
    if (&e == a.get()) b.reset(); else a.reset();
  });
  EXPECT_EQ(fired, 1);
  EXPECT_EQ(w.size(), 0u);
}

TEST(TimerWheel, IdlePatternRefilesActiveEntriesAndFiresSilentOnes) {
  // Two "connections" with a 1 s idle timeout on a 100 ms wheel: one is touched every 300 ms by
  // recording its last activity (no wheel call), the other never. Only the silent one expires.
  tp t0{};
  const auto timeout = 1s;
  timer_wheel w(100ms, 64, t0);
  struct conn : timer_wheel::entry {
    tp last;
    bool closed = false;
    tp closed_at{};
  };
  conn active, silent;
  active.last = silent.last = t0;
  w.schedule(active, t0 + timeout);
  w.schedule(silent, t0 + timeout);
  int refiled = 0;
  for (auto t = t0; t <= t0 + 5s; t += 50ms) {
    if ((t - t0) % 300ms == 0ms) active.last = t;
    w.advance(t, [&](timer_wheel::entry& e) {
      auto& c = static_cast<conn&>(e);
      if (c.last + timeout > t) {
        ++refiled;
        w.schedule(c, c.last + timeout);
      } else {
        c.closed = true;
        c.closed_at = t;
      }
    });
  }
  EXPECT_FALSE(active.closed);
  EXPECT_TRUE(silent.closed);
  EXPECT_GE(silent.closed_at, t0 + timeout);
  EXPECT_LE(silent.closed_at, t0 + timeout + 100ms);
  // Re-filed once per timeout period or so, not once per touch.
  EXPECT_LE(refiled, 8);
}

TEST(TimerWheel, ManyEntriesStayCheap) {
  tp t0{};
  timer_wheel w(100ms, 512, t0);
  std::vector<item> items(100000);
  for (std::size_t i = 0; i < items.size(); ++i) w.schedule(items[i], t0 + std::chrono::milliseconds(i % 30000));
  EXPECT_EQ(w.size(), 100000u);
  std::size_t fired = 0;
  for (auto t = t0; t <= t0 + 31s; t += 100ms) fired += w.advance(t, [](auto&) {});
  EXPECT_EQ(fired, 100000u);
  // All within one turn of the wheel: each entry looked at exactly once, when it fired.
  EXPECT_EQ(w.visited(), 100000u);
}

TEST(TimerWheel, AdvanceCostTracksTheSlotsPassedNotTheEntriesHeld) {
  tp t0{};
  timer_wheel w(100ms, 512, t0);
  // 100,000 far-future entries, all in the slot of tick 36000 (36000 % 512 = 160), and ten due at
  // tick 3: fifty ticks of advancing (slots 1..50) must look at the ten and nothing else.
  std::vector<item> distant(100000);
  for (auto& e : distant) w.schedule(e, t0 + 1h);
  std::vector<item> soon(10);
  for (auto& e : soon) w.schedule(e, t0 + 300ms);
  std::size_t fired = 0;
  for (auto t = t0 + 100ms; t <= t0 + 5s; t += 100ms) {
    auto before = w.visited();
    fired += w.advance(t, [](auto&) {});
    EXPECT_LE(w.visited() - before, 10u) << "one tick looked at entries outside its slot";
  }
  EXPECT_EQ(fired, 10u);
  EXPECT_EQ(w.visited(), 10u);
  EXPECT_EQ(w.size(), 100000u);
  // When their slot comes round before their round (tick 160), each is re-filed once, not fired.
  fired = w.advance(t0 + 16s, [](auto&) {});
  EXPECT_EQ(fired, 0u);
  EXPECT_EQ(w.visited(), 10u + 100000u);
}

}  // namespace
}  // namespace sockit
