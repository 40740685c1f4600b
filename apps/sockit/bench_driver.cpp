// The load generator. Each worker thread owns an event loop (or, for TCP and Unix streams on
// io_uring, a ring: bench_ring_worker.cpp) and a share of the connections; a
// connection keeps DEPTH messages in flight and sends the next one as soon as one is echoed back
// whole and verified. Memory does not grow with DEPTH x SIZE: no message owns a buffer. A TCP
// connection's output is one endless periodic byte stream, so what is still to be written is a
// count, read straight out of one shared pattern; only a send time per message in flight is kept.
#include "bench_driver.hpp"
#include "bench_worker.hpp"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <thread>

#include <unistd.h>

#include <fmt/core.h>

#include "tls_flags.hpp"
#include "sys_socket.hpp"
#include "sockit/buffer.hpp"
#include "sockit/datagram_batch.hpp"
#include "sockit/error.hpp"
#include "sockit/io.hpp"
#include "sockit/liveness.hpp"
#include "sockit/options.hpp"
#include "sockit/tcp.hpp"
#include "sockit/tls_session.hpp"
#include "sockit/udp.hpp"
#include "sockit/unix.hpp"

namespace sockit::cli {
namespace {

using clk = std::chrono::steady_clock;
constexpr std::size_t seq_bytes = 8;          // UDP datagrams start with their sequence number
constexpr auto stop_poll = std::chrono::milliseconds(50);  // how often loops look at progress.stop
constexpr std::size_t tls_encrypt_chunk = 64 * 1024;  // plaintext encrypted at once; bounds the ciphertext queued

using pattern = bench_pattern;

struct in_flight {
  std::uint64_t seq;
  clk::time_point sent;
};

struct connection {
  socket sock;
  std::vector<in_flight> ring;  // TCP: FIFO of DEPTH send times; UDP: DEPTH slots by sequence
  std::size_t head = 0, count = 0;
  std::uint64_t next_send = 0;
  // TCP, as positions in the output stream: queued = messages sent so far x SIZE; `written` of
  // them are in the kernel, `received` have come back verified.
  std::uint64_t queued = 0, written = 0, received = 0;
  bool want_write = false;  // the kernel buffer was full: writability is watched
  bool dead = false;
  // --tls: the session, and ciphertext the kernel has not taken yet. `written` then counts the
  // plaintext encrypted so far.
  std::optional<tls_session> tls;
  buffer cipher;
  // UDP: `count` is the datagrams in flight (slots of `ring` in use, sent != {}); `head` a hint
  // at a free slot. Pacing: the next datagram may leave at next_due, the one after `interval` later.
  std::uint64_t quota = ~std::uint64_t{0};  // datagrams still to send (--count)
  std::uint64_t highest = 0;                // highest sequence number echoed so far
  bool echoed_any = false;
  bool done = false;                        // --count: all sent, each echoed or lost
  clk::time_point next_due{};
  clk::duration interval{};
};

class worker final : public bench_worker {
 public:
  worker(const bench_config& cfg, const pattern& pat, bench_progress& progress)
      : cfg_(cfg), pat_(pat), progress_(progress), rbuf_(cfg.udp ? 0 : 64 * 1024),
        // UDP: one echo is one datagram of SIZE; a longer one is an error, seen by its wire size.
        in_(cfg.udp ? 32 : 1, cfg.udp ? cfg.size : 1), out_(cfg.udp ? 64 : 1, cfg.udp ? cfg.size : 1),
        paced_(cfg.udp && cfg.rate > 0), plain_(cfg.tls ? 64 * 1024 : 0) {}

  std::error_code init() override {
    auto l = event_loop::create(cfg_.loop_engine);
    if (!l) return l.error();
    loop_ = std::move(*l);
    return {};
  }

  // quota: UDP datagrams this connection sends (--count); interval: between two of them (--rate).
  void add(socket s, std::optional<tls_session> tls, std::uint64_t quota, clk::duration interval) override {
    auto c = std::make_unique<connection>();
    c->sock = std::move(s);
    c->tls = std::move(tls);
    c->ring.resize(static_cast<std::size_t>(cfg_.depth));
    c->quota = quota;
    c->interval = interval;
    conns_.push_back(std::move(c));
  }

