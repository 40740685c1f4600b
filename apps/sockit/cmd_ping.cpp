// sockit ping HOST...: ICMP echo as iputils ping does it (raw socket with CAP_NET_RAW, else the
// unprivileged ICMP datagram socket), several hosts at once on one event loop, each on its own
// schedule; --tcp PORT times TCP handshakes and --udp PORT UDP echo round trips instead, with the
// same output, statistics and exit codes.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <unistd.h>

#include <fmt/core.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "args.hpp"
#include "commands.hpp"
#include "json.hpp"
#include "ping_stats.hpp"
#include "stop_signals.hpp"
#include "sockit/error.hpp"
#include "sockit/event_loop.hpp"
#include "sockit/icmp.hpp"
#include "sockit/icmp_socket.hpp"
#include "sockit/tcp.hpp"
#include "sockit/udp.hpp"

namespace sockit::cli {
namespace {

constexpr double default_interval_s = 1.0;
constexpr double default_timeout_s = 10.0;  // -W: iputils' MAXWAIT
constexpr double min_user_interval_s = 0.2;  // iputils: below this only root may go
constexpr double min_interval_s = 0.001;
constexpr int default_size = 56;
// The payload's first 16 bytes carry the send time, as iputils' struct timeval does: with fewer
// there is no timing (no time= field, no rtt line), as in iputils.
constexpr std::size_t timing_bytes = 16;
constexpr std::size_t seq_space = 65536;
#ifdef SIGQUIT
constexpr int status_signal = SIGQUIT;  // Ctrl+\: a running status line on stderr
#else
constexpr int status_signal = 0;  // Windows has none (its loop ignores 0; Ctrl+Break stops as Ctrl+C)
#endif

enum class probe_mode { icmp, tcp, udp };

struct ping_args {
  std::vector<std::string> hosts;
  long long count = 0;  // 0: until interrupted or -w
  double interval = default_interval_s;
  bool interval_given = false;
  double timeout = default_timeout_s;
  double deadline = 0;
  int size = default_size;
  int ttl = 0;
  bool v4 = false;
  bool v6 = false;
  bool quiet = false;
  bool timestamps = false;
  int tcp_port = 0;
  int udp_port = 0;
  std::string socket_kind = "auto";
};

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(clock::now().time_since_epoch()).count();
}

std::int64_t realtime_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void put_be64(std::vector<std::byte>& b, std::size_t at, std::uint64_t v) {
  for (int i = 7; i >= 0; --i) {
    b[at + static_cast<std::size_t>(i)] = static_cast<std::byte>(v & 0xff);
    v >>= 8;
  }
}

std::uint64_t get_be64(std::span<const std::byte> b, std::size_t at) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < 8; ++i) v = (v << 8) | std::to_integer<std::uint64_t>(b[at + i]);
  return v;
}

// The payload of request `seq`: the send time (monotonic nanoseconds, big-endian) in bytes 0-7,
// the sequence in bytes 8-9 (for --udp, whose replies carry no header of ours), then byte i = i
// mod 256 as iputils fills its data.
std::vector<std::byte> make_payload(std::size_t size, std::uint16_t seq, std::int64_t sent) {
  std::vector<std::byte> p(size);
  for (std::size_t i = 0; i < size; ++i) p[i] = static_cast<std::byte>(i & 0xff);
  if (size >= timing_bytes) {
    put_be64(p, 0, static_cast<std::uint64_t>(sent));
    p[8] = static_cast<std::byte>(seq >> 8);
    p[9] = static_cast<std::byte>(seq & 0xff);
  }
  return p;
}

struct tcp_attempt {
  socket sock;
  std::int64_t started = 0;
  event_loop::timer_id timer = 0;
};

struct target {
  std::string host;
  endpoint addr;
  icmp::ping_socket ps;  // icmp mode
  socket udp;            // udp mode
  ping_stats stats;
  // Per sequence: when it was sent (0: never) and whether it was answered. Grown as sequences are
  // used (up to the 16-bit space), so a short ping to many hosts stays small.
  std::vector<std::int64_t> sent_ns;
  std::vector<std::int64_t> sent_real_ns;  // the wall clock at the send, against SO_TIMESTAMPNS
  std::vector<bool> answered;

