// The load generator behind `sockit bench`: CONNS connections spread over THREADS workers (event
// loops, or io_uring rings for TCP and Unix streams), DEPTH messages of SIZE bytes in flight on
// each, every echoed byte verified, latencies recorded in a histogram. Results are merged when all
// threads are done.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sockit/socket.hpp"
#include "sockit/endpoint.hpp"
#include "sockit/event_loop.hpp"
#include "sockit/histogram.hpp"
#include "sockit/tls_context.hpp"
#include "sockit/unix.hpp"

namespace sockit::cli {

struct bench_config {
  endpoint target;
  // A unix:/path or unix:@name target instead (`target` is then empty): a stream socket, or with
  // `udp` (--unix-dgram) a datagram socket bound to an autobind address.
  std::optional<unix_address> unix_target;
  bool udp = false;
  int connections = 1;
  int depth = 1;
  std::size_t size = 64;
  double seconds = 5.0;
  double warmup = 1.0;
  int threads = 1;
  engine loop_engine = engine::automatic;
  double udp_timeout = 1.0;  // a datagram not echoed within this is counted lost
  int server_pid = 0;        // if set, the server's CPU time over the window is measured
  // TCP to 127.0.0.0/8: connections per source address 127.0.0.x before moving to the next
  // (0: until its ephemeral ports run out, i.e. connect fails with EADDRNOTAVAIL).
  int per_source = 0;
  // UDP only. rate: datagrams per second over all connections together (each paces rate /
  // connections of them), 0 = as fast as the echoes come back; DEPTH still bounds what is in
  // flight. count: datagrams in all (0 = run for `seconds`); the window then opens at the first
  // send, with no warm-up, and closes when each one was echoed or lost (or at `seconds` when
  // count_time_limit). recv_buffer: SO_RCVBUF of each socket, TCP or UDP (0 = the kernel's
  // default). prepare: the other socket option flags, before each socket connects.
  double rate = 0;
  std::uint64_t count = 0;
  bool count_time_limit = false;
  int recv_buffer = 0;
  socket_prepare prepare;
  // --tls: each TCP connection's handshake (verified against tls_host, or not with an insecure
  // context) runs when it is opened, before the window; the echoed stream is then encrypted.
  const tls_context* tls = nullptr;
  std::string tls_host;

  std::string target_name() const { return unix_target ? unix_target->to_string() : target.to_string(); }
  // "tcp", "udp", "unix stream" or "unix dgram", for the report.
  const char* proto() const {
    if (unix_target) return udp ? "unix dgram" : "unix stream";
    return udp ? "udp" : "tcp";
  }
};

struct bench_totals {
  std::uint64_t messages = 0;      // verified round trips in the measured window
  std::uint64_t bytes = 0;         // payload bytes echoed back in the window
  std::uint64_t errors = 0;        // connection failures, resets, corrupted echoes
  std::uint64_t udp_sent = 0;      // datagrams sent in the window
  std::uint64_t udp_lost = 0;      // datagrams never echoed within udp_timeout
  std::uint64_t udp_reordered = 0; // echoes that came after one of a later datagram (same socket)
  int recv_buffer = 0;             // SO_RCVBUF the kernel granted (half what it reports), if set
  std::uint64_t connect_failures = 0;
  std::uint64_t connected = 0;     // connections actually open (connections - connect_failures)
  std::uint64_t sources = 1;       // source addresses used (more than one when spread over 127.0.0.x)
  std::string first_error;         // the first error, rendered with context
  histogram latency_ns;
  double measured_seconds = 0;
  double server_cpu_seconds = -1;  // < 0 when not measured
};

// Live counters the main thread reads for the progress line, and its way to cut the run short.
struct bench_progress {
  std::atomic<std::uint64_t> messages{0};
  std::atomic<std::uint64_t> errors{0};
  std::atomic<bool> measuring{false};
  // Set from another thread (on SIGINT/SIGTERM): connecting stops and the window closes now,
  // within 50 ms, with what was measured so far.
  std::atomic<bool> stop{false};
};

// CPU time (user + system, all threads) a process has used so far, in seconds; < 0 if unknown.
double process_cpu_seconds(int pid);

// Runs the whole benchmark (connect, warm up, measure, stop; or less, when progress.stop is set).
// Connection failures count as errors; when no connection at all could be made the result's
// first_error says why.
bench_totals run_bench(const bench_config& cfg, bench_progress& progress);

}  // namespace sockit::cli
