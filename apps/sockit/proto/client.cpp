// The proto client: one wait_any loop over the socket and (in stdin mode) stdin. Requests are queued
// in order; responses are matched to the oldest pending request (and, in v2, by request id).
#include "client.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <deque>
#include <optional>
#include <unistd.h>

#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include "../args.hpp"
#include "../cli.hpp"
#include "../hexdump.hpp"
#include "../json.hpp"
#include "../printable.hpp"
#include "../unix_flags.hpp"
#include "request.hpp"
#include "../stdin_port.hpp"
#include "../stop_signals.hpp"
#include "sockit/buffer.hpp"
#include "sockit/endpoint.hpp"
#include "sockit/error.hpp"
#include "sockit/frame_codec.hpp"
#include "sockit/histogram.hpp"
#include "sockit/io.hpp"
#include "sockit/liveness.hpp"
#include "sockit/options.hpp"
#include "sockit/tcp.hpp"
#include "sockit/wait.hpp"

namespace sockit::cli::proto {

namespace sp = sockit::proto;
using steady = std::chrono::steady_clock;

namespace {

std::chrono::nanoseconds secs(double s) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::duration<double>(s));
}
double ms(std::chrono::nanoseconds d) { return static_cast<double>(d.count()) / 1e6; }

// Ctrl+C or SIGTERM: stop as at the end of input (with --count, print the statistics, as ping
// does); a second one exits 130 at once. Both stay blocked except inside wait_any (ppoll), so the
// first can only land while the loop sleeps there (no lost wake-up); a write to a stdout nobody
// reads gives way to it meanwhile (write_out).
volatile std::sig_atomic_t interrupted = 0;
extern "C" void on_sigint(int) {
  if (interrupted) ::_exit(130);  // 128 + SIGINT, what a shell reports for Ctrl+C
  interrupted = 1;
  note_stop_signal();
}

struct pending {
  std::string name;
  std::uint32_t id = 0;
  std::uint64_t seq = 0;
  steady::time_point sent;
  bool heartbeat = false;
};

class session {
 public:
  session(const client_options& o, std::string peer_text)
      : o_(o),
        peer_(std::move(peer_text)),
        dump_(o.hexdump),
        limit_(request_limit(o.v2, o.max_payload, o.max_payload_v2)) {
    // A v2 client still reads v1 frames: a v1-only server refuses the v2 header with a v1
    // RESP_ERROR, whose reason is worth showing (handle_response then stops).
    limits_.accept_v1 = true;
    limits_.accept_v2 = o.v2;
    limits_.max_payload_v1 = o.max_payload;
    limits_.max_payload_v2 = o.max_payload_v2;
  }