  std::int64_t sent_at(std::uint16_t seq) const { return seq < sent_ns.size() ? sent_ns[seq] : 0; }
  void record_send(std::uint16_t seq, std::int64_t when) {
    if (seq >= sent_ns.size()) {
      std::size_t n = std::min(seq_space, std::max<std::size_t>(std::size_t{seq} + 1, sent_ns.size() * 2));
      sent_ns.resize(n, 0);
      sent_real_ns.resize(n, 0);
      answered.resize(n, false);
    }
    sent_ns[seq] = when;
    sent_real_ns[seq] = 0;
    answered[seq] = false;  // also when the 16-bit sequence wrapped: a new request
  }
  std::map<std::uint16_t, std::unique_ptr<tcp_attempt>> attempts;
  std::int64_t start_ns = 0;
  std::int64_t last_send_ns = 0;
  std::uint16_t last_seq = 0;
  bool sending_done = false;
  bool finished = false;
  bool fatal = false;
  event_loop::timer_id send_timer = 0;
  event_loop::timer_id linger_timer = 0;
};

class pinger {
 public:
  pinger(event_loop& loop, const ping_args& a, probe_mode mode, bool json)
      : loop_(loop), a_(a), mode_(mode), json_(json) {}

  std::vector<std::unique_ptr<target>>& targets() { return targets_; }

  void start() {
    for (auto& t : targets_) {
      header(*t);
      t->start_ns = now_ns();
      target* tp = t.get();
      if (mode_ == probe_mode::icmp || mode_ == probe_mode::udp) {
        int fd = mode_ == probe_mode::icmp ? t->ps.sock.native_handle() : t->udp.native_handle();
        if (auto ec = loop_.watch(fd, io_readable, [this, tp](std::uint32_t ev) { on_readable(*tp, ev); })) {
          fatal(*t, "watch", ec);
          continue;
        }
      }
    }
    for (auto& t : targets_) {
      if (t->finished) continue;
      target* tp = t.get();
      // The timer first, so a first request that is also the last (-c 1) can cancel it.
      t->send_timer = loop_.run_every(interval(), [this, tp] { send_probe(*tp); });
      send_probe(*tp);
    }
    if (a_.deadline > 0) {
      loop_.run_after(seconds_to_ms(a_.deadline), [this] {
        for (auto& t : targets_) finish(*t);
      });
    }
    check_all_done();
  }

  void on_signal(int sig) {
    if (sig == status_signal) {
      for (auto& t : targets_) {
        print_err("{}{}\n", targets_.size() > 1 ? t->addr.address() + ": " : "", status_line(t->stats));
      }
      return;
    }
    note_stop_signal();  // the summary then gives way to a stdout nobody reads (write_out)
    for (auto& t : targets_) finish(*t);
  }

  int report() {
    int code = exit_ok;
    for (auto& t : targets_) {
      std::int64_t elapsed_ms = t->last_send_ns ? (t->last_send_ns - t->start_ns + 500000) / 1000000 : 0;
      if (json_) {
        json_object o;
        o.add("event", "summary").add("host", t->host).add("address", t->addr.address());
        o.add("transmitted", t->stats.transmitted).add("received", t->stats.received);
        o.add("duplicates", t->stats.duplicates).add("corrupted", t->stats.corrupted).add("errors", t->stats.errors);
        double loss = t->stats.transmitted
                          ? static_cast<double>(t->stats.transmitted - std::min(t->stats.received, t->stats.transmitted)) *
                                100.0 / static_cast<double>(t->stats.transmitted)
                          : 0.0;
        o.add("loss_percent", loss).add("time_ms", static_cast<std::int64_t>(elapsed_ms));
        add_rtt_fields(o, t->stats);
        print_json(o);
      } else {
        (void)write_out(summary_block(t->host, t->stats, elapsed_ms));
      }
      if (t->fatal) {
        code = exit_usage;
      } else if (code != exit_usage) {
        bool short_of_count = a_.deadline > 0 && a_.count > 0 && t->stats.received < static_cast<std::uint64_t>(a_.count);
        if (t->stats.received == 0 || short_of_count) code = exit_failure;
      }
    }
    return code;
  }


 private:
  event_loop::duration interval() const {
    return std::chrono::duration_cast<event_loop::duration>(std::chrono::duration<double>(a_.interval));
  }

  static void add_rtt_fields(json_object& o, const ping_stats& s) {
    if (s.received && s.timed) {
      std::int64_t avg = s.tsum_us / static_cast<std::int64_t>(s.timed);
      double mdev = static_cast<double>(mdev_us(s));
      o.add("rtt_min_ms", static_cast<double>(s.tmin_us) / 1000.0).add("rtt_avg_ms", static_cast<double>(avg) / 1000.0);
      o.add("rtt_max_ms", static_cast<double>(s.tmax_us) / 1000.0).add("rtt_mdev_ms", mdev / 1000.0);
    } else {
      o.add_null("rtt_min_ms").add_null("rtt_avg_ms").add_null("rtt_max_ms").add_null("rtt_mdev_ms");
    }
  }

