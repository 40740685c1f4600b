// The stdin <-> socket relay of connect and listen.
#include "netcat_pump.hpp"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <string>
#include <vector>

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include "cli.hpp"
#include "stop_signals.hpp"
#include "sockit/error.hpp"
#include "sockit/options.hpp"
#include "sockit/udp.hpp"

namespace sockit::cli {

bool parse_port_arg(std::string_view text, std::uint16_t& port, int& exit) {
  auto p = parse_port(text);
  if (!p) {
    exit = usage_error("bad port", text, p.error());
    return false;
  }
  port = *p;
  return true;
}

bool check_host_arg(std::string& host, int& exit) {
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  bool bad = host.empty();
  // numeric() never asks a resolver: a name fails with a resolver error, only text that must have
  // been an address (and is not one) fails with bad_host.
  if (!bad) {
    auto e = endpoint::numeric(host, 0);
    bad = !e && e.error() == make_error_code(errc::bad_host);
  }
  if (bad) {
    exit = fail_message("bad host '" + host + "': expected a host name, an IPv4 address or an IPv6 address",
                        exit_usage);
    return false;
  }
  return true;
}

namespace {

bool would_block(int err) { return err == EAGAIN || err == EWOULDBLOCK || err == EINTR; }

// One stdin read becomes one datagram, so read no more than any peer's datagram carries.
constexpr std::size_t max_datagram = max_udp_payload_v4;

}  // namespace

int netcat_pump::run(const socket& s, const pump_options& opts) { return relay(s, opts, nullptr); }

int netcat_pump::run_udp_any(const socket& s, endpoint peer, const pump_options& opts) {
  return relay(s, opts, &peer);
}

// One poll(2) loop over stdin and the socket. Stdin is only read when what it gave last has gone
// out, so a slow peer slows the reader instead of growing a buffer; stdout is written with
// blocking write(2) straight away (no stdio buffering), so a pipe sees each chunk as it arrives.
//
// When does it end?  TCP: once both inputs are done (stdin at EOF with its bytes sent and our side
// half-closed, and the peer's EOF seen): a peer that half-closes early still gets all of our
// stdin, which `connect < /dev/null` against `listen < file` needs. An interactive stdin (a
// terminal) ends the session as soon as the peer closes, as nc -l does. UDP has no EOF: it ends on
// the idle timeout, at stdin EOF with -N, or on an error.
//
// A first SIGINT/SIGTERM (stop_signals.hpp) ends the session as at EOF, exit 0: poll returns
// EINTR and the loop's first check sees it, so the wait below must hand EINTR back rather than
// retry it. A signal landing between that check and poll waits for the next event; a second
// signal exits 130 anyway.
int netcat_pump::relay(const socket& s, const pump_options& opts, endpoint* reply_to) {
  defer_stop(true);
  struct undefer {
    ~undefer() { defer_stop(false); }
  } undefer_at_exit;
  if (auto ec = set_nonblocking(s, true)) return fail("set non-blocking", ec);
  const int fd = s.native_handle();
  const bool interactive = ::isatty(STDIN_FILENO) == 1;
  const int idle_ms =
      opts.idle_seconds > 0 ? static_cast<int>(std::min(std::ceil(opts.idle_seconds * 1000.0), 2147483647.0)) : -1;
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
      std::size_t len = pending.size() - pending_off;
      ssize_t n = reply_to ? ::sendto(fd, p, len, MSG_NOSIGNAL, reply_to->data(), reply_to->size())
                           : ::send(fd, p, len, MSG_NOSIGNAL);
      if (n < 0) {
        if (would_block(errno)) return -1;
        return fail("send to " + (reply_to ? reply_to->to_string() : opts.peer_name), last_error());
      }
      dump_.sent(std::string_view(p, static_cast<std::size_t>(n)));
      pending_off += static_cast<std::size_t>(n);
    }
    pending.clear();
    pending_off = 0;
    return -1;
  };

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

    pollfd fds[2] = {};
    fds[0].fd = (!stdin_eof_ && pending.empty()) ? STDIN_FILENO : -1;  // poll skips negative fds
    fds[0].events = POLLIN;
    fds[1].fd = fd;
    fds[1].events = static_cast<short>((net_eof ? 0 : POLLIN) | (pending.empty() ? 0 : POLLOUT));
    int rc = ::poll(fds, 2, idle_ms);
    if (rc < 0) {
      if (errno == EINTR) continue;
      return fail("poll", last_error());
    }
    if (rc == 0) {
      spdlog::info("idle for {} s: closing the connection to {}", opts.idle_seconds, opts.peer_name);
      return exit_ok;
    }

    // The socket first, so replies keep flowing while stdin floods us.
    if (!net_eof && (fds[1].revents & (POLLIN | POLLERR | POLLHUP))) {
      sockaddr_storage from{};
      socklen_t from_len = sizeof from;
      ssize_t n = reply_to ? ::recvfrom(fd, netbuf.data(), netbuf.size(), 0, reinterpret_cast<sockaddr*>(&from), &from_len)
                           : ::recv(fd, netbuf.data(), netbuf.size(), 0);
      if (n < 0 && !would_block(errno)) {
        return fail((opts.udp ? "receive from " : "recv from ") + opts.peer_name, last_error());
      }
      if (n == 0 && !opts.udp) {
        net_eof = true;
        spdlog::debug("{} closed its side", opts.peer_name);
      } else if (n >= 0) {  // an empty datagram is a datagram, not an EOF
        if (reply_to) {
          if (auto e = endpoint::from_sockaddr(reinterpret_cast<sockaddr*>(&from), from_len); e && !(*e == *reply_to)) {
            spdlog::info("replies now go to {}", e->to_string());
            *reply_to = *e;
          }
        }
        std::string_view data(netbuf.data(), static_cast<std::size_t>(n));
        dump_.received(data);
        // Stdout failed: stop as at EOF; main reports it by the one stdout rule (output.hpp).
        if (write_out(data)) return exit_ok;
      }
    }

    if (!pending.empty() && (fds[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
      if (int code = flush(); code >= 0) return code;
    }

    if (fds[0].fd >= 0 && fds[0].revents) {
      if (fds[0].revents & POLLNVAL) {  // stdin is closed: nothing to send
        stdin_eof_ = true;
        continue;
      }
      ssize_t n = ::read(STDIN_FILENO, inbuf.data(), inbuf.size());
      if (n < 0) {
        if (!would_block(errno)) return fail("read stdin", last_error());
      } else if (n == 0) {
        stdin_eof_ = true;
        spdlog::debug("stdin: end of file");
      } else {
        pending.assign(inbuf.data(), static_cast<std::size_t>(n));
        if (int code = flush(); code >= 0) return code;
      }
    }
  }
}

}  // namespace sockit::cli