  // Runs until `stop_at`; measures from `measure_at`.
  void run(clk::time_point measure_at, clk::time_point stop_at) override {
    stop_at_ = stop_at;
    if (cfg_.count > 0) start_window();  // every datagram counts: no warm-up
    auto now = clk::now();
    std::size_t j = 0;
    for (auto& c : conns_) {
      connection* raw = c.get();
      if (auto ec = loop_->watch(raw->sock.native_handle(), io_readable, [this, raw](std::uint32_t ev) { on_event(*raw, ev); })) {
        fail(*raw, describe("watch", ec));
        continue;
      }
      // Paced sockets start spread over one interval, not all at once.
      if (cfg_.udp) raw->next_due = now + raw->interval * static_cast<long>(j++) / static_cast<long>(conns_.size());
    }
    first_sends(0);
    if (cfg_.count == 0) loop_->run_after(measure_at - clk::now(), [this] { start_window(); });
    if (paced_) {
      // Timers have millisecond resolution: each tick sends what fell due since the last.
      loop_->run_every(std::chrono::milliseconds(1), [this] {
        for (auto& c : conns_) fill_udp(*c);
      });
    }
    loop_->run_after(stop_at - clk::now(), [this] { end_window(); });
    loop_->run_every(stop_poll, [this] {
      if (progress_.stop.load(std::memory_order_relaxed)) end_window();
    });
    if (cfg_.udp) {
      loop_->run_every(std::chrono::milliseconds(50), [this] { expire_udp(); });
    }
    (void)loop_->run();
    // What the window left in flight is neither lost nor delivered.
  }

  bench_totals& totals() override { return totals_; }

 private:
  // The window's end is due, or Ctrl+C asked for it: for loops long enough to hold the timers back.
  bool past_end() const { return clk::now() >= stop_at_ || progress_.stop.load(std::memory_order_relaxed); }

  // Each connection's first sends (its whole depth), one connection per turn of the loop: with
  // thousands of connections times a deep pipeline they are seconds of kernel work (1024 x 4096
  // messages of 4 KiB: over 300 MB through loopback), and -t's end and Ctrl+C must still be seen.
  void first_sends(std::size_t i) {
    if (i >= conns_.size()) return;
    connection& c = *conns_[i];
    if (cfg_.udp) {
      fill_udp(c);
    } else {
      for (int k = 0; k < cfg_.depth && !c.dead; ++k) send_next(c);
    }
    if (i + 1 < conns_.size()) loop_->run_after(clk::duration::zero(), [this, i] { first_sends(i + 1); });
  }

  void start_window() {
    if (measuring_) return;
    measuring_ = true;
    progress_.measuring = true;
    window_start_ = clk::now();
  }

  // At stop_at, or earlier when asked to stop (then the window may not even have opened), or
  // with --count when every datagram was echoed or lost.
  void end_window() {
    if (measuring_) totals_.measured_seconds = std::chrono::duration<double>(clk::now() - window_start_).count();
    measuring_ = false;
    loop_->stop();
  }

  void fail(connection& c, std::string why) {
    if (c.dead) return;
    c.dead = true;
    if (loop_->watching(c.sock.native_handle())) (void)loop_->unwatch(c.sock.native_handle());
    ++totals_.errors;
    progress_.errors.fetch_add(1, std::memory_order_relaxed);
    if (totals_.first_error.empty()) totals_.first_error = std::move(why);
    check_done(c);
  }

  // --count: a connection is done once it sent its share and each datagram came back or was
  // given up (or it failed); the window closes when every connection of this loop is done.
  void check_done(connection& c) {
    if (cfg_.count == 0 || c.done) return;
    if (!c.dead && (c.quota > 0 || c.count > 0)) return;
    c.done = true;
    if (++done_ == conns_.size()) end_window();
  }