  void header(const target& t) {
    if (json_) {
      json_object o;
      o.add("event", "start").add("host", t.host).add("address", t.addr.address());
      o.add("mode", mode_ == probe_mode::icmp ? "icmp" : mode_ == probe_mode::tcp ? "tcp" : "udp");
      if (mode_ == probe_mode::icmp) o.add("socket", icmp::kind_name(t.ps.kind, t.addr.family()));
      if (mode_ != probe_mode::icmp) o.add("port", static_cast<int>(t.addr.port()));
      if (mode_ != probe_mode::tcp) o.add("data_bytes", a_.size);
      print_json(o);
      return;
    }
    std::string line;
    if (mode_ == probe_mode::tcp) {
      line = fmt::format("PING {} ({}) tcp port {}: timing the TCP handshake.\n", t.host, t.addr.address(), t.addr.port());
    } else if (mode_ == probe_mode::udp) {
      line = fmt::format("PING {} ({}) udp port {}: {} data bytes.\n", t.host, t.addr.address(), t.addr.port(), a_.size);
    } else if (t.addr.is_v6()) {
      line = fmt::format("PING {}({}) {} data bytes\n", t.host, t.addr.address(), a_.size);
    } else {
      line = fmt::format("PING {} ({}) {}({}) bytes of data.\n", t.host, t.addr.address(), a_.size, a_.size + 28);
    }
    (void)write_out(line);
  }

  std::string stamp() const {
    if (!a_.timestamps) return "";
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count();
    return fmt::format("[{}.{:06}] ", us / 1000000, us % 1000000);
  }

  const char* seq_name() const {
    return mode_ == probe_mode::icmp ? "icmp_seq" : mode_ == probe_mode::tcp ? "tcp_seq" : "udp_seq";
  }

  // ---- sending ---------------------------------------------------------------------------------

  void send_probe(target& t) {
    if (t.finished || t.sending_done) return;
    // As iputils: nothing is sent at -w's deadline (the interval timer and the deadline fall due
    // together at -w 1 -i 1); a request sent then could not be answered and would count as lost.
    constexpr std::int64_t slack_ns = 1'000'000;
    if (a_.deadline > 0 && t.stats.transmitted > 0 &&
        now_ns() - t.start_ns + slack_ns >= static_cast<std::int64_t>(a_.deadline * 1e9)) {
      return;
    }
    auto seq = static_cast<std::uint16_t>((t.stats.transmitted + 1) & 0xffff);
    std::int64_t sent = now_ns();
    // Counted as sent before the send: a TCP connect can be answered (refused) inside it.
    t.record_send(seq, sent);
    t.last_seq = seq;
    ++t.stats.transmitted;
    if (mode_ == probe_mode::tcp) {
      send_tcp(t, seq, sent);
    } else {
      auto payload = make_payload(static_cast<std::size_t>(a_.size), seq, sent);
      result<std::size_t> r = std::size_t{0};
      if (mode_ == probe_mode::icmp) {
        auto msg = icmp::encode_echo_request(t.addr.family(), t.ps.id, seq, payload);
        sent = now_ns();
        if (payload.size() >= timing_bytes) {
          put_be64(msg, icmp::header_size, static_cast<std::uint64_t>(sent));
          if (t.addr.is_v4()) {  // the time changed after the checksum: redo it
            msg[2] = msg[3] = std::byte{0};
            auto c = icmp::checksum(msg);
            msg[2] = static_cast<std::byte>(c >> 8);
            msg[3] = static_cast<std::byte>(c & 0xff);
          }
        }
        t.sent_real_ns[seq] = realtime_ns();
        r = icmp::try_send(t.ps, msg, t.addr);
      } else {
        sent = now_ns();
        put_be64(payload, 0, static_cast<std::uint64_t>(sent));
        r = try_send_to(t.udp, payload, endpoint{});
      }
      if (!r) {
        if (r.error() == std::errc::network_unreachable) {
          fatal(t, "send", r.error());
          return;
        }
        if (r.error() != errc::would_block) {
          print_err("sockit: ping {}: send {}={}: {}\n", t.host, seq_name(), seq, r.error().message());
        }
      }
    }
    t.sent_ns[seq] = sent;  // the time the request really left (the one its payload carries)
    t.last_send_ns = sent;
    if (t.finished) return;
    if (a_.count > 0 && t.stats.transmitted >= static_cast<std::uint64_t>(a_.count) && a_.deadline <= 0) {
      t.sending_done = true;
      loop_.cancel(t.send_timer);
      // As iputils: after the last request, wait two of the slowest round trips (at least one
      // interval) when something answered, else -W.
      double wait_s = a_.timeout;
      if (t.stats.received > 0) {
        wait_s = std::max(2.0 * static_cast<double>(t.stats.tmax_us) / 1e6, a_.interval);
      }
      target* tp = &t;
      t.linger_timer = loop_.run_after(seconds_to_ms(wait_s), [this, tp] { finish(*tp); });
    }
  }

