// The stdin <-> socket relay of connect and listen.
#include "netcat_pump.hpp"

#include <charconv>
#include <cmath>
#include <string>
#include <vector>

#include <unistd.h>

#include <csignal>
#include <pthread.h>

#include <spdlog/spdlog.h>

#include "cli.hpp"
#include "stop_signals.hpp"
#include "sockit/error.hpp"
#include "sockit/io.hpp"
#include "sockit/options.hpp"
#include "sockit/udp.hpp"
#include "sockit/wait.hpp"

namespace sockit::cli {

namespace {

// One stdin read becomes one datagram, so read no more than any peer's datagram carries.
constexpr std::size_t max_datagram = max_udp_payload_v4;

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
  const auto idle = opts.idle_seconds > 0 ? std::chrono::milliseconds(static_cast<long long>(
                                                std::min(std::ceil(opts.idle_seconds * 1000.0), 2147483647.0)))
                                          : std::chrono::milliseconds(-1);
  std::vector<char> inbuf(opts.udp ? max_datagram : 65536);
  std::vector<char> netbuf(65536);
  std::string pending;  // read from stdin, not yet sent
  std::size_t pending_off = 0;
  bool shut_wr = false;
  bool net_eof = false;

  // Sends what stdin gave; returns an exit code on a fatal error, -1 otherwise.
  auto flush = [&]() -> int {
    while (pending_off < pending.size()) {
      const char* p = pending.data() + pending_off;
      auto data = as_bytes(std::string_view(p, pending.size() - pending_off));
      auto n = reply_to ? try_send_to(*out, data, *reply_to) : try_send(*out, data);
      if (!n) {
        if (n.error() == errc::would_block) return -1;
        return fail("send to " + (reply_to ? reply_to->to_string() : opts.peer_name), n.error());
      }
      dump_.sent(std::string_view(p, *n));
      pending_off += *n;
    }
    pending.clear();
    pending_off = 0;
    return -1;
  };

  sigset_t run_mask;
  ::pthread_sigmask(SIG_SETMASK, nullptr, &run_mask);
  for (;;) {
    if (stop_requested()) {
      spdlog::info("interrupted: closing the connection to {}", opts.peer_name);
      return exit_ok;
    }
    const bool out_done = stdin_eof_ && pending.empty();
    if (out_done && !opts.udp && !shut_wr) {
      // Tell the peer we are done sending; it may still answer (half-close).
      if (auto ec = s.shutdown(shutdown_how::write); ec && ec != std::errc::not_connected) {
        return fail("shutdown " + opts.peer_name, ec);
      }
      shut_wr = true;
      spdlog::debug("stdin done: half-closed the connection to {}", opts.peer_name);
    }
    if (opts.udp && out_done && opts.udp_exit_on_stdin_eof) return exit_ok;
    if (!opts.udp && net_eof && (shut_wr || interactive)) return exit_ok;

    const socket* socks[3] = {nullptr, &s, also};
    wait_entry fds[3] = {};
    fds[0].fd = (!stdin_eof_ && pending.empty()) ? STDIN_FILENO : -1;  // a negative fd is skipped
    fds[0].want = wait_entry::readable;
    for (int k = 1; k < 3; ++k) {
      if (!socks[k]) continue;
      fds[k].fd = socks[k]->native_handle();
      fds[k].want = (net_eof ? 0 : wait_entry::readable) | (pending.empty() || socks[k] != out ? 0 : wait_entry::writable);
    }
    // With the thread's own mask, so the wait hands an interrupting signal back (see above).
    auto rc = wait_any(fds, idle.count() < 0 ? deadline::never() : deadline::after(idle), &run_mask);
    if (!rc && rc.error() == std::errc::interrupted) continue;
    if (!rc) return fail("poll", rc.error());
    if (*rc == 0) {
      spdlog::info("idle for {} s: closing the connection to {}", opts.idle_seconds, opts.peer_name);
      return exit_ok;
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
      if (ec && ec != errc::would_block && ec != errc::end_of_stream) {
        return fail((opts.udp ? "receive from " : "recv from ") + opts.peer_name, ec);
      }
      if (ec == errc::end_of_stream) {
        net_eof = true;
        spdlog::debug("{} closed its side", opts.peer_name);
      } else if (!ec) {
        std::string_view data(netbuf.data(), got);
        dump_.received(data);
        // Stdout failed: stop as at EOF; main reports it by the one stdout rule (output.hpp).
        if (write_out(data)) return exit_ok;
      }
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
      auto n = try_read(STDIN_FILENO, std::as_writable_bytes(std::span(inbuf)));
      if (!n && n.error() == errc::end_of_stream) {
        stdin_eof_ = true;
        spdlog::debug("stdin: end of file");
      } else if (!n) {
        if (n.error() != errc::would_block) return fail("read stdin", n.error());
      } else {
        pending.assign(inbuf.data(), *n);
        if (int code = flush(); code >= 0) return code;
      }
    }
  }
}

}  // namespace sockit::cli