  // UDP: sends while a slot is free, the quota lasts and, when paced, the next datagram is due.
  // A paced connection that fell behind (a busy machine, a late tick) catches up by at most
  // max_lag's worth at once rather than in one burst the receiver would drop.
  void fill_udp(connection& c) {
    static constexpr auto max_lag = std::chrono::milliseconds(20);
    if (c.dead) return;
    clk::time_point now = paced_ ? clk::now() : clk::time_point{};
    std::size_t staged = 0, budget = 4 * out_.capacity();
    // A bounded share per call (the rest at the next echo or expire_udp's tick): on loopback the
    // kernel takes every datagram and drops what the server cannot queue, so 1024 connections x
    // depth 4096 refilled at once were seconds of sends in one turn of the loop, past -t's end.
    while (!c.dead && c.count < c.ring.size() && c.quota > 0 && budget-- > 0) {
      if (paced_) {
        if (now < c.next_due) break;
        c.next_due = std::max(c.next_due + c.interval, now - max_lag);
      }
      stage_udp(c, staged++);
      if (staged == out_.capacity()) {
        bool all = flush_udp(c, staged);
        staged = 0;
        // The socket's buffer is full: more now would only be counted lost, at the kernel's cost
        // (1024 connections x depth 4096 spent seconds there, past -t). The next echo, or
        // expire_udp, fills again.
        if (!all) break;
      }
    }
    flush_udp(c, staged);
    check_done(c);
  }

  // Writes the connection's next datagram into entry j of out_ and files it as in flight.
  void stage_udp(connection& c, std::size_t j) {
    std::size_t i = c.head;
    if (c.ring[i].sent != clk::time_point{}) {
      i = static_cast<std::size_t>(std::find_if(c.ring.begin(), c.ring.end(), [](const in_flight& f) { return f.sent == clk::time_point{}; }) - c.ring.begin());
    }
    std::uint64_t k = c.next_send++;
    auto buf = out_.buffer(j);
    std::memcpy(buf.data(), &k, seq_bytes);
    std::memcpy(buf.data() + seq_bytes, pat_.message(k), cfg_.size - seq_bytes);
    out_.prepare(j, cfg_.size, endpoint{});  // connected: no address
    c.ring[i] = {k, clk::now()};
    c.head = (i + 1) % c.ring.size();
    ++c.count;
    --c.quota;
    if (measuring_) ++totals_.udp_sent;
  }

  // Sends entries [0, n) of out_. A datagram the kernel would not take now counts as sent: it will
  // be counted lost. True when the kernel took them all.
  bool flush_udp(connection& c, std::size_t n) {
    for (std::size_t first = 0; first < n && !c.dead;) {
      auto sent = try_send_batch(c.sock, out_, n, first);
      if (sent) {
        first += *sent;
        continue;
      }
      if (sent.error() != errc::would_block && sent.error() != std::errc::no_buffer_space) {
        fail(c, describe("send to " + cfg_.target_name(), sent.error()));
      }
      return false;
    }
    return !c.dead;
  }

  void send_next(connection& c) {
    std::uint64_t k = c.next_send++;
    auto now = clk::now();
    // TCP: one send per message while the kernel takes them (the load shape servers are measured
    // with); once it did not, what is queued goes out in bulk when the socket is writable again.
    c.ring[(c.head + c.count) % c.ring.size()] = {k, now};
    ++c.count;
    c.queued += cfg_.size;
    if (!c.want_write) write_tcp(c);
  }

  // Writes what is queued, as far as the kernel takes it, straight from the shared pattern.
  void write_tcp(connection& c) {
    if (c.tls) return write_tls(c);
    while (c.written < c.queued) {
      std::size_t len = static_cast<std::size_t>(std::min<std::uint64_t>(c.queued - c.written, pattern::chunk));
      auto n = try_send(c.sock, {pat_.stream(c.written), len});
      if (!n) {
        if (n.error() == errc::would_block) return watch_writable(c, true);
        fail(c, describe("send to " + cfg_.target_name(), n.error()));
        return;
      }
      c.written += *n;
    }
    watch_writable(c, false);
  }

  // --tls: encrypts what is queued a chunk at a time, each only once the ciphertext before it has
  // gone, so what waits for the kernel stays under a chunk's worth.
  void write_tls(connection& c) {
    for (;;) {
      while (!c.cipher.empty()) {
        auto n = try_send(c.sock, c.cipher.readable());
        if (!n) {
          if (n.error() == errc::would_block) return watch_writable(c, true);
          fail(c, describe("send to " + cfg_.target_name(), n.error()));
          return;
        }
        c.cipher.consume(*n);
      }
      if (c.written == c.queued) break;
      std::size_t len = static_cast<std::size_t>(std::min<std::uint64_t>(c.queued - c.written, tls_encrypt_chunk));
      if (auto ec = c.tls->write({pat_.stream(c.written), len})) {
        fail(c, describe("TLS to " + cfg_.target_name(), ec));
        return;
      }
      (void)c.tls->take_output(c.cipher);
      c.written += len;
    }
    c.cipher.release_if_empty();
    watch_writable(c, false);
  }