  void send_tcp(target& t, std::uint16_t seq, std::int64_t& sent) {
    auto s = socket::open(t.addr.family(), SOCK_STREAM | SOCK_NONBLOCK);
    if (!s) {
      print_err("sockit: ping {}: socket: {}\n", t.host, s.error().message());
      return;
    }
    sent = now_ns();
    auto ec = connect_start(*s, t.addr);
    if (!ec) {
      tcp_answer(t, seq, sent, {});
      return;
    }
    if (ec != std::errc::operation_in_progress) {
      if (ec == std::errc::network_unreachable) {
        fatal(t, "connect", ec);
        return;
      }
      tcp_answer(t, seq, sent, ec);
      return;
    }
    auto at = std::make_unique<tcp_attempt>();
    at->sock = std::move(*s);
    at->started = sent;
    int fd = at->sock.native_handle();
    target* tp = &t;
    if (auto wec = loop_.watch(fd, io_writable, [this, tp, seq](std::uint32_t) { tcp_ready(*tp, seq); })) {
      print_err("sockit: ping {}: watch: {}\n", t.host, wec.message());
      return;
    }
    at->timer = loop_.run_after(seconds_to_ms(a_.timeout), [this, tp, seq] { tcp_drop(*tp, seq); });
    t.attempts[seq] = std::move(at);
  }

  void tcp_ready(target& t, std::uint16_t seq) {
    auto now = now_ns();
    auto it = t.attempts.find(seq);
    if (it == t.attempts.end()) return;
    auto at = std::move(it->second);
    t.attempts.erase(it);
    (void)loop_.unwatch(at->sock.native_handle());
    loop_.cancel(at->timer);
    auto ec = connect_finish(at->sock);
    tcp_answer(t, seq, at->started, ec, now);
  }

  // No answer within -W: the attempt is abandoned (a lost probe, as a lost echo request).
  void tcp_drop(target& t, std::uint16_t seq) {
    auto it = t.attempts.find(seq);
    if (it == t.attempts.end()) return;
    (void)loop_.unwatch(it->second->sock.native_handle());
    t.attempts.erase(it);
  }

  void tcp_answer(target& t, std::uint16_t seq, std::int64_t started, std::error_code ec, std::int64_t now = 0) {
    if (now == 0) now = now_ns();
    if (ec) {
      error_line(t, t.addr, seq, ec.message());
      return;
    }
    reply(t, seq, (now - started) / 1000, true, 0, -1, t.addr.to_string(), false, false);
  }

  // ---- receiving -------------------------------------------------------------------------------

  void on_readable(target& t, std::uint32_t events) {
    if (mode_ == probe_mode::udp) {
      read_udp(t);
      return;
    }
    if (t.ps.kind == icmp::socket_kind::datagram) read_error_queue(t);
    (void)events;
    for (int i = 0; i < 64 && !t.finished; ++i) {
      auto r = icmp::try_receive(t.ps, buf_);
      auto now = now_ns();
      if (!r) {
        if (r.error() == errc::would_block) break;
        // An error the kernel recorded on the socket (an ICMP error): the error queue or the
        // ICMP message itself says which request it was about.
        if (t.ps.kind == icmp::socket_kind::datagram) read_error_queue(t);
        continue;
      }
      handle_icmp(t, std::span<const std::byte>(buf_).first(r->size), *r, now);
    }
  }

