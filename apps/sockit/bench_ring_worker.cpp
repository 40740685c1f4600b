// `sockit bench --engine uring` (and auto, where the ring opens) over TCP and unix streams: the
// load generator's connections on io_uring completions (sockit::uring_streams) instead of
// readiness. The bytes and the checks are the readiness worker's (bench_driver.cpp): one endless
// periodic stream per connection, read from the shared pattern, every echoed byte compared, a send
// time per message in flight. What changes is how the worker talks to the kernel: one multishot
// receive per connection (no re-arming, no readiness round), sends completed by the ring, and all
// that a batch of completions asks for handed over in the one system call that waits.
//
// The load shape is the readiness worker's: each message is its own send (a linked chain of them
// per connection and batch, which the kernel keeps in order), so a server sees the same segments
// from either worker.
#include <algorithm>
#include <bit>
#include <cstring>

#include <fmt/core.h>

#include "bench_worker.hpp"
#include "sockit/error.hpp"
#include "sockit/uring_stream_server.hpp"
#include "sockit/uring_streams.hpp"

namespace sockit::cli {
namespace {

using clk = bench_clock;

constexpr auto stop_poll = std::chrono::milliseconds(50);  // how often the wait looks at progress.stop

struct ring_conn {
  std::vector<clk::time_point> sent;  // FIFO of DEPTH send times
  std::size_t head = 0, count = 0;
  // Positions in the output stream: queued = messages sent so far x SIZE; `written` of them are in
  // the kernel, `received` have come back verified.
  std::uint64_t queued = 0, written = 0, received = 0;
  std::size_t chain = 0;  // sends of the chain in flight
  bool dead = false;
};

class ring_worker final : public bench_worker, uring_streams::events {
 public:
  ring_worker(const bench_config& cfg, const bench_pattern& pat, bench_progress& progress)
      : cfg_(cfg), pat_(pat), progress_(progress) {}

  std::error_code init() override { return uring_stream_server::available(); }

  void add(socket s, std::optional<tls_session>, std::uint64_t, clk::duration) override {
    socks_.push_back(std::move(s));
    conns_.emplace_back();
    conns_.back().sent.resize(static_cast<std::size_t>(cfg_.depth));
  }

  void run(clk::time_point measure_at, clk::time_point stop_at) override {
    live_ = conns_.size();
    // Buffers sized to a connection's whole depth (2 KiB to 64 KiB), twice as many as there are
    // connections (64 to 4096): a batch rarely finds the pool dry, and when it does the receive
    // is re-armed once the batch gave its buffers back.
    uring_streams_options o;
    o.buffer_bytes = std::clamp<std::size_t>(std::bit_ceil(static_cast<std::size_t>(cfg_.depth) * cfg_.size), 2048, 65536);
    o.buffers = std::clamp<unsigned>(std::bit_ceil(static_cast<unsigned>(conns_.size()) * 2), 64, 4096);
    auto r = uring_streams::open(std::move(socks_), o);
    if (!r) {
      for (auto& c : conns_) fail(c, describe("io_uring", r.error()));
      return;
    }
    ring_ = std::move(*r);
    for (std::size_t i = 0; i < conns_.size(); ++i) {
      for (int k = 0; k < cfg_.depth; ++k) queue_message(conns_[i]);
      send(i);
    }
    while (live_ > 0) {
      auto now = clk::now();
      if (!measuring_ && now >= measure_at) start_window();
      if (now >= stop_at || progress_.stop.load(std::memory_order_relaxed)) break;
      auto next = std::min({stop_at, now + stop_poll, measuring_ ? stop_at : measure_at});
      if (auto ec = ring_->wait(*this, next - now)) {
        for (auto& c : conns_) fail(c, describe("io_uring_enter", ec));
      }
    }
    if (measuring_) totals_.measured_seconds = std::chrono::duration<double>(clk::now() - window_start_).count();
    // What the window left in flight is neither lost nor delivered.
  }

  bench_totals& totals() override { return totals_; }

 private:
  void on_data(std::size_t i, std::span<const std::byte> got) override {
    auto& c = conns_[i];
    check_echo(c, got);
    send(i);
  }
  void on_sent(std::size_t i, std::size_t n) override {
    auto& c = conns_[i];
    c.written += n;
    if (--c.chain == 0) send(i);
  }
  void on_closed(std::size_t i, std::error_code ec) override {
    auto what = ec == errc::end_of_stream ? "recv from " : "send or recv with ";
    fail(conns_[i], describe(what + cfg_.target_name(), ec));
  }

  void queue_message(ring_conn& c) {
    c.sent[(c.head + c.count) % c.sent.size()] = clk::now();
    ++c.count;
    c.queued += cfg_.size;
  }

  // What is queued, a send per message (or per chunk of a message larger than the pattern's).
  void send(std::size_t i) {
    auto& c = conns_[i];
    if (c.chain > 0 || c.dead || c.written == c.queued) return;
    pieces_.clear();
    for (std::uint64_t pos = c.written; pos < c.queued && pieces_.size() < uring_streams::max_chain;) {
      std::uint64_t message_end = (pos / cfg_.size + 1) * cfg_.size;
      auto len = static_cast<std::size_t>(std::min<std::uint64_t>({message_end - pos, c.queued - pos, bench_pattern::chunk}));
      pieces_.emplace_back(pat_.stream(pos), len);
      pos += len;
    }
    if (auto ec = ring_->send(i, pieces_)) return fail(c, describe("send", ec));
    c.chain = pieces_.size();
  }

  // Echoed stream bytes: verified against what was sent, messages completed, their replacements
  // queued.
  void check_echo(ring_conn& c, std::span<const std::byte> got) {
    auto now = clk::now();
    auto bad = verify_echo(c, got, pat_, cfg_, [&] {
      if (measuring_) record_message(totals_, progress_, cfg_.size, c.sent[c.head], now);
      c.head = (c.head + 1) % c.sent.size();
      --c.count;
      queue_message(c);
    });
    if (!bad.empty()) fail(c, std::move(bad));
  }

  void fail(ring_conn& c, std::string why) {
    if (c.dead) return;
    c.dead = true;
    --live_;
    ++totals_.errors;
    progress_.errors.fetch_add(1, std::memory_order_relaxed);
    if (totals_.first_error.empty()) totals_.first_error = std::move(why);
  }

  void start_window() {
    measuring_ = true;
    progress_.measuring = true;
    window_start_ = clk::now();
  }

  const bench_config& cfg_;
  const bench_pattern& pat_;
  bench_progress& progress_;
  std::vector<socket> socks_;  // until run() hands them to the ring
  std::vector<ring_conn> conns_;
  std::optional<uring_streams> ring_;
  std::vector<std::span<const std::byte>> pieces_;  // send()'s chain, reused
  std::size_t live_ = 0;  // connections not dead
  bench_totals totals_;
  bool measuring_ = false;
  clk::time_point window_start_;
};

}  // namespace

bool ring_worker_fits(const bench_config& cfg) {
  if (cfg.udp || cfg.tls != nullptr) return false;
  if (cfg.loop_engine != engine::uring && cfg.loop_engine != engine::automatic) return false;
  return !uring_stream_server::available();
}

std::unique_ptr<bench_worker> make_ring_worker(const bench_config& cfg, const bench_pattern& pat, bench_progress& progress) {
  return std::make_unique<ring_worker>(cfg, pat, progress);
}

}  // namespace sockit::cli