  // `argv_req`: the command from the arguments, checked by run_client; null: read stdin.
  // `tls`: the session of a finished handshake (proto call --tls), or null.
  int run(socket s, const request* argv_req, tls_session* tls = nullptr) {
    sock_ = std::move(s);
    tls_ = tls;
    (void)set_nonblocking(sock_, true);
    (void)set_tcp_nodelay(sock_, true);  // requests are small and wanted at once
    if (o_.heartbeat > 0) {
      // TCP keepalive as a second detector: a peer whose kernel is gone shows up as ETIMEDOUT.
      keepalive_config k;
      k.enabled = true;
      k.idle = std::chrono::seconds(std::max<long>(1, std::lround(o_.heartbeat)));
      k.interval = std::chrono::seconds(1);
      k.count = 3;
      (void)set_keepalive(sock_, k);
      // Keepalive only probes an idle connection. With a request in flight the kernel retransmits
      // it for many minutes; TCP_USER_TIMEOUT bounds that to two intervals (then ETIMEDOUT).
      auto user_timeout_ms = static_cast<unsigned>(std::clamp(2000 * o_.heartbeat, 1.0, 4e9));
      (void)set_tcp_user_timeout(sock_, std::chrono::milliseconds(user_timeout_ms));
    }
    stdin_mode_ = argv_req == nullptr;
    tty_ = stdin_mode_ && ::isatty(0);
    if (!stdin_mode_) {
      argv_req_ = *argv_req;
      remaining_ = o_.count;
    }
    last_activity_ = steady::now();
    last_rx_ = last_activity_;
    next_send_ = steady::now();
    if (tty_) prompt();
#ifdef _WIN32
    // The C runtime calls the handler on a thread of its own: the wait is not interrupted, but it
    // wakes at least once a second and looks at the flag.
    std::signal(SIGINT, on_sigint);
#else
    sigset_t old_mask;
    {
      struct sigaction sa {};
      sa.sa_handler = on_sigint;
      ::sigemptyset(&sa.sa_mask);
      ::sigaction(SIGINT, &sa, nullptr);
      ::sigaction(SIGTERM, &sa, nullptr);
      sigset_t block;
      ::sigemptyset(&block);
      ::sigaddset(&block, SIGINT);
      ::sigaddset(&block, SIGTERM);
      ::sigprocmask(SIG_BLOCK, &block, &old_mask);
      poll_mask_ = old_mask;
      ::sigdelset(&poll_mask_, SIGINT);
      ::sigdelset(&poll_mask_, SIGTERM);
      use_poll_mask_ = true;
    }
#endif
    int rc = loop();
    if (interrupted && o_.count_given) {
      // As iputils ping: interrupted, the run succeeded if anything was answered.
      rc = received_ > 0 && !had_error_status_ ? exit_ok : exit_failure;
    } else {
      if (interrupted) rc = interrupted_status();
      if (rc == exit_ok && refused_lines_) {
        rc = exit_usage;
      } else if (rc == exit_ok && had_error_status_) {
        rc = exit_failure;
      }
    }
    if (o_.count_given) print_summary();
    if (tls_ && !tls_->close_notify_sent()) {  // best effort: the server sees a clean end, not a truncation
      tls_->close_notify();
      (void)tls_->take_output(wire_);
      if (!wire_.empty()) (void)try_send(sock_, wire_.readable());
    }
#ifndef _WIN32
    if (use_poll_mask_) ::sigprocmask(SIG_SETMASK, &old_mask, nullptr);
#endif
    return rc;
  }

 private:
  // Interrupted without --count: as at the end of input, unless a request is still unanswered.
  int interrupted_status() {
    auto unanswered = std::count_if(pending_.begin(), pending_.end(), [](const pending& p) { return !p.heartbeat; });
    if (unanswered == 0) return exit_ok;
    return fail_message(fmt::format("interrupted: {} request{} to {} unanswered", unanswered,
                                    unanswered == 1 ? "" : "s", peer_));
  }

  void prompt() {
    print_err("proto> ");
    std::fflush(stderr);
  }

  void queue(const request& r, bool heartbeat) {
    std::uint32_t id = ++next_id_;
    if (o_.v2) {
      sp::encode_v2(out_, r.code, 0, id, sockit::as_bytes(std::string_view(r.payload)));
    } else {
      sp::encode_v1(out_, r.code, sockit::as_bytes(std::string_view(r.payload)));
    }
    pending p{r.name, id, heartbeat ? 0 : ++seq_, steady::now(), heartbeat};
    pending_.push_back(p);
    last_activity_ = p.sent;
    if (!heartbeat) ++sent_;
    if (r.code == sp::cmd_quit) quit_sent_ = true;
  }

  // Bytes waiting for the socket: the requests, or over TLS their ciphertext.
  buffer& queued() { return tls_ ? wire_ : out_; }

  // Returns false on a fatal socket error (already reported in rc_).
  bool flush() {
    if (tls_ && !out_.empty()) {  // over TLS: encrypted whole, the socket takes the ciphertext as it can
      auto plain = out_.readable();
      dump_.sent({reinterpret_cast<const char*>(plain.data()), plain.size()});
      if (auto ec = tls_->write(plain)) {
        rc_ = lost(ec);
        return false;
      }
      out_.clear();
    }
    if (tls_) (void)tls_->take_output(wire_);
    buffer& q = queued();
    while (!q.empty()) {
      auto data = q.readable();
      auto n = try_send(sock_, data);
      if (!n) {
        if (n.error() == errc::would_block) return true;
        rc_ = lost(n.error());
        return false;
      }
      if (!tls_) dump_.sent({reinterpret_cast<const char*>(data.data()), *n});
      q.consume(*n);
    }
    return true;
  }