  void handle_icmp(target& t, std::span<const std::byte> data, const icmp::received& r, std::int64_t now) {
    auto m = icmp::parse(t.addr.family(), data, t.ps.with_ip_header());
    if (!m) return;  // not even an ICMP header: not ours
    switch (m->kind) {
      case icmp::message_kind::echo_reply: {
        if (m->id != t.ps.id || t.sent_at(m->seq) == 0) return;  // another pinger's, or never sent
        if (!(r.from.address() == t.addr.address())) return;      // someone else answering our id
        std::int64_t sent = t.sent_at(m->seq);
        bool timed = m->payload.size() >= timing_bytes;
        if (timed) {
          // The payload carries the send time; it must be the one we recorded for this sequence.
          auto stamped = static_cast<std::int64_t>(get_be64(m->payload, 0));
          if (stamped != sent && m->checksum_ok) return;  // an old request's reply with a reused seq
        }
        int ttl = m->ttl >= 0 ? m->ttl : r.ttl;
        // The round trip from the kernel's receive time when it gave one (as iputils), which
        // leaves out how long our wake-up took; the monotonic clock otherwise, or if the wall
        // clock moved in between (the kernel's time can only be earlier than our read).
        std::int64_t rtt_ns = now - sent;
        std::int64_t real_sent = t.sent_real_ns[m->seq];
        if (r.kernel_time_ns > 0 && real_sent > 0) {
          std::int64_t k = r.kernel_time_ns - real_sent;
          if (k >= 0 && k <= rtt_ns + 1000000) rtt_ns = k;
        }
        reply(t, m->seq, rtt_ns / 1000, timed, m->icmp_size, ttl, t.addr.address(), !m->checksum_ok,
              r.truncated);
        return;
      }
      case icmp::message_kind::dest_unreachable:
      case icmp::message_kind::time_exceeded:
      case icmp::message_kind::packet_too_big: {
        if (!m->quoted_echo || m->id != t.ps.id || t.sent_at(m->seq) == 0) return;
        if (!(m->quoted_destination.address() == t.addr.address())) return;
        error_line(t, r.from, m->seq, icmp::describe(t.addr.family(), m->type, m->code));
        return;
      }
      case icmp::message_kind::echo_request:  // our own request looped back, or someone's ping to us
      case icmp::message_kind::other:
        return;
    }
  }

  void read_error_queue(target& t) {
    for (int i = 0; i < 64; ++i) {
      auto q = icmp::try_receive_error(t.ps, buf_);
      if (!q) return;
      auto req = icmp::parse_quoted_request(t.addr.family(), std::span<const std::byte>(buf_).first(q->size));
      if (!req || req->id != t.ps.id || t.sent_at(req->seq) == 0) continue;
      std::string why = q->from_icmp ? icmp::describe(t.addr.family(), q->type, q->code)
                                     : std::error_code(q->error, std::system_category()).message();
      error_line(t, q->offender.empty() ? t.addr : q->offender, req->seq, why);
    }
  }

  void read_udp(target& t) {
    for (int i = 0; i < 64 && !t.finished; ++i) {
      auto d = try_recv_from(t.udp, buf_);
      auto now = now_ns();
      if (!d) {
        if (d.error() == errc::would_block) return;
        // ICMP port unreachable, reported by the connected socket without saying for which
        // datagram: the last one sent.
        if (t.last_seq != 0) error_line(t, t.addr, t.last_seq, d.error().message());
        continue;
      }
      std::span<const std::byte> p(buf_.data(), d->size);
      if (p.size() < timing_bytes) continue;
      auto seq = static_cast<std::uint16_t>((std::to_integer<unsigned>(p[8]) << 8) | std::to_integer<unsigned>(p[9]));
      auto stamped = static_cast<std::int64_t>(get_be64(p, 0));
      if (t.sent_at(seq) == 0 || stamped != t.sent_at(seq)) continue;  // not an echo of ours
      reply(t, seq, (now - stamped) / 1000, true, d->size, -1, t.addr.to_string(),
            false, d->truncated());
    }
  }

  // ---- reporting -------------------------------------------------------------------------------

