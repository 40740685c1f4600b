// The stdin <-> socket relay of connect and listen.
#include "netcat_pump.hpp"

#include <charconv>
#include <chrono>
#include <optional>
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include <unistd.h>

#include <csignal>

#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include "cli.hpp"
#include "output.hpp"
#include "stop_signals.hpp"
#include "stdin_port.hpp"
#include "sockit/buffer.hpp"
#include "sockit/error.hpp"
#include "sockit/io.hpp"
#include "sockit/options.hpp"
#include "sockit/udp.hpp"
#include "sockit/wait.hpp"

namespace sockit::cli {

namespace {

// One stdin read becomes one datagram, so read no more than any peer's datagram carries.
constexpr std::size_t max_datagram = max_udp_payload_v4;

// A limit in seconds (<= 0: none) as a duration; a positive value never rounds down to none.
std::optional<std::chrono::milliseconds> limit(double seconds) {
  if (!(seconds > 0)) return std::nullopt;
  return std::chrono::milliseconds(static_cast<long long>(std::max(1.0, std::min(std::ceil(seconds * 1000.0), 1e15))));
}

// -C: LF -> CRLF, leaving a CRLF that is there alone; `last_cr` carries the previous read's last byte.
void to_crlf(std::string& data, bool& last_cr) {
  std::string out;
  out.reserve(data.size() + data.size() / 8);
  for (char c : data) {
    if (c == '\n' && !last_cr) out += '\r';
    out += c;
    last_cr = c == '\r';
  }
  data = std::move(out);
}

}  // namespace

int netcat_pump::run(const socket& s, const pump_options& opts) { return relay(s, opts, nullptr); }

int netcat_pump::run_udp_any(const socket& s, endpoint peer, const pump_options& opts, const socket* also) {
  return relay(s, opts, &peer, also);
}

// One wait_any loop over stdin and the socket. Stdin is only read when what it gave last has gone
// out, so a slow peer slows the reader instead of growing a buffer; stdout is written with
// blocking write(2) straight away (no stdio buffering), so a pipe sees each chunk as it arrives.
//
// When does it end?  TCP: once both inputs are done (stdin at EOF with its bytes sent and our side
// half-closed, and the peer's EOF seen): a peer that half-closes early still gets all of our
// stdin, which `connect < /dev/null` against `listen < file` needs. An interactive stdin (a
// terminal) ends the session as soon as the peer closes, as nc -l does. UDP has no EOF: it ends on
// the idle timeout, at stdin EOF with -N, or on an error.
//
// A first SIGINT/SIGTERM (stop_signals.hpp) ends the session as at EOF, exit 0: the wait is
// interrupted and the loop's first check sees it, so the wait below is given the thread's mask
// (wait_any then reports the interruption instead of retrying). A signal landing between that
// check and the wait waits for the next event; a second signal exits 130 anyway.
int netcat_pump::relay(const socket& s, const pump_options& opts, endpoint* reply_to, const socket* also) {
  defer_stop(true);
  struct undefer {
    ~undefer() { defer_stop(false); }
  } undefer_at_exit;
  if (auto ec = set_nonblocking(s, true)) return fail("set non-blocking", ec);
  if (also) {
    if (auto ec = set_nonblocking(*also, true)) return fail("set non-blocking", ec);
  }
  // Where stdin goes: `s`, or (UDP with two sockets) the one the latest sender reached.
  const socket* out = &s;
  const bool interactive = ::isatty(STDIN_FILENO) == 1;
  using clock = std::chrono::steady_clock;
  const auto idle = limit(opts.idle_seconds), recv_limit = limit(opts.recv_timeout),
             send_limit = limit(opts.send_timeout), line_gap = limit(opts.line_interval);
  // -q: negative when not given (an optional here draws a false -Wmaybe-uninitialized from g++ 12).
  const auto quit_wait = opts.quit_after_eof < 0 ? std::chrono::milliseconds(-1)
                                                 : limit(opts.quit_after_eof).value_or(std::chrono::milliseconds(0));
  const bool quit_set = quit_wait.count() >= 0;
  // -i: no line leaves before this; -q: when stdin's bytes were all out.
  clock::time_point next_line = clock::time_point::min(), out_done_at = clock::time_point::max();
  // When something last happened, arrived from the peer, and left for it (or started waiting to).
  clock::time_point last_event = clock::now(), last_recv = last_event, last_sent = last_event;
  std::vector<char> inbuf(opts.udp ? max_datagram : 65536);
  std::vector<char> netbuf(65536);
  std::string pending;  // read from stdin, not yet sent
  std::size_t pending_off = 0;
  bool shut_wr = false;
  bool net_eof = false;
  tls_session* const tls = opts.udp ? nullptr : opts.tls;
  buffer cipher_out;           // TLS: encrypted, not yet taken by the socket
  bool tls_buffered = tls;     // TLS: the session may hold plaintext no socket wake-up will announce
  std::vector<std::byte> plain(tls ? 16 * 1024 : 0);
  // TLS: sends what the session has encrypted; an error or {}.
  auto flush_cipher = [&]() -> std::error_code {
    (void)tls->take_output(cipher_out);
    while (!cipher_out.empty()) {
      auto n = try_send(s, cipher_out.readable());
      if (!n) return n.error() == errc::would_block ? std::error_code{} : n.error();
      cipher_out.consume(*n);
      if (*n > 0) last_sent = clock::now();  // --send-timeout: the peer takes what we encrypted
    }
    cipher_out.release_if_empty();
    return {};
  };
  // Whatever way the session ends, a TLS peer hears close_notify (best effort: never waits).
  struct tls_goodbye {
    tls_session* t;
    const std::function<std::error_code()>* flush;
    ~tls_goodbye() {
      if (t && !t->close_notify_sent()) {
        t->close_notify();
        (void)(*flush)();
      }
    }
  };
  const std::function<std::error_code()> flush_fn = flush_cipher;
  tls_goodbye goodbye{tls, &flush_fn};

  // Sends what stdin gave; returns an exit code on a fatal error, -1 otherwise.
  auto flush = [&]() -> int {
    while (pending_off < pending.size()) {
      const char* p = pending.data() + pending_off;
      std::size_t len = pending.size() - pending_off;
      if (line_gap) {  // -i: one line (or the rest of one) per interval
        if (clock::now() < next_line) return -1;
        auto nl = std::string_view(p, len).find('\n');
        if (nl != std::string_view::npos) len = nl + 1;
      }
      auto data = as_bytes(std::string_view(p, len));
      result<std::size_t> n = std::size_t{0};
      if (tls) {  // all of it is encrypted at once; the socket takes the ciphertext as it can
        if (!cipher_out.empty()) return -1;
        if (auto ec = tls->write(data)) return fail("send to " + opts.peer_name, ec);
        if (auto ec = flush_cipher()) return fail("send to " + opts.peer_name, ec);
        n = len;
      } else {
        n = reply_to ? try_send_to(*out, data, *reply_to) : try_send(*out, data);
      }
      if (!n) {
        if (n.error() == errc::would_block) return -1;
        return fail("send to " + (reply_to ? reply_to->to_string() : opts.peer_name), n.error());
      }
      dump_.sent(std::string_view(p, *n));
      pending_off += *n;
      if (*n > 0) last_sent = clock::now();
      if (line_gap && *n == len && p[len - 1] == '\n') next_line = last_sent + *line_gap;
    }
    pending.clear();
    pending_off = 0;
    return -1;
  };

  // Stdout is written blocking, yet a write that blocks (nobody reads it) still gives way to the
  // first Ctrl+C and to -w (nothing moved for SECS; a byte stdout took counts as a move). Returns
  // an exit code, or -1 to go on; a stdout that failed ends the session as at EOF (main reports
  // it, output.hpp).
  auto put_out = [&](std::string_view data) -> int {
    auto ec = write_out_interruptibly(data, [&](bool progressed) {
      const auto now = clock::now();
      if (progressed) last_event = now;
      return !stop_requested() && !(idle && now - last_event >= *idle);
    });
    if (!ec) return -1;
    if (ec != std::errc::interrupted) return exit_ok;
    if (stop_requested()) {
      spdlog::info("interrupted: closing the connection to {}", opts.peer_name);
    } else {
      spdlog::info("idle for {} s (stdout took nothing): closing the connection to {}", opts.idle_seconds, opts.peer_name);
    }
    return exit_ok;
  };

  // TLS: hands the plaintext the session holds to stdout; the peer's close_notify is its EOF.
  // Returns an exit code, or -1 to go on.
  auto drain_tls = [&]() -> int {
    while (!net_eof) {
      auto n = tls->read(plain);
      if (!n && n.error() == errc::would_block) break;
      if (!n && n.error() == errc::end_of_stream) {
        net_eof = true;
        spdlog::debug("{} closed its side (close_notify)", opts.peer_name);
        break;
      }
      if (!n) return fail("recv from " + opts.peer_name, n.error());
      std::string_view data(reinterpret_cast<const char*>(plain.data()), *n);
      dump_.received(data);
      if (opts.send_only) continue;
      if (int code = put_out(data); code >= 0) return code;
    }
    // Reading may have made something to send (a key update's answer).
    if (auto ec = flush_cipher()) return fail("send to " + opts.peer_name, ec);
    return -1;
  };

  const sigset_t run_mask = thread_signal_mask();
  for (;;) {
    if (stop_requested()) {
      spdlog::info("interrupted: closing the connection to {}", opts.peer_name);
      return exit_ok;
    }
    if (tls_buffered) {  // records that came with the handshake's last bytes
      tls_buffered = false;
      if (int code = drain_tls(); code >= 0) return code;
    }
    const bool out_done = (stdin_eof_ || opts.recv_only) && pending.empty() && cipher_out.empty();
    if (out_done && !opts.recv_only && out_done_at == clock::time_point::max()) out_done_at = clock::now();
    if (out_done && !opts.udp && !shut_wr && !opts.recv_only) {
      // Tell the peer we are done sending; it may still answer (half-close). TLS: close_notify first.
      if (tls) {
        tls->close_notify();
        if (auto ec = flush_cipher()) return fail("send to " + opts.peer_name, ec);
        if (!cipher_out.empty()) continue;  // FIN once the alert is out (the socket is watched for it)
      }
      if (auto ec = s.shutdown(shutdown_how::write); ec && ec != std::errc::not_connected) {
        return fail("shutdown " + opts.peer_name, ec);
      }
      shut_wr = true;
      spdlog::debug("stdin done: half-closed the connection to {}", opts.peer_name);
    }
    if (opts.udp && out_done && !opts.recv_only && (opts.udp_exit_on_stdin_eof || opts.send_only)) return exit_ok;
    if (!opts.udp && net_eof && (shut_wr || interactive || opts.recv_only)) return exit_ok;
    if (opts.send_only && shut_wr) return exit_ok;  // ncat --send-only: done at stdin's EOF
    if (quit_set && clock::now() - out_done_at >= quit_wait) {
      spdlog::info("{} s after stdin's end (-q): closing the connection to {}", opts.quit_after_eof, opts.peer_name);
      return exit_ok;
    }

    const socket* socks[3] = {nullptr, &s, also};
    wait_entry fds[3] = {};
    fds[0].fd = (!stdin_eof_ && !opts.recv_only && pending.empty() && cipher_out.empty()) ? stdin_wait_fd() : -1;  // < 0: skipped
    const bool gated = line_gap && !pending.empty() && clock::now() < next_line;
    fds[0].want = wait_entry::readable;
    for (int k = 1; k < 3; ++k) {
      if (!socks[k]) continue;
      fds[k].fd = socks[k]->native_handle();
      fds[k].want = (net_eof ? 0 : wait_entry::readable) |
                    (pending.empty() || gated || socks[k] != out ? 0 : wait_entry::writable) |
                    (cipher_out.empty() ? 0 : wait_entry::writable);
    }
    // With the thread's own mask, so the wait hands an interrupting signal back (see above).
    // Wake for the nearest of the limits that can run out now.
    const bool recv_armed = recv_limit && !net_eof, send_armed = send_limit && ((!pending.empty() && !gated) || !cipher_out.empty());
    if (gated) last_sent = std::max(last_sent, next_line);  // -i's pause is not the peer's stall
    auto until = clock::time_point::max();
    if (idle) until = last_event + *idle;
    if (gated) until = std::min(until, next_line);
    if (quit_set && out_done_at != clock::time_point::max()) until = std::min(until, out_done_at + quit_wait);
    if (recv_armed) until = std::min(until, last_recv + *recv_limit);
    if (send_armed) until = std::min(until, last_sent + *send_limit);
    auto rc = wait_any(fds, until == clock::time_point::max() ? deadline::never() : deadline::at(until), &run_mask);
    if (!rc && rc.error() == std::errc::interrupted) continue;
    if (!rc) return fail("poll", rc.error());
    const auto now = clock::now();
    if (*rc > 0) last_event = now;
    // Data that is ready now still counts: a timeout fires only on a wait that found nothing.
    if (*rc == 0 && recv_armed && now - last_recv >= *recv_limit) {
      return fail_message(fmt::format("recv from {}: nothing received for {} s (--recv-timeout)", opts.peer_name,
                                      opts.recv_timeout));
    }
    if (*rc == 0 && send_armed && now - last_sent >= *send_limit) {
      return fail_message(fmt::format("send to {}: the peer took nothing for {} s (--send-timeout)", opts.peer_name,
                                      opts.send_timeout));
    }
    if (*rc == 0 && idle && now - last_event >= *idle) {
      spdlog::info("idle for {} s: closing the connection to {}", opts.idle_seconds, opts.peer_name);
      return exit_ok;
    }
    if (*rc == 0) {
      if (gated && now >= next_line) {
        if (int code = flush(); code >= 0) return code;
      }
      continue;
    }

    // The socket first, so replies keep flowing while stdin floods us.
    constexpr unsigned in_or_down = wait_entry::readable | wait_entry::error | wait_entry::hangup;
    for (int k = 1; k < 3; ++k) {
      if (net_eof || !(fds[k].ready & in_or_down)) continue;
      const socket& sk = *socks[k];
      auto buf = std::as_writable_bytes(std::span(netbuf));
      std::size_t got = 0;
      std::error_code ec;
      if (opts.udp) {  // an empty datagram is a datagram, not an EOF
        auto d = try_recv_from(sk, buf);
        if (d) {
          got = d->size;
          if (reply_to && !d->from.empty() && (!(d->from == *reply_to) || out != &sk)) {
            spdlog::info("replies now go to {}", d->from.to_string());
            *reply_to = d->from;
            out = &sk;
          }
        } else {
          ec = d.error();
        }
      } else {
        auto n = try_recv(sk, buf);
        if (n) got = *n; else ec = n.error();
      }
      if (!ec) last_recv = now;
      if (ec && ec != errc::would_block && ec != errc::end_of_stream) {
        return fail((opts.udp ? "receive from " : "recv from ") + opts.peer_name, ec);
      }
      if (ec == errc::end_of_stream) {
        net_eof = true;
        if (tls && !tls->close_notify_received()) {
          spdlog::info("{} closed the connection without close_notify (what came may be truncated)", opts.peer_name);
        } else {
          spdlog::debug("{} closed its side", opts.peer_name);
        }
      } else if (!ec && tls) {
        if (auto fec = tls->feed(std::as_bytes(std::span(netbuf).first(got)))) return fail("recv from " + opts.peer_name, fec);
        if (int code = drain_tls(); code >= 0) return code;
      } else if (!ec) {
        std::string_view data(netbuf.data(), got);
        dump_.received(data);
        if (opts.send_only) continue;  // read so the peer is not stalled, and dropped
        // Stdout failed: stop as at EOF; main reports it by the one stdout rule (output.hpp).
        if (int code = put_out(data); code >= 0) return code;
      }
    }

    if (tls && !cipher_out.empty() && (fds[1].ready & (wait_entry::writable | wait_entry::error | wait_entry::hangup))) {
      if (auto ec = flush_cipher()) return fail("send to " + opts.peer_name, ec);
    }
    const wait_entry& out_ready = fds[out == &s ? 1 : 2];
    if (!pending.empty() && (out_ready.ready & (wait_entry::writable | wait_entry::error | wait_entry::hangup))) {
      if (int code = flush(); code >= 0) return code;
    }

    if (fds[0].fd >= 0 && fds[0].ready) {
      if (fds[0].ready & wait_entry::invalid) {  // stdin is closed: nothing to send
        stdin_eof_ = true;
        continue;
      }
      // -C may double a read (every byte an LF): read half as much where one read is one datagram.
      auto room = std::span(inbuf).first(opts.crlf && opts.udp ? inbuf.size() / 2 : inbuf.size());
      auto n = read_stdin(std::as_writable_bytes(room));
      if (!n && n.error() == errc::end_of_stream) {
        stdin_eof_ = true;
        spdlog::debug("stdin: end of file");
      } else if (!n) {
        if (n.error() != errc::would_block) return fail("read stdin", n.error());
      } else {
        pending.assign(inbuf.data(), *n);
        if (opts.crlf) to_crlf(pending, last_was_cr_);
        last_sent = now;  // the send limit counts from here
        if (int code = flush(); code >= 0) return code;
      }
    }
  }
}

}  // namespace sockit::cli