  // Reads what the socket has (at most 16 reads) into `into`, calling took(n) after each read.
  // False on a fatal error (reported in rc_); the end of the stream sets peer_eof_.
  template <class F>
  bool read_wire(buffer& into, std::size_t chunk, F took) {
    for (int i = 0; i < 16 && !peer_eof_; ++i) {
      auto n = into.read_from(sock_.native_handle(), chunk);
      if (!n) {
        auto ec = n.error();
        if (ec == errc::would_block) break;
        if (ec == errc::end_of_stream) {
          peer_eof_ = true;
          break;
        }
        rc_ = lost(ec);
        return false;
      }
      last_rx_ = steady::now();
      took(*n);
    }
    return true;
  }

  // Over TLS: the ciphertext that arrived goes into the session, its plaintext into in_. The end
  // of the stream is the server's close_notify, or its FIN without one.
  bool read_tls() {
    bool ok = read_wire(net_, 1 << 16, [this](std::size_t) {
      (void)tls_->feed(net_.readable());
      net_.clear();
    });
    if (!ok) return false;
    std::byte plain[16 * 1024];
    for (;;) {
      auto r = tls_->read(plain);
      if (!r) {
        if (r.error() == errc::end_of_stream) peer_eof_ = true;
        else if (r.error() != errc::would_block) {
          rc_ = lost(r.error());
          return false;
        }
        break;
      }
      in_.append(std::span<const std::byte>(plain, *r));
      dump_.received({reinterpret_cast<const char*>(plain), *r});
    }
    return true;
  }

  int lost(std::error_code ec) {
    if (o_.heartbeat > 0) return fail_message(describe("peer " + peer_ + " is dead (connection lost)", ec));
    return fail("connection to " + peer_, ec);
  }

  void read_stdin() {
    char chunk[4096];
    auto n = cli::read_stdin(std::as_writable_bytes(std::span(chunk)));
    if (!n && n.error() == errc::end_of_stream) {
      stdin_eof_ = true;
      if (!line_.empty() && !overlong_) take_line(std::exchange(line_, {}));
      return;
    }
    if (!n) {
      if (n.error() != errc::would_block) stdin_eof_ = true;
      return;
    }
    line_.append(chunk, *n);
    std::size_t pos;
    while ((pos = line_.find('\n')) != std::string::npos && !quit_sent_) {
      std::string one = line_.substr(0, pos);
      line_.erase(0, pos + 1);
      if (std::exchange(overlong_, false)) continue;  // the end of a line refused below
      take_line(std::move(one));
    }
    // A line that cannot fit however it ends is refused now and skipped up to its newline, so
    // that one endless line cannot fill memory. (The margin: the command word and blanks.)
    if (!overlong_ && !quit_sent_ && line_.size() > limit_.bytes + 4096) {
      ++line_no_;
      refuse_line(fmt::format("a line of more than {} bytes: its text is over the limit of {} bytes ({})",
                              limit_.bytes + 4096, limit_.bytes, limit_.why));
      overlong_ = true;
    }
    if (overlong_) line_.clear();
  }

  // A line refused before anything of it is sent: reported, and the session goes on (exit 2).
  void refuse_line(const std::string& why) {
    fmt::print(stderr, "sockit: line {}: {}\n", line_no_, why);
    refused_lines_ = true;
    if (tty_ && pending_.empty()) prompt();
  }