  void reply(target& t, std::uint16_t seq, std::int64_t rtt_us, bool timed, std::size_t bytes, int ttl,
             const std::string& from, bool bad_checksum, bool truncated) {
    if (t.finished) return;
    bool dup = false;
    if (bad_checksum) {
      ++t.stats.corrupted;
    } else if (t.answered[seq]) {
      dup = true;
      ++t.stats.duplicates;
    } else {
      t.answered[seq] = true;
      ++t.stats.received;
    }
    t.stats.acknowledge(seq);
    if (timed && !bad_checksum) t.stats.add_rtt(rtt_us);
    bool late = timed && static_cast<double>(rtt_us) / 1e6 > a_.timeout;
    if (a_.quiet) {
      // -q: only the first line and the statistics, with --json too.
    } else if (json_) {
      json_object o;
      o.add("event", "reply").add("host", t.host).add("address", t.addr.address()).add("seq", static_cast<int>(seq));
      if (mode_ != probe_mode::tcp) o.add("bytes", static_cast<std::uint64_t>(bytes));
      if (ttl >= 0) o.add("ttl", ttl); else if (mode_ == probe_mode::icmp) o.add_null("ttl");
      if (timed) o.add("time_ms", static_cast<double>(rtt_us) / 1000.0); else o.add_null("time_ms");
      o.add("dup", dup).add("late", late);
      if (bad_checksum) o.add("bad_checksum", true);
      if (truncated) o.add("truncated", true);
      print_json(o);
    } else {
      std::string line = stamp();
      if (mode_ == probe_mode::tcp) {
        line += fmt::format("handshake with {}: tcp_seq={}", from, seq);
      } else {
        line += fmt::format("{} bytes from {}: {}={}", bytes, from, seq_name(), seq);
      }
      if (ttl >= 0) line += fmt::format(" ttl={}", ttl);
      if (timed) line += fmt::format(" time={} ms", format_reply_time(rtt_us));
      if (dup) line += " (DUP!)";
      if (bad_checksum) line += " (BAD CHECKSUM!)";
      if (truncated) line += " (truncated)";
      line += "\n";
      (void)write_out(line);
    }
    if (stdout_error()) {
      for (auto& x : targets_) finish(*x);
      return;
    }
    maybe_done(t);
  }

  void error_line(target& t, const endpoint& from, std::uint16_t seq, const std::string& why) {
    if (t.finished) return;
    ++t.stats.errors;
    t.stats.acknowledge(seq);
    if (a_.quiet) {
      // -q: no error lines either (iputils), only the counts.
    } else if (json_) {
      json_object o;
      o.add("event", "error").add("host", t.host).add("address", t.addr.address());
      o.add("from", from.address()).add("seq", static_cast<int>(seq)).add("error", why);
      print_json(o);
    } else {
      (void)write_out(fmt::format("{}From {} {}={} {}\n", stamp(), from.address(), seq_name(), seq, why));
    }
    maybe_done(t);
  }

  // iputils stops once every request is accounted for (answered or errored), and with -w at the
  // first error.
  void maybe_done(target& t) {
    bool all = a_.count > 0 && t.stats.received + t.stats.errors >= static_cast<std::uint64_t>(a_.count);
    if (all || (a_.deadline > 0 && t.stats.errors > 0)) finish(t);
  }

  void fatal(target& t, std::string_view what, std::error_code ec) {
    print_err("sockit: ping {}: {}\n", t.host, describe(what, ec));
    t.fatal = true;
    finish(t);
  }

  void finish(target& t) {
    if (t.finished) return;
    t.finished = true;
    loop_.cancel(t.send_timer);
    loop_.cancel(t.linger_timer);
    for (auto& [seq, at] : t.attempts) {
      (void)loop_.unwatch(at->sock.native_handle());
      loop_.cancel(at->timer);
    }
    t.attempts.clear();
    int fd = mode_ == probe_mode::icmp ? t.ps.sock.native_handle() : mode_ == probe_mode::udp ? t.udp.native_handle() : -1;
    if (fd >= 0 && loop_.watching(fd)) (void)loop_.unwatch(fd);
    check_all_done();
  }

  void check_all_done() {
    if (std::all_of(targets_.begin(), targets_.end(), [](const auto& t) { return t->finished; })) loop_.stop();
  }

  event_loop& loop_;
  const ping_args& a_;
  probe_mode mode_;
  bool json_;
  std::vector<std::unique_ptr<target>> targets_;
  std::vector<std::byte> buf_ = std::vector<std::byte>(65536 + 1024);
};

