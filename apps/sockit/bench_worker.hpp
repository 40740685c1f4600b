// What `sockit bench`'s worker threads share: the byte pattern every message is cut from, and the
// interface each kind of worker (readiness on an event loop, completions on io_uring) offers
// run_bench.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <system_error>
#include <vector>

#include <fmt/core.h>

#include "bench_driver.hpp"
#include "sockit/socket.hpp"
#include "sockit/tls_session.hpp"

namespace sockit::cli {

using bench_clock = std::chrono::steady_clock;

inline constexpr std::size_t pattern_period = 251;  // prime: consecutive messages differ unless SIZE is a multiple

// The bytes every message is cut from, shared by all connections and threads. Byte i of it is
// byte i % 251 of a fixed sequence, so any run of `chunk` bytes can start at any stream position:
//   TCP: stream byte p (message p / size, offset p % size) is stream(p)[0]; a send or a verify
//        covers up to `chunk` bytes, across message boundaries, whatever SIZE is;
//   UDP: datagram k carries message(k), SIZE - 8 bytes after its sequence number.
class bench_pattern {
 public:
  static constexpr std::size_t chunk = 256 * 1024;  // > the largest UDP payload (65527)
  bench_pattern() : bytes_(chunk + pattern_period) {
    for (std::size_t i = 0; i < bytes_.size(); ++i) bytes_[i] = static_cast<std::byte>(((i % pattern_period) * 7 + 13) & 0xff);
  }
  const std::byte* stream(std::uint64_t pos) const { return bytes_.data() + pos % pattern_period; }
  const std::byte* message(std::uint64_t k) const { return bytes_.data() + k % pattern_period; }

 private:
  std::vector<std::byte> bytes_;
};

// Stream echo bytes `got`, which continue `c`'s stream at c.received, checked against the pattern
// and counted; `c` is either worker's connection (`received`, and `count`: messages awaiting their
// echo). `done` retires each message the bytes complete, oldest first. Empty when all matched;
// otherwise what did not, for the run's error line.
template <class Conn, class Done>
std::string verify_echo(Conn& c, std::span<const std::byte> got, const bench_pattern& pat, const bench_config& cfg,
                        Done&& done) {
  std::size_t pos = 0;
  while (pos < got.size()) {
    std::size_t offset = static_cast<std::size_t>(c.received % cfg.size);
    std::size_t take = std::min(cfg.size - offset, got.size() - pos);
    if (c.count == 0 || std::memcmp(got.data() + pos, pat.stream(c.received), take) != 0) {
      return fmt::format("echo from {} does not match what was sent (message {}, offset {})", cfg.target_name(),
                         c.received / cfg.size, offset);
    }
    pos += take;
    c.received += take;
    if (offset + take == cfg.size) done();
  }
  return {};
}

// One message echoed, while measuring: its latency and the totals.
inline void record_message(bench_totals& totals, bench_progress& progress, std::size_t size, bench_clock::time_point sent,
                           bench_clock::time_point now) {
  totals.latency_ns.record(static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(now - sent).count()));
  ++totals.messages;
  totals.bytes += size;
  progress.messages.fetch_add(1, std::memory_order_relaxed);
}

class bench_worker {
 public:
  virtual ~bench_worker() = default;
  virtual std::error_code init() = 0;
  // quota: UDP datagrams this connection sends (--count); interval: between two of them (--rate).
  virtual void add(socket s, std::optional<tls_session> tls, std::uint64_t quota, bench_clock::duration interval) = 0;
  // Runs until `stop_at` (or progress.stop); measures from `measure_at`.
  virtual void run(bench_clock::time_point measure_at, bench_clock::time_point stop_at) = 0;
  virtual bench_totals& totals() = 0;
};

#ifndef _WIN32
// Whether a run goes to the io_uring worker: TCP or a unix stream without TLS, on --engine uring
// or auto, where this kernel has what it uses (sockit::uring_stream_server::available()).
bool ring_worker_fits(const bench_config& cfg);
// The io_uring worker (bench_ring_worker.cpp): each connection's echoes read by one multishot
// receive into provided buffers, its next messages sent by the ring.
std::unique_ptr<bench_worker> make_ring_worker(const bench_config& cfg, const bench_pattern& pat, bench_progress& progress);
#endif

}  // namespace sockit::cli