  void take_line(std::string one) {
    ++line_no_;
    if (!one.empty() && one.back() == '\r') one.pop_back();
    auto first = one.find_first_not_of(" \t");
    if (first == std::string::npos || one[first] == '#') {
      if (tty_ && pending_.empty()) prompt();
      return;
    }
    if (one.substr(first) == "help") {
      print_err("{}\n", request_help);
      if (tty_) prompt();
      return;
    }
    request r;
    std::string err;
    if (!parse_request(one, r, err)) {
      print_err("sockit: line {}: {}; {}\n", line_no_, err, request_help);
      bad_lines_ = true;
      if (tty_ && pending_.empty()) prompt();
      return;
    }
    if (auto why = check_request_size(r, limit_); !why.empty()) {
      refuse_line(why);
      return;
    }
    queue(r, false);
  }

  void handle_response(const sp::frame_view& f) {
    auto now = steady::now();
    last_activity_ = now;
    if (pending_.empty()) {
      rc_ = fail_message(fmt::format("unexpected response from {} (no request pending)", peer_));
      done_ = true;
      return;
    }
    auto p = pending_.front();
    pending_.pop_front();
    if (o_.v2 && f.version != 2) {
      // A v1-only server read our v2 header as a v1 one; its v1 answer says what it made of it.
      rc_ = fail_message(fmt::format("{} answered in v1 (a server without --v2?): {} {}", peer_,
                                     f.code == sp::status_ok ? "OK" : "ERROR", printable(f.text())));
      done_ = true;
      return;
    }
    if (o_.v2 && f.request_id != p.id) {
      rc_ = fail_message(fmt::format("response from {} carries request id {}, expected {}", peer_, f.request_id, p.id));
      done_ = true;
      return;
    }
    if (p.heartbeat) {
      spdlog::debug("proto: heartbeat answered in {:.3f} ms", ms(now - p.sent));
      return;
    }
    ++received_;
    auto rtt = now - p.sent;
    hist_.record(static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(rtt).count()));
    if (f.code != sp::status_ok) had_error_status_ = true;
    std::string status = f.code == sp::status_ok ? "OK" : f.code == sp::status_error ? "ERROR" : fmt::format("STATUS {}", f.code);
    if (o_.json) {
      json_object j;
      j.add("command", p.name).add("seq", p.seq).add("status", static_cast<int>(f.code));
      j.add("ok", f.code == sp::status_ok).add_bytes("payload", f.text()).add("rtt_ms", ms(rtt));
      j.add("version", static_cast<int>(f.version));
      if (f.version == 2) j.add("id", static_cast<std::uint64_t>(f.request_id));
      print_json(j);
    } else {
      std::string line = status;
      line += ' ';
      line.append(printable(f.text()));
      if (o_.count_given) line += fmt::format("  seq={} time={:.3f} ms", p.seq, ms(rtt));
      line += '\n';
      (void)write_out(line);
    }
    if (stdout_error()) {  // stop as at the end; main reports it (output.hpp)
      done_ = true;
      return;
    }
    if (tty_ && pending_.empty() && !quit_sent_) prompt();
  }

  bool read_socket() {
    bool ok = tls_ ? read_tls() : read_wire(in_, 1 << 20, [this](std::size_t n) {
      auto v = in_.view();
      dump_.received(v.substr(v.size() - n));
    });
    if (!ok) return false;
    for (;;) {
      auto r = sp::parse_frame(in_.readable(), limits_);
      if (r.kind == sp::parse_result::need_more) break;
      if (r.kind == sp::parse_result::error) {
        std::string why = describe("bad response from " + peer_, r.ec);
        if (r.ec == sp::frame_errc::payload_too_large) {
          bool v2 = r.version == 2;
          why += fmt::format(" ({} bytes announced, limit {}: {})", r.declared_length,
                             v2 ? limits_.max_payload_v2 : limits_.max_payload_v1, v2 ? "--max-payload-v2" : "--max-payload");
        }
        rc_ = fail_message(why);
        return false;
      }
      handle_response(r.view);
      in_.consume(r.consumed);
      if (done_) return false;
    }
    if (peer_eof_) {
      if (!in_.empty()) {
        rc_ = fail_message(fmt::format("{} closed the connection in the middle of a response", peer_));
        return false;
      }
      if (!pending_.empty()) {
        rc_ = fail_message(fmt::format("{} closed the connection with {} request(s) unanswered", peer_, pending_.size()));
        return false;
      }
      bool more = stdin_mode_ ? !stdin_eof_ : remaining_ > 0;
      if (more && !quit_sent_) {
        rc_ = fail_message(fmt::format("{} closed the connection", peer_));
        return false;
      }
      done_ = true;
      return false;
    }
    return true;
  }

  int loop() {
    while (!done_) {
      auto now = steady::now();
      // Commands from the arguments: one every interval.
      if (!stdin_mode_ && remaining_ > 0 && now >= next_send_ && !quit_sent_) {
        queue(argv_req_, false);
        --remaining_;
        next_send_ += secs(o_.interval);
        if (next_send_ < now) next_send_ = now;
      }
      // Heartbeat on an idle connection.
      if (o_.heartbeat > 0 && pending_.empty() && !quit_sent_ && now - last_activity_ >= secs(o_.heartbeat)) {
        queue(request{"ping", sp::cmd_ping, {}}, true);
      }
      if (!flush()) return rc_;
      // A request pending too long: within --timeout, and with --heartbeat the peer must also
      // show a sign of life (any byte) within SECS of the request, or it is dead, request in
      // flight or not.
      if (!pending_.empty()) {
        const auto& p = pending_.front();
        if (o_.heartbeat > 0 && now >= silence_deadline(p)) {
          if (p.heartbeat)
            return fail_message(fmt::format("peer {} is dead: no PONG within {} s", peer_, o_.heartbeat));
          return fail_message(fmt::format("peer {} is dead: no response to '{}' within {} s (--heartbeat)", peer_,
                                          p.name, o_.heartbeat));
        }
        if (!p.heartbeat && now - p.sent >= secs(o_.timeout))
          return fail_message(fmt::format("no response from {} to '{}' within {} s", peer_, p.name, o_.timeout));
      }
      bool finished_input = stdin_mode_ ? (stdin_eof_ || quit_sent_) : (remaining_ == 0 || quit_sent_);
      if (finished_input && pending_.empty() && queued().empty()) return exit_ok;

      // How long to sleep: until the next send, heartbeat or deadline.
      auto wake = now + std::chrono::seconds(1);
      if (!stdin_mode_ && remaining_ > 0) wake = std::min(wake, next_send_);
      if (!pending_.empty()) {
        const auto& p = pending_.front();
        if (!p.heartbeat) wake = std::min(wake, p.sent + secs(o_.timeout));
        if (o_.heartbeat > 0) wake = std::min(wake, silence_deadline(p));
      } else if (o_.heartbeat > 0) {
        wake = std::min(wake, last_activity_ + secs(o_.heartbeat));
      }
      int timeout_ms = static_cast<int>(std::max<long long>(
          0, std::chrono::duration_cast<std::chrono::milliseconds>(wake - now).count() + 1));
      wait_entry fds[2];
      fds[0] = {sock_.native_handle(), wait_entry::readable | (queued().empty() ? 0 : wait_entry::writable), 0};
      // Stdin: a terminal is read one line at a time after the answer; a pipe as fast as the
      // output allows (bounded, so a huge script cannot queue unbounded memory).
      bool want_stdin = stdin_mode_ && !stdin_eof_ && !quit_sent_ &&
                        (tty_ ? pending_.empty() : (pending_.size() < 4096 && queued().size() < (1u << 20)));
      fds[1] = {stdin_wait_fd(), wait_entry::readable, 0};
      auto n = wait_any(std::span(fds, want_stdin ? 2 : 1), deadline::after(std::chrono::milliseconds(timeout_ms)),
                        use_poll_mask_ ? &poll_mask_ : nullptr);
      // A ppoll that finds a descriptor ready returns without letting a pending signal in: with a
      // stdin that is always readable (/dev/zero, a huge file) it never would. Let it in here.
      if (use_poll_mask_ && stop_signal_pending()) take_pending_signal();
      if (interrupted) return exit_ok;  // run() turns it into the summary and ping's exit status
      if (!n) {
        if (n.error() == std::errc::interrupted) continue;
        return fail("poll", n.error());
      }
      constexpr unsigned in_or_down = wait_entry::readable | wait_entry::hangup | wait_entry::error;
      if (fds[0].ready & in_or_down) {
        if (!read_socket()) return done_ && rc_ == exit_ok ? exit_ok : rc_;
      }
      if (want_stdin && (fds[1].ready & in_or_down)) read_stdin();
    }
    return rc_;
  }

  // Unblocks SIGINT/SIGTERM for a moment: the pending one runs its handler on the way back.
  void take_pending_signal() {
#ifndef _WIN32
    sigset_t was;
    ::pthread_sigmask(SIG_SETMASK, &poll_mask_, &was);
    ::pthread_sigmask(SIG_SETMASK, &was, nullptr);
#endif
  }

  // The oldest request must see a byte from the peer within one heartbeat interval.
  steady::time_point silence_deadline(const pending& p) const {
    return std::max(p.sent, last_rx_) + secs(o_.heartbeat);
  }

  void print_summary() {
    double loss = sent_ ? 100.0 * static_cast<double>(sent_ - received_) / static_cast<double>(sent_) : 0;
    auto f = [](std::uint64_t ns) { return static_cast<double>(ns) / 1e6; };
    if (o_.json) {
      json_object j;
      j.add("event", "summary").add("sent", sent_).add("received", received_).add("loss_percent", loss);
      j.add("min_ms", f(hist_.min())).add("avg_ms", hist_.mean() / 1e6).add("max_ms", f(hist_.max()));
      j.add("p50_ms", f(hist_.percentile(50))).add("p90_ms", f(hist_.percentile(90))).add("p99_ms", f(hist_.percentile(99)));
      print_json(j);
      return;
    }
    std::string s = fmt::format("--- {} proto statistics ---\n{} requests sent, {} answered, {:.0f}% lost\n", peer_,
                                sent_, received_, loss);
    if (received_) {
      s += fmt::format("rtt min/avg/max/p50/p90/p99 = {:.3f}/{:.3f}/{:.3f}/{:.3f}/{:.3f}/{:.3f} ms\n", f(hist_.min()),
                       hist_.mean() / 1e6, f(hist_.max()), f(hist_.percentile(50)), f(hist_.percentile(90)),
                       f(hist_.percentile(99)));
    }
    (void)write_out(s);
  }

  const client_options& o_;
  std::string peer_;
  traffic_dumper dump_;
  sp::frame_limits limits_;
  payload_limit limit_;  // the largest request payload sent
  socket sock_;
  buffer out_, in_;
  tls_session* tls_ = nullptr;
  buffer wire_, net_;  // TLS: ciphertext to send, and as read
  std::deque<pending> pending_;
  request argv_req_;
  long remaining_ = 0;
  bool stdin_mode_ = false, tty_ = false, stdin_eof_ = false, peer_eof_ = false;
  bool quit_sent_ = false, done_ = false, had_error_status_ = false, bad_lines_ = false;
  bool refused_lines_ = false;  // a stdin line over the size limit (exit 2)
  bool overlong_ = false;       // skipping the rest of a refused line up to its newline
  std::string line_;
  std::uint64_t line_no_ = 0;
  std::uint32_t next_id_ = 0;
  std::uint64_t seq_ = 0, sent_ = 0, received_ = 0;
  steady::time_point last_activity_, next_send_;
  steady::time_point last_rx_;  // the last byte read from the peer
  sigset_t poll_mask_{};
  bool use_poll_mask_ = false;
  histogram hist_;
  int rc_ = exit_ok;

 public:
  bool bad_lines() const { return bad_lines_; }
  // --count interrupted before the connection was up: the statistics of nothing sent, as ping.
  void summary_of_nothing() { print_summary(); }
};

}  // namespace