  void watch_writable(connection& c, bool on) {
    if (c.want_write != on) (void)loop_->modify(c.sock.native_handle(), on ? io_readable | io_writable : io_readable);
    c.want_write = on;
  }

  void on_event(connection& c, std::uint32_t ev) {
    if (c.dead) return;
    if (ev & io_writable) write_tcp(c);
    if (c.dead) return;
    if (ev & (io_readable | io_error | io_hangup)) cfg_.udp ? read_udp(c) : read_tcp(c);
  }

  void complete(clk::time_point sent, clk::time_point now) {
    if (measuring_) record_message(totals_, progress_, cfg_.size, sent, now);
  }

  // One non-blocking recv into rbuf_: false when nothing is left to read now, or the connection
  // failed (then it is already marked dead).
  bool receive(connection& c, ssize_t& n) {
    auto r = try_recv(c.sock, rbuf_);
    n = r ? static_cast<ssize_t>(*r) : 0;  // end of stream (or an empty datagram) is 0 here
    if (r || r.error() == errc::end_of_stream) return true;
    if (r.error() != errc::would_block) fail(c, describe("recv from " + cfg_.target_name(), r.error()));
    return false;
  }

  void read_tcp(connection& c) {
    for (int reads = 0; reads < 4; ++reads) {
      ssize_t n;
      if (!receive(c, n)) return;
      if (n == 0) {
        fail(c, describe("recv from " + cfg_.target_name(), make_error_code(errc::end_of_stream)));
        return;
      }
      auto got = std::span<const std::byte>(rbuf_).first(static_cast<std::size_t>(n));
      if (!(c.tls ? decrypt(c, got) : check_echo(c, got))) return;
      if (got.size() < rbuf_.size()) return;
    }
  }

  // --tls: the ciphertext read goes into the session; the plaintext it yields is checked.
  bool decrypt(connection& c, std::span<const std::byte> cipher) {
    (void)c.tls->feed(cipher);
    for (;;) {
      auto r = c.tls->read(plain_);
      if (!r) {
        if (r.error() == errc::would_block) return true;
        fail(c, describe("TLS from " + cfg_.target_name(), r.error()));  // end_of_stream: its close_notify
        return false;
      }
      if (!check_echo(c, std::span<const std::byte>(plain_).first(*r))) return false;
    }
  }

  // Echoed stream bytes: verified against what was sent, messages completed, their
  // replacements sent. False if the connection failed.
  bool check_echo(connection& c, std::span<const std::byte> got) {
    auto now = clk::now();
    std::size_t completed = 0;
    auto bad = verify_echo(c, got, pat_, cfg_, [&] {
      complete(c.ring[c.head].sent, now);
      c.head = (c.head + 1) % c.ring.size();
      --c.count;
      ++completed;
    });
    if (!bad.empty()) {
      fail(c, std::move(bad));
      return false;
    }
    for (std::size_t i = 0; i < completed && !c.dead; ++i) send_next(c);
    return !c.dead;
  }

  // UDP: echoes come in batches (recvmmsg, up to 4 x 32 per wake-up) and their replacements leave
  // in one sendmmsg, so the load generator spends its core on the server, not on system calls.
  void read_udp(connection& c) {
    for (int reads = 0; reads < 4 && !c.dead; ++reads) {
      auto got = try_recv_batch(c.sock, in_);
      if (!got) {
        if (got.error() != errc::would_block) fail(c, describe("recv from " + cfg_.target_name(), got.error()));
        break;
      }
      auto now = clk::now();
      for (std::size_t i = 0; i < *got && !c.dead; ++i) echoed(c, in_.data(i), in_.wire_size(i), now);
      if (*got < in_.capacity()) break;
    }
    if (!c.dead) fill_udp(c);
  }

