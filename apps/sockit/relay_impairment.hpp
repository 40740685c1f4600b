// The relay's impairments, as pure arithmetic over a seeded random source (no sockets, no clock
// reads), so a unit test can check the scheduling with a seed: when a unit of traffic (the bytes
// of one read on TCP, one datagram on UDP) may leave, whether a datagram is lost, duplicated or
// held back, and how fast bytes may leave (--rate). Private to the CLI.
//
//   arrival --delay +- jitter--> due --pacer (--rate bytes/s)--> leaves
//
// Delay: each unit waits delay + a jitter drawn uniformly from [-jitter, +jitter], never less than
// 0. A byte stream cannot overtake itself, so on TCP a unit is never due before the one read
// before it (jitter then only stretches gaps). Loss, duplication and reordering are UDP only,
// each an independent draw with its percentage; a reordered datagram is held `reorder_hold` past
// its due time, so the datagrams that arrive in that time overtake it.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace sockit::cli {

struct impairment_config {
  double delay = 0;      // seconds
  double jitter = 0;     // seconds
  double rate = 0;       // bytes per second; 0: unlimited
  double loss = 0;       // percent of datagrams dropped
  double duplicate = 0;  // percent of datagrams sent twice
  double reorder = 0;    // percent of datagrams held back past later ones
  bool active() const noexcept { return delay > 0 || jitter > 0 || rate > 0 || loss > 0 || duplicate > 0 || reorder > 0; }
};

inline constexpr std::chrono::milliseconds reorder_hold{10};

// splitmix64 (Steele, Lea, Flood 2014): a tiny generator whose output is fixed by the seed on
// every platform, unlike std::uniform_real_distribution, so a --seed run repeats anywhere.
class impairment_rng {
 public:
  explicit impairment_rng(std::uint64_t seed) noexcept : state_(seed) {}
  std::uint64_t next() noexcept;
  // Uniform in [0, 1), from the top 53 bits.
  double uniform() noexcept { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  // True with probability pct / 100.
  bool chance(double pct) noexcept { return pct > 0 && uniform() * 100.0 < pct; }

 private:
  std::uint64_t state_;
};

// A seed for one direction of one connection or session, from the run's --seed: connections
// numbered in accept order get independent, reproducible streams.
std::uint64_t flow_seed(std::uint64_t run_seed, std::uint64_t connection, bool up) noexcept;

// Pacing for --rate: a unit may leave once the clock reaches next(); sending n bytes moves next()
// on by n / rate. After an idle spell no credit piles up beyond one quantum, so the rate holds
// over any window longer than a quantum, and a timer that fires late is caught up within one.
class pacer {
 public:
  using clock = std::chrono::steady_clock;
  explicit pacer(double bytes_per_second) noexcept;
  bool limited() const noexcept { return rate_ > 0; }
  bool ready(clock::time_point now) const noexcept { return !limited() || now >= next_; }
  // The most bytes of a stream to send at once: 10 ms at the rate, from 1 byte to 64 KiB.
  std::size_t quantum() const noexcept { return quantum_; }
  void spent(std::size_t bytes, clock::time_point now) noexcept;
  clock::time_point next() const noexcept { return next_; }

 private:
  double rate_;
  std::size_t quantum_;
  clock::time_point next_{};
};

class impairment {
 public:
  using clock = std::chrono::steady_clock;
  impairment(const impairment_config& c, std::uint64_t seed) noexcept : cfg_(c), rng_(seed) {}

  // delay + uniform jitter, clamped at 0.
  clock::duration sample_delay() noexcept;
  // When the bytes of a stream read at `now` may leave: never before those read earlier.
  clock::time_point stream_due(clock::time_point now) noexcept;

  struct fate {
    int copies = 1;          // 0: lost; 2: duplicated
    clock::time_point due{};  // when it (and its copy) may leave
  };
  // What happens to a datagram that arrived at `now`: loss, then duplication, then delay, with
  // the reorder hold added to a datagram drawn for reordering.
  fate datagram_fate(clock::time_point now) noexcept;

  const impairment_config& config() const noexcept { return cfg_; }

 private:
  impairment_config cfg_;
  impairment_rng rng_;
  clock::time_point last_due_{};
};

}  // namespace sockit::cli