int run_ping(const ping_args& a, const context& ctx) {
  probe_mode mode = a.tcp_port ? probe_mode::tcp : a.udp_port ? probe_mode::udp : probe_mode::icmp;
  // As iputils: an interval below 0.2 s floods, and only root may.
  if (a.interval < min_user_interval_s && !icmp::may_flood()) {
    return fail_message(fmt::format("bad -i '{}': an interval below {} s needs root (as iputils: cannot flood)",
                                    a.interval, min_user_interval_s),
                        exit_usage);
  }
  if (mode == probe_mode::udp && static_cast<std::size_t>(a.size) < timing_bytes) {
    return fail_message(fmt::format("bad -s '{}': --udp needs at least {} data bytes (send time and sequence)", a.size,
                                    timing_bytes),
                        exit_usage);
  }
  // raw-unfiltered: a raw socket that is handed every ICMP message, our own looped-back requests
  // included (tests check those are never taken for replies).
  bool filter = a.socket_kind != "raw-unfiltered";
  icmp::socket_choice choice = a.socket_kind.starts_with("raw") ? icmp::socket_choice::raw
                               : a.socket_kind == "datagram" ? icmp::socket_choice::datagram
                                                             : icmp::socket_choice::automatic;
  auto loop = event_loop::create();
  if (!loop) return fail("event loop", loop.error());
  pinger p(**loop, a, mode, ctx.json);
  auto base_id = static_cast<std::uint16_t>(::getpid() & 0xffff);
  std::uint16_t index = 0;
  for (const auto& h : a.hosts) {
    std::string host = h;
    int code = exit_ok;
    if (!check_host_arg(host, code)) return code;
    resolve_options ro;
    ro.family = a.v4 ? ip_family::v4 : a.v6 ? ip_family::v6 : ip_family::any;
    ro.socktype = mode == probe_mode::tcp ? SOCK_STREAM : SOCK_DGRAM;
    std::uint16_t port = static_cast<std::uint16_t>(mode == probe_mode::tcp ? a.tcp_port : mode == probe_mode::udp ? a.udp_port : 0);
    auto eps = resolve(host, port, ro);
    if (!eps) {
      if (code_for(eps.error()) == exit_usage) return usage_error("bad host", host, eps.error());
      return fail_message(describe("ping " + host, eps.error()), exit_usage);  // iputils: unknown host is 2
    }
    auto t = std::make_unique<target>();
    t->host = host;
    t->addr = eps->front();
    // An IPv4-mapped address (::ffff:127.0.0.1) names an IPv4 host: echo requests in ICMPv6 to it
    // go nowhere useful (out the default route, or "unreachable"), so it is pinged over IPv4.
    // (--tcp and --udp reach it over IPv6 sockets as they are.)
    if (mode == probe_mode::icmp && t->addr.is_v4_mapped()) {
      if (a.v6) return fail_message("bad host '" + host + "': an IPv4-mapped address is an IPv4 host (without -6)", exit_usage);
      t->addr = t->addr.unmapped();
    }
    std::size_t max_payload = mode == probe_mode::icmp ? icmp::max_echo_payload(t->addr.family())
                              : t->addr.is_v6()       ? icmp::max_payload_v6
                                                      : icmp::max_payload_v4;
    if (static_cast<std::size_t>(a.size) > max_payload) {
      return fail_message(fmt::format("bad -s '{}': at most {} data bytes for {}", a.size, max_payload, t->addr.address()),
                          exit_usage);
    }
    // As iputils' connect probe: no route at all is one error line and exit 2, before anything is sent.
    if (mode != probe_mode::tcp) {
      endpoint probe_to = t->addr;
      if (probe_to.port() == 0) probe_to.set_port(1025);
      auto probe = udp_connect(probe_to);
      if (!probe) return fail_message(describe("ping " + host + ": connect", probe.error()), exit_usage);
    }
    if (mode == probe_mode::icmp) {
      auto s = icmp::open_ping_socket(t->addr.family(), choice, static_cast<std::uint16_t>(base_id + index), filter);
      if (!s) {
        // Only Windows says this: its ICMP helper calls have no socket kind to choose, and
        // Icmp6CreateFile may be missing (Wine 8.0 does not implement it).
        if (s.error() == errc::not_supported && choice != icmp::socket_choice::automatic) {
          return fail_message(fmt::format("ping: --socket {}: not available on Windows (it pings through {})",
                                          a.socket_kind, icmp::kind_name(icmp::socket_kind::echo_api, t->addr.family())),
                              exit_usage);
        }
        if (s.error() == errc::not_supported) {
          return fail_message(fmt::format("ping {}: {} is not available on this system", host,
                                          icmp::kind_name(icmp::socket_kind::echo_api, t->addr.family())),
                              exit_usage);
        }
        if (s.error() == std::errc::operation_not_permitted) {
          return fail_message("ping: no permission for ICMP sockets: " + icmp::permission_hint("sockit"), exit_usage);
        }
        return fail_message(describe("ping: ICMP socket", s.error()), exit_usage);
      }
      if (a.ttl) {
        if (auto ec = icmp::set_ttl(*s, a.ttl)) return fail_message(describe("ping: set TTL", ec), exit_usage);
      }
      t->ps = std::move(*s);
    } else if (mode == probe_mode::udp) {
      auto s = udp_connect(t->addr);
      if (!s) return fail_message(describe("ping " + host + ": connect", s.error()), exit_usage);
      t->udp = std::move(*s);
    }
    ++index;
    p.targets().push_back(std::move(t));
  }
  // The raw sockets are open: nothing from here on needs a privilege.
  if (auto ec = icmp::drop_privileges()) return fail_message(describe("ping: drop privileges", ec), exit_usage);
  spdlog::info("pinging {} host(s), every {} s", p.targets().size(), a.interval);

  if (auto ec = (*loop)->on_signals({SIGINT, SIGTERM, status_signal}, [&p](int sig) { p.on_signal(sig); })) {
    return fail("signalfd", ec);
  }
  p.start();
  if (auto ec = (*loop)->run()) return fail("event loop", ec);
  return p.report();
}

}  // namespace