  // One echo: verified byte for byte, matched to its slot, timed; a late one is ignored.
  void echoed(connection& c, std::span<const std::byte> d, std::size_t wire_size, clk::time_point now) {
    std::uint64_t k;
    if (wire_size != cfg_.size) {
      fail(c, fmt::format("datagram from {} has {} bytes, sent {}", cfg_.target_name(), wire_size, cfg_.size));
      return;
    }
    std::memcpy(&k, d.data(), seq_bytes);
    if (std::memcmp(d.data() + seq_bytes, pat_.message(k), cfg_.size - seq_bytes) != 0) {
      fail(c, fmt::format("echo from {} does not match what was sent (datagram {})", cfg_.target_name(), k));
      return;
    }
    // Find the datagram's slot; a late echo of one already counted lost is ignored.
    auto it = std::find_if(c.ring.begin(), c.ring.end(), [k](const in_flight& f) { return f.seq == k && f.sent != clk::time_point{}; });
    if (it == c.ring.end()) return;
    auto sent = it->sent;
    it->sent = clk::time_point{};
    c.head = static_cast<std::size_t>(it - c.ring.begin());
    --c.count;
    // Reordered: an echo that arrives after the echo of a datagram sent later on this socket.
    if (c.echoed_any && k < c.highest) {
      if (measuring_) ++totals_.udp_reordered;
    } else {
      c.highest = k;
      c.echoed_any = true;
    }
    complete(sent, now);
  }

  void expire_udp() {
    auto now = clk::now();
    auto limit = std::chrono::duration_cast<clk::duration>(std::chrono::duration<double>(cfg_.udp_timeout));
    // --count without an end of its own: against a server that answers nothing, N datagrams lost
    // one timeout after another would take N/(connections x depth) timeouts. Three of them lost
    // per connection, and not a single echo, say enough (at a low --rate, that takes longer).
    if (cfg_.count > 0 && measuring_ && now - window_start_ > 3 * limit && totals_.udp_lost >= 3 * conns_.size() &&
        std::none_of(conns_.begin(), conns_.end(), [](const auto& c) { return c->echoed_any; })) {
      return end_window();
    }
    for (auto& c : conns_) {
      if (c->dead) continue;
      if (past_end()) return end_window();  // a long pass must not hold -t's end or Ctrl+C back
      for (std::size_t i = 0; i < c->ring.size(); ++i) {
        auto& f = c->ring[i];
        if (f.sent != clk::time_point{} && now - f.sent > limit) {
          if (measuring_) ++totals_.udp_lost;
          f.sent = clk::time_point{};
          c->head = i;
          --c->count;
        }
      }
      fill_udp(*c);
    }
  }

