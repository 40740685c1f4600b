// listen --unix-dgram's relay (see unix_datagram_relay.hpp).
#include "unix_datagram_relay.hpp"

#include <csignal>
#include <string>
#include <vector>

#include <unistd.h>

#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include "cli.hpp"
#include "output.hpp"
#include "stdin_port.hpp"
#include "stop_signals.hpp"
#include "sockit/error.hpp"
#include "sockit/io.hpp"
#include "sockit/options.hpp"
#include "sockit/wait.hpp"

namespace sockit::cli {

namespace {

// listen -k --unix-dgram: datagrams from anyone, stdin to the latest sender with an address.
int relay_any(const socket& s, const unix_address& at, const pump_options& po, traffic_dumper& dump,
              std::optional<unix_address> reply_to) {
  defer_stop(true);
  struct undefer {
    ~undefer() { defer_stop(false); }
  } undefer_at_exit;
  if (auto ec = set_nonblocking(s, true)) return fail("set non-blocking", ec);
  const sigset_t run_mask = thread_signal_mask();
  std::vector<std::byte> netbuf(1 << 16), inbuf(1 << 16);
  std::string pending;
  bool stdin_eof = po.recv_only;
  for (;;) {
    if (stop_requested()) {
      spdlog::info("interrupted: closing {}", at.to_string());
      return exit_ok;
    }
    wait_entry w[2] = {};
    w[0].fd = (!stdin_eof && pending.empty() && reply_to) ? stdin_wait_fd() : -1;
    w[0].want = wait_entry::readable;
    w[1].fd = s.native_handle();
    w[1].want = wait_entry::readable | (pending.empty() ? 0 : wait_entry::writable);
    auto rc = wait_any(w, deadline::never(), &run_mask);
    if (!rc && rc.error() == std::errc::interrupted) continue;
    if (!rc) return fail("poll", rc.error());
    if (w[1].ready & (wait_entry::readable | wait_entry::error)) {
      auto d = try_unix_recv_from(s, netbuf);
      if (d) {
        std::string_view data(reinterpret_cast<const char*>(netbuf.data()), d->size);
        dump.received(data);
        if (!d->from.is_unnamed() && (!reply_to || !(*reply_to == d->from))) {
          spdlog::info("replies now go to {}", d->from.to_string());
          reply_to = d->from;
        }
        if (!po.send_only && write_out(data)) return exit_ok;  // main reports stdout's error
      } else if (d.error() != errc::would_block) {
        return fail("receive on " + at.to_string(), d.error());
      }
    }
    if (!pending.empty() && (w[1].ready & (wait_entry::writable | wait_entry::error))) {
      auto n = try_unix_send_to(s, as_bytes(std::string_view(pending)), *reply_to);
      if (n) {
        dump.sent(pending);
        pending.clear();
      } else if (n.error() != errc::would_block) {
        // The sender went away (its socket closed): say so and drop the datagram, as UDP would.
        spdlog::warn("{}", describe("send to " + reply_to->to_string(), n.error()));
        pending.clear();
      }
    }
    if (w[0].fd >= 0 && w[0].ready) {
      auto n = read_stdin(inbuf);
      if ((w[0].ready & wait_entry::invalid) || (!n && n.error() == errc::end_of_stream)) {
        stdin_eof = true;
        if (po.udp_exit_on_stdin_eof || po.send_only) return exit_ok;
      } else if (!n && n.error() != errc::would_block) {
        return fail("read stdin", n.error());
      } else if (n) {
        pending.assign(reinterpret_cast<const char*>(inbuf.data()), *n);
      }
    }
  }
}

}  // namespace

int run_unix_datagrams(const socket& s, const unix_address& at, bool keep_open, pump_options po,
                       traffic_dumper& dump) {
  po.udp = true;
  // The first datagram names the peer; stdin is not read before it.
  std::vector<std::byte> buf(1 << 16);
  if (auto ec = wait_readable(s.native_handle(), deadline::never())) return fail("wait", ec);
  auto d = try_unix_recv_from(s, buf);
  if (!d) return fail("receive on " + at.to_string(), d.error());
  spdlog::info("datagram from {}", d->from.to_string());
  std::string_view first(reinterpret_cast<const char*>(buf.data()), d->size);
  dump.received(first);
  if (!po.send_only && write_out(first)) return exit_ok;  // main reports it (output.hpp)
  if (keep_open) {
    return relay_any(s, at, po, dump, d->from.is_unnamed() ? std::nullopt : std::optional(d->from));
  }
  netcat_pump pump(dump);
  if (d->from.is_unnamed()) {
    // Nobody to answer: print what comes, from anyone, and leave stdin alone.
    notice(fmt::format("{}: the sender has no address (it never bound): replies cannot reach it, printing only",
                       at.to_string()));
    po.recv_only = true;
    po.peer_name = at.to_string();
    return pump.run(s, po);
  }
  // One peer: the kernel now refuses datagrams from anyone else (EPERM for them), as for UDP.
  if (auto ec = unix_connect(s, d->from)) return fail("connect to " + d->from.to_string(), ec);
  po.peer_name = d->from.to_string();
  return pump.run(s, po);
}

}  // namespace sockit::cli