void setup_ping(CLI::App& cmd, context& ctx) {
  auto a = std::make_shared<ping_args>();
  cmd.add_option("host", a->hosts, "Hosts to ping (names or addresses), each on its own schedule")
      ->required()
      ->expected(1, -1);
  cmd.add_option("-c,--count", a->count, "Stop after COUNT requests per host (default: until Ctrl+C or -w)")
      ->check(int_check(1, no_upper_bound, "requests"))
      ->option_text("COUNT");
  cmd.add_option("-i,--interval", a->interval,
                 fmt::format("Seconds between requests (default {}; below {} needs root)", default_interval_s,
                             min_user_interval_s))
      ->check(number_check(min_interval_s, max_seconds, "seconds"))
      ->option_text("SECS");
  cmd.add_option("-W,--timeout", a->timeout,
                 fmt::format("Seconds to wait for a reply when none came yet (default {})", default_timeout_s))
      ->check(seconds_check(false))
      ->option_text("SECS");
  cmd.add_option("-w,--deadline", a->deadline, "Stop after SECS whatever was sent or received")
      ->check(seconds_check(false))
      ->option_text("SECS");
  cmd.add_option("-s,--size", a->size, fmt::format("Data bytes per request (default {})", default_size))
      ->check(int_check(0, static_cast<long long>(icmp::max_payload_v6), "bytes"))
      ->option_text("SIZE");
  cmd.add_option("-t,--ttl", a->ttl, "Time to live / hop limit of the requests")
      ->check(int_check(1, 255))
      ->option_text("TTL");
  auto* o4 = cmd.add_flag("-4,--ipv4", a->v4, "Use IPv4 only");
  auto* o6 = cmd.add_flag("-6,--ipv6", a->v6, "Use IPv6 only");
  o4->excludes(o6);
  cmd.add_flag("-q,--quiet", a->quiet, "Print only the first line and the statistics");
  cmd.add_flag("-D,--timestamp", a->timestamps, "Print the time of day (seconds since 1970) before each line");
  auto* tcp = cmd.add_option("--tcp", a->tcp_port, "Time the TCP handshake to PORT (a number or a name: ssh) instead of ICMP echo")
                  ->transform(service_name_transform(transport::tcp))
                  ->check(int_check(1, 65535))
                  ->option_text("PORT");
  auto* udp = cmd.add_option("--udp", a->udp_port, "Time a round trip to the UDP echo service on PORT instead")
                  ->transform(service_name_transform(transport::udp))
                  ->check(int_check(1, 65535))
                  ->option_text("PORT");
  tcp->excludes(udp);
  // For tests: force one socket kind instead of raw-then-datagram.
  cmd.add_option("--socket", a->socket_kind)
      ->check(CLI::IsMember({"auto", "raw", "raw-unfiltered", "datagram"}))
      ->group("");
  cmd.footer(
      "Examples:\n"
      "  sockit ping 127.0.0.1 -c 3              # as iputils ping -c 3\n"
      "  sockit ping -c 5 -i 0.2 ::1 127.0.0.1   # two hosts at once, a summary for each\n"
      "  sockit ping --tcp 22 -c 3 127.0.0.1     # time TCP handshakes where ICMP is filtered\n"
      "  sockit --json ping -c 2 localhost       # one JSON object per reply, then a summary\n"
      "Sockets: a raw ICMP socket with CAP_NET_RAW (privileges are dropped once it is open), else an\n"
      "ICMP datagram socket if net.ipv4.ping_group_range holds your group.\n"
      "Ctrl+C prints the statistics; SIGQUIT (Ctrl+\\) prints a running status line to stderr.\n"
      "Exit status, as iputils: 0 every host answered, 1 a host gave no reply (or fewer than -c\n"
      "within -w), 2 an error (no route, unknown host, no permission, bad option).");
  cmd.callback([a, &ctx] { ctx.run = [a, &ctx] { return run_ping(*a, ctx); }; });
}

}  // namespace sockit::cli