  const bench_config& cfg_;
  const pattern& pat_;
  bench_progress& progress_;
  std::unique_ptr<event_loop> loop_;
  std::vector<std::unique_ptr<connection>> conns_;
  std::vector<std::byte> rbuf_;
  datagram_batch in_;   // UDP: echoes read by one recvmmsg
  datagram_batch out_;  // UDP: datagrams sent by one sendmmsg
  bool paced_;
  std::vector<std::byte> plain_;  // --tls: decrypted echoes
  std::size_t done_ = 0;  // --count: connections done
  bench_totals totals_;
  bool measuring_ = false;
  clk::time_point stop_at_{};
  clk::time_point window_start_;
};

// One connection, from `source` when set (an address only: IP_BIND_ADDRESS_NO_PORT leaves the
// port to connect(), which may then reuse a port other targets use).
result<socket> open_connection(const bench_config& cfg, const endpoint* source, const std::atomic<bool>& stop) {
  if (cfg.unix_target) {
    // A Unix connect never waits for a handshake: only for room in a full backlog, 10 s at most.
    // A datagram socket gets an autobind address, so the echo can answer it.
    unix_connect_options co;
    co.type = cfg.udp ? SOCK_DGRAM : SOCK_STREAM;
    co.by = deadline::after_seconds(10);
    co.nonblocking = true;
    co.prepare = [&cfg](const socket& s) -> std::error_code {
      if (cfg.recv_buffer > 0) {
        if (auto ec = set_recv_buffer_size(s, cfg.recv_buffer)) return ec;
      }
      return cfg.prepare ? cfg.prepare(s) : std::error_code{};
    };
    return unix_connect(*cfg.unix_target, co);
  }
  auto s = socket::open(cfg.target.family(), cfg.udp ? SOCK_DGRAM : SOCK_STREAM);
  if (!s) return s.error();
  if (source) {
    (void)set_bind_address_no_port(*s, true);
    if (auto ec = bind(*s, *source)) return ec;
  }
  // Before connect: a TCP receive buffer sets the window scale the SYN announces.
  if (cfg.recv_buffer > 0) {
    if (auto ec = set_recv_buffer_size(*s, cfg.recv_buffer)) return ec;
  }
  if (cfg.prepare) {
    if (auto ec = cfg.prepare(*s)) return ec;
  }
  if (cfg.udp) {
    if (auto ec = udp_connect(*s, cfg.target)) return ec;
    return std::move(*s);
  }
  if (auto ec = set_nonblocking(*s, true)) return ec;
  if (auto started = connect_start(*s, cfg.target)) {
    if (started != std::errc::operation_in_progress) return started;
    // Up to 10 s, in slices, so that a stop request does not wait for a SYN nobody answers.
    auto by = clk::now() + std::chrono::seconds(10);
    for (;;) {
      auto ec = wait_writable(s->native_handle(), deadline::after(stop_poll));
      if (!ec) break;
      if (ec != std::errc::timed_out || clk::now() >= by) return ec;
      if (stop.load(std::memory_order_relaxed)) return make_error_code(std::errc::operation_canceled);
    }
    if (auto ec = connect_finish(*s)) return ec;
  }
  (void)set_tcp_nodelay(*s, true);
  return std::move(*s);
}

// --tls: the handshake on a connected socket, 10 s at most (as the connect); `why` gets the line
// the report shows.
std::optional<tls_session> tls_connection(const bench_config& cfg, const socket& s, std::string& why,
                                          const std::atomic<bool>& stop) {
  auto made = tls_session::client(*cfg.tls, cfg.tls_host);
  if (!made) {
    why = describe("TLS setup for " + cfg.target_name(), made.error());
    return std::nullopt;
  }
  auto ec = drive_tls_handshake(s, *made, deadline::after_seconds(10), [&stop] { return stop.load(std::memory_order_relaxed); });
  if (ec == std::errc::timed_out) {
    why = fmt::format("TLS handshake with {}: no answer within 10 s", cfg.target_name());
    return std::nullopt;
  }
  if (ec) {
    why = fmt::format("TLS handshake with {} failed: {}", cfg.target_name(), tls_why(ec, &*made));
    return std::nullopt;
  }
  return std::move(*made);
}

}  // namespace

double process_cpu_seconds(int pid) {
  // Sum of every thread's on-CPU nanoseconds (schedstat), finer than the 10 ms ticks of /proc/PID/stat.
  std::error_code ec;
  std::filesystem::directory_iterator it(fmt::format("/proc/{}/task", pid), ec);
  if (ec) return -1;
  double total = 0;
  for (const auto& task : it) {
    std::ifstream f(task.path() / "schedstat");
    unsigned long long ns = 0;
    if (f >> ns) total += static_cast<double>(ns) / 1e9;
  }
  return total;
}

bench_totals run_bench(const bench_config& cfg, bench_progress& progress) {
  pattern pat;
  int nthreads = std::max(1, std::min(cfg.threads, cfg.connections));
  std::vector<std::unique_ptr<bench_worker>> workers;
  bench_totals result;
  for (int t = 0; t < nthreads; ++t) {
#ifndef _WIN32
    if (ring_worker_fits(cfg)) workers.push_back(make_ring_worker(cfg, pat, progress));
#endif
    if (workers.size() == static_cast<std::size_t>(t)) workers.push_back(std::make_unique<worker>(cfg, pat, progress));
    if (auto ec = workers.back()->init()) {
      result.first_error = describe("event loop", ec);
      result.errors = 1;
      return result;
    }
  }

  // TCP to 127.0.0.0/8: one source address reaches one target through ip_local_port_range only
  // (~28k ports). Connections come from 127.0.0.1, then 127.0.0.2... each source used until its
  // ports run out (connect fails with EADDRNOTAVAIL) or it holds --per-source connections.
  const bool spread = !cfg.udp && cfg.target.is_v4() && cfg.target.is_loopback();
  constexpr int max_sources = 254;  // 127.0.0.1 .. 127.0.0.254
  int src_index = 0, on_source = 0;
  auto source = [&] { return *endpoint::numeric(fmt::format("127.0.0.{}", 1 + src_index), 0); };
  auto next_source = [&] {
    if (src_index + 1 >= max_sources) return false;
    ++src_index;
    on_source = 0;
    return true;
  };
  auto connect_one = [&]() -> sockit::result<socket> {
    if (!spread) return open_connection(cfg, nullptr, progress.stop);
    if (cfg.per_source > 0 && on_source >= cfg.per_source) (void)next_source();
    for (;;) {
      endpoint src = source();
      auto s = open_connection(cfg, &src, progress.stop);
      // Out of ports on this source (and it is not the first try on a fresh one): next source.
      if (!s && s.error() == std::errc::address_not_available && on_source > 0 && next_source()) continue;
      if (s) ++on_source;
      return s;
    }
  };
  int made = 0;
  for (int i = 0; i < cfg.connections && !progress.stop; ++i) {
    auto s = connect_one();
    if (!s && progress.stop) break;  // cut short, not failed
    if (!s) {
      ++result.connect_failures;
      ++result.errors;
      if (result.first_error.empty()) {
        result.first_error = describe(fmt::format("connect {}", cfg.target_name()), s.error());
      }
      if (made == 0) return result;  // the first one failed: nothing to measure
      continue;
    }
    std::optional<tls_session> tls;
    if (cfg.tls) {
      std::string why;
      tls = tls_connection(cfg, *s, why, progress.stop);
      if (!tls && progress.stop) break;  // cut short, not failed
      if (!tls) {
        ++result.connect_failures;
        ++result.errors;
        if (result.first_error.empty()) result.first_error = why;
        if (made == 0) return result;
        continue;
      }
    }
    if (made == 0 && cfg.recv_buffer > 0) {
      // Linux reports twice what it grants (the rest is its bookkeeping).
      if (auto got = recv_buffer_size(*s)) result.recv_buffer = *got / 2;
    }
    // --count shared out evenly (the first count % connections get one more); --rate likewise.
    const auto conns = static_cast<std::uint64_t>(cfg.connections);
    std::uint64_t quota = cfg.count == 0 ? ~std::uint64_t{0}
                                         : cfg.count / conns + (static_cast<std::uint64_t>(i) < cfg.count % conns ? 1 : 0);
    clk::duration interval{};
    if (cfg.rate > 0) interval = std::chrono::duration_cast<clk::duration>(std::chrono::duration<double>(static_cast<double>(conns) / cfg.rate));
    workers[static_cast<std::size_t>(i % nthreads)]->add(std::move(*s), std::move(tls), quota, interval);
    ++made;
  }
  result.connected = static_cast<std::uint64_t>(made);
  result.sources = static_cast<std::uint64_t>(src_index + 1);
  if (progress.stop) return result;  // stopped while connecting: nothing measured

  auto start = clk::now() + std::chrono::milliseconds(20);
  auto to_dur = [](double s) { return std::chrono::duration_cast<clk::duration>(std::chrono::duration<double>(s)); };
  auto measure_at = start + to_dur(cfg.count > 0 ? 0 : cfg.warmup);
  // --count without -t: until every datagram is echoed or lost (bounded: each one is within
  // udp_timeout of its send); a day is only a backstop.
  auto stop_at = measure_at + to_dur(cfg.count > 0 && !cfg.count_time_limit ? 86400 : cfg.seconds);
  std::vector<std::thread> threads;
  std::atomic<int> running{static_cast<int>(workers.size())};  // --count may end long before stop_at
  for (auto& w : workers) {
    threads.emplace_back([&w, &running, measure_at, stop_at] {
      w->run(measure_at, stop_at);
      running.fetch_sub(1);
    });
  }

  if (cfg.server_pid > 0) {
    // The server's CPU over the window, or over what there was of it when stopped early.
    auto sleep_until = [&](clk::time_point t) {
      while (!progress.stop && running.load() > 0 && clk::now() < t) std::this_thread::sleep_for(std::min<clk::duration>(stop_poll, t - clk::now()));
    };
    sleep_until(measure_at);
    double before = process_cpu_seconds(cfg.server_pid);
    sleep_until(stop_at);
    double after = process_cpu_seconds(cfg.server_pid);
    if (before >= 0 && after >= before) result.server_cpu_seconds = after - before;
  }
  for (auto& t : threads) t.join();

  for (auto& w : workers) {
    auto& t = w->totals();
    result.messages += t.messages;
    result.bytes += t.bytes;
    result.errors += t.errors;
    result.udp_sent += t.udp_sent;
    result.udp_lost += t.udp_lost;
    result.udp_reordered += t.udp_reordered;
    result.latency_ns.merge(t.latency_ns);
    result.measured_seconds = std::max(result.measured_seconds, t.measured_seconds);
    if (result.first_error.empty()) result.first_error = t.first_error;
  }
  return result;
}

}  // namespace sockit::cli