int run_client(const client_options& o) {
  int code = exit_ok;
  host_port hp;
  const bool on_unix = is_unix_address_text(o.address);
  unix_flags uf;
  unix_address unix_at;
  if (on_unix ? !check_unix_args(o.address, uf, o.sock, unix_at, code) : !parse_address_arg(o.address, hp, code)) {
    return code;
  }
  // The command from the arguments is checked before connecting: a usage error sends nothing.
  request argv_req;
  if (!o.words.empty()) {
    std::string line;
    for (const auto& w : o.words) line += (line.empty() ? "" : " ") + w;
    std::string err;
    if (!parse_request(line, argv_req, err)) return fail_message(err + "; " + std::string(request_help), exit_usage);
    auto why = check_request_size(argv_req, request_limit(o.v2, o.max_payload, o.max_payload_v2));
    if (!why.empty()) return fail_message(why, exit_usage);
  }
  tls_flags tf = o.tls;
  if (!check_tls_flags(tf, false, on_unix ? "a unix: address (proto call --tls is TCP)" : nullptr, code)) return code;
  socket_flags flags = o.sock;
  if (!check_socket_flags(flags, !on_unix, code)) return code;
  if (on_unix) {
    // The same session on a Unix stream socket (the TCP-only calls in it fail harmlessly).
    auto us = connect_unix(unix_at, uf, flags, o.timeout, code);
    if (!us) return code;
    session sess(o, unix_at.to_string());
    int rc = sess.run(std::move(*us), o.words.empty() ? nullptr : &argv_req);
    if (rc == exit_ok && sess.bad_lines()) rc = exit_failure;
    return rc;
  }
  if (hp.host.empty()) hp.host = "127.0.0.1";
  if (hp.port == 0) return refuse_port_zero();
  std::vector<applied_option> applied;
  std::string failed;
  socket_prepare prepare;
  if (!no_socket_flags(flags)) prepare = socket_preparer(flags, true, applied, failed);
  endpoint connected;
  const std::string target = fmt::format("{}:{}", hp.host, hp.port);
  resolve_options ro;
  ro.family = source_family(flags);
  auto eps = resolve(hp.host, hp.port, ro);
  if (!eps && code_for(eps.error()) == exit_usage) return usage_error("bad host", hp.host, eps.error());
  if (!eps) return fail(lookup_what("connect", target, flags), eps.error());  // names -s's family
  // Ctrl+C while the connect (or the TLS handshake) waits: the handler only raises the flag, which
  // the connect asks every 200 ms; the session blocks the signals later, around its own waits.
#ifdef _WIN32
  std::signal(SIGINT, on_sigint);
#else
  struct sigaction sa {};
  sa.sa_handler = on_sigint;
  ::sigemptyset(&sa.sa_mask);
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
#endif
  auto cut_short = [&](const std::string& what) {
    if (o.count_given) session(o, target).summary_of_nothing();
    return fail_message("interrupted: " + what + " did not finish");
  };
  connect_options co;
  co.by = deadline::after_seconds(o.timeout);
  co.connected_to = &connected;
  co.prepare = prepare;
  co.stop = [] { return interrupted != 0; };
  auto s = tcp_connect(*eps, co);
  if (!s && s.error() == std::errc::operation_canceled) return cut_short("connect " + target);
  if (!s) return prepare_failure("connect " + target, failed, s.error());
  log_applied(applied);
  std::optional<tls_session> ts;
  if (tf.on) {  // verified against hp.host (or --tls-sni) within --timeout, one line if it fails
    ts = tls_handshake(*s, tf, false, hp.host, connected.to_string(), o.timeout, code, [] { return interrupted != 0; });
    if (!ts && interrupted) return cut_short("TLS handshake with " + connected.to_string());
    if (!ts) return code;
  }
  if (interrupted) return cut_short("connect " + target);  // came in just as the connect finished
  session sess(o, connected.to_string());
  int rc = sess.run(std::move(*s), o.words.empty() ? nullptr : &argv_req, ts ? &*ts : nullptr);
  if (rc == exit_ok && sess.bad_lines()) rc = exit_failure;
  return rc;
}

}  // namespace sockit::cli::proto
