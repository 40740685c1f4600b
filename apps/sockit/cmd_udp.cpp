// sockit udp send / recv: one datagram out and its reply back (from that peer only), or every
// datagram that arrives on a port, printed with its sender as it comes.
#include <chrono>
#include <csignal>
#include <memory>
#include <string>
#include <vector>

#include <unistd.h>

#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include "args.hpp"
#include "commands.hpp"
#include "datagram_output.hpp"
#include "hexdump.hpp"
#include "loopback_pair.hpp"
#include "sockit/error.hpp"
#include "sockit/io.hpp"
#include "sockit/udp.hpp"

namespace sockit::cli {

namespace {

constexpr std::size_t max_datagram = 65536;

std::string_view as_text(std::span<const std::byte> b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

struct send_args {
  std::string target;
  std::string message;
  bool from_stdin = true;  // no MESSAGE given
  double wait = 2.0;
  bool v4 = false, v6 = false;
  bool raw = false;
};

int run_send(const send_args& a, const context& ctx) {
  int code = exit_ok;
  host_port hp;
  // "udp send 127.0.0.1 hi": the host alone is read as a bad port; say what was expected instead.
  bool looks_like_bare_host = a.target.find(':') == std::string::npos && !parse_port(a.target);
  if (looks_like_bare_host) {
    return fail_message("bad target '" + a.target + "': expected HOST:PORT, [v6]:PORT or PORT (e.g. 127.0.0.1:7007)",
                        exit_usage);
  }
  if (!parse_address_arg(a.target, hp, code)) return code;
  // Port 0 means "any" only when binding; as a destination the kernel would refuse it (EINVAL).
  if (hp.port == 0) return fail_message("bad port '0': cannot send to port 0", exit_usage);
  std::string payload = a.message;
  if (a.from_stdin) {
    payload.clear();
    char buf[8192];
    for (;;) {
      auto n = try_read(STDIN_FILENO, std::as_writable_bytes(std::span(buf)));
      if (!n && n.error() == errc::end_of_stream) break;
      if (!n) return fail("read stdin", n.error());
      payload.append(buf, *n);
      if (payload.size() > max_udp_payload_v6) {  // checked against the peer's family below
        return fail_message(fmt::format("udp send: message longer than {} bytes", max_udp_payload_v6), exit_usage);
      }
    }
  }
  resolve_options ro;
  ro.socktype = SOCK_DGRAM;
  ro.family = a.v4 ? ip_family::v4 : a.v6 ? ip_family::v6 : ip_family::any;
  auto addrs = resolve(hp.host, hp.port, ro);
  if (!addrs && code_for(addrs.error()) == exit_usage) return usage_error("bad host", hp.host, addrs.error());
  if (!addrs) return fail("resolve " + (hp.host.empty() ? std::string("localhost") : hp.host), addrs.error());
  if (addrs->empty()) return fail("resolve " + hp.host, make_error_code(errc::no_addresses));
  const endpoint& peer = addrs->front();
  std::string what = "udp " + peer.to_string();
  if (payload.size() > max_udp_payload(peer)) {
    return fail_message(fmt::format("udp send: message of {} bytes is longer than a UDP datagram to {} can carry ({} bytes)",
                                    payload.size(), peer.to_string(), max_udp_payload(peer)),
                        exit_usage);
  }

  // Connected: the kernel drops datagrams from anyone but the peer (a reply from another port or
  // address never reaches us), and an ICMP port unreachable comes back as ECONNREFUSED.
  auto s = udp_connect(peer);
  if (!s) return fail(what, s.error());
  traffic_dumper dump(ctx.hexdump);
  auto by = deadline::after_seconds(a.wait);
  auto sent = send_to(*s, sockit::as_bytes(payload), endpoint{}, by);
  if (!sent) return fail(what + ": send", sent.error());
  dump.sent(payload);
  spdlog::info("sent {} bytes to {}", *sent, peer.to_string());

  auto buf = std::make_unique<std::byte[]>(max_datagram);
  auto d = recv_from(*s, std::span<std::byte>(buf.get(), max_datagram), by);
  if (!d) {
    if (d.error() == std::errc::timed_out) {
      return fail_message(fmt::format("{}: no reply within {} s", what, a.wait), exit_failure);
    }
    return fail(what + ": no reply", d.error());
  }
  std::string_view data = as_text(std::span<const std::byte>(buf.get(), d->size));
  dump.received(data);
  datagram_format f = ctx.json ? datagram_format::json : datagram_format::raw;
  (void)print_datagram(f, d->from, data, d->wire_size);  // a failure: main reports it (output.hpp)
  return exit_ok;
}

struct recv_args {
  std::string address;
  std::uint64_t count = 0;  // 0: no limit
  double wait = -1;         // < 0: no limit
  bool raw = false;
  engine eng = engine::automatic;
};

int run_recv(const recv_args& a, const context& ctx) {
  int code = exit_ok;
  host_port hp;
  if (!parse_address_arg(a.address, hp, code)) return code;
  // Each socket is announced on stderr (stdout carries only datagrams, also with --json): with
  // port 0 or a busy script the user cannot otherwise know where to send.
  bind_function bind = [](const endpoint& e) {
    udp_bind_options bo;
    bo.nonblocking = true;
    return udp_bind(e, bo);
  };
  std::vector<bound_socket> socks;
  if (hp.host.empty()) {  // loopback in both families (loopback_pair.hpp)
    if (int bc = bind_loopback_pair(hp.port, bind, "bind udp", "udp", socks); bc != exit_ok) return bc;
  } else {
    endpoint at;
    if (!parse_bind_address(hp.host, at, code, "address")) return code;
    at.set_port(hp.port);
    auto s = bind(at);
    if (!s) return bind_failure("bind udp " + at.to_string(), s.error(), "choose another, or 0");
    auto local = s->local_endpoint();
    socks.push_back({std::move(*s), local ? *local : at});
    announce_listening(socks.back().at, "udp");
  }

  auto loop_r = event_loop::create(a.eng);
  if (!loop_r) return fail("event loop", loop_r.error());
  auto& loop = **loop_r;
  if (auto ec = loop.on_signals({SIGINT, SIGTERM}, [&loop](int) { loop.stop(); })) return fail("signalfd", ec);

  datagram_format f = ctx.json ? datagram_format::json : a.raw ? datagram_format::raw : datagram_format::labelled;
  traffic_dumper dump(ctx.hexdump);
  auto buf = std::make_unique<std::byte[]>(max_datagram);
  std::uint64_t received = 0;
  int result = exit_ok;
  bool timed_out = false;
  event_loop::timer_id idle = 0;
  auto arm_idle = [&] {
    if (a.wait < 0) return;
    if (idle) loop.cancel(idle);
    // Clamped (at most a year): a cast of 1e300 seconds would overflow the duration.
    idle = loop.run_after(std::chrono::duration_cast<event_loop::duration>(seconds_to_ms(a.wait)), [&] {
                            idle = 0;
                            timed_out = true;
                            loop.stop();
                          });
  };
  // Every socket is watched (127.0.0.1 and ::1 by default); datagrams print as they come on either.
  bool done = false;  // --count reached or stdout failed: a second socket's turn prints nothing more
  auto drain = [&](const socket& s) {
    for (int i = 0; i < 32 && !done; ++i) {
      auto d = try_recv_from(s, std::span<std::byte>(buf.get(), max_datagram));
      if (!d) {
        auto e = d.error();
        if (e == errc::would_block) break;
        spdlog::debug("{}", describe("recvfrom", e));
        continue;
      }
      std::string_view data = as_text(std::span<const std::byte>(buf.get(), d->size));
      dump.received(data);
      if (print_datagram(f, d->from, data, d->wire_size)) {  // stop; main reports it (output.hpp)
        done = true;
        loop.stop();
        return;
      }
      arm_idle();
      if (a.count && ++received >= a.count) {
        done = true;
        loop.stop();
        return;
      }
    }
  };
  for (const auto& b : socks) {
    const socket* s = &b.sock;
    if (auto ec = loop.watch(s->native_handle(), io_readable, [&drain, s](std::uint32_t) { drain(*s); })) {
      return fail("watch", ec);
    }
  }
  arm_idle();
  if (auto rec = loop.run()) return fail("event loop", rec);
  if (result != exit_ok) return result;
  if (timed_out && a.count && received < a.count) {
    return fail_message(fmt::format("udp recv: {} of {} datagrams within {} s of silence", received, a.count, a.wait),
                        exit_failure);
  }
  return exit_ok;
}

}  // namespace

void setup_udp(CLI::App& cmd, context& ctx) {
  cmd.require_subcommand(1);
  cmd.footer(
      "Examples:\n"
      "  sockit udp send 127.0.0.1:7007 hello          # prints the echo\n"
      "  sockit udp recv 5555                          # prints datagrams sent to 127.0.0.1:5555 or [::1]:5555\n"
      "Run 'sockit udp send --help' or 'sockit udp recv --help' for details.");

  auto* send = cmd.add_subcommand("send", "Send one datagram and print the reply (from that peer only)");
  auto sa = std::make_shared<send_args>();
  send->add_option("target", sa->target, "HOST:PORT, [v6]:PORT, or PORT for localhost")->required();
  auto* msg = send->add_option("message", sa->message, "The payload (default: read stdin; up to 65507 bytes over IPv4, 65527 over IPv6)");
  send->add_option("-w,--wait", sa->wait, "Seconds to wait for the reply (fractions allowed)")
      ->check(seconds_check(true))
      ->capture_default_str();
  auto* o4 = send->add_flag("-4,--ipv4", sa->v4, "IPv4 only");
  send->add_flag("-6,--ipv6", sa->v6, "IPv6 only")->excludes(o4);
  send->footer(
      "The reply is written to stdout exactly as received (with --json: one object).\n"
      "Exit 1 when no reply comes within --wait or the port is closed (ICMP port unreachable).\n"
      "Examples:\n"
      "  sockit udp send 127.0.0.1:7007 hello\n"
      "  printf 'time?' | sockit udp send -w 0.5 [::1]:13013\n"
      "  sockit --json udp send localhost:7007 ping");
  send->callback([sa, msg, &ctx] {
    sa->from_stdin = msg->count() == 0;
    ctx.run = [sa, &ctx] { return run_send(*sa, ctx); };
  });

  auto* recv = cmd.add_subcommand("recv", "Print each datagram that arrives, with its sender");
  auto ra = std::make_shared<recv_args>();
  recv->add_option("address", ra->address, "[ADDR:]PORT to bind (default: 127.0.0.1 and ::1, or 127.0.0.1 alone without IPv6)")->required();
  recv->add_option("-c,--count", ra->count, "Exit after N datagrams")->check(int_check(1, no_upper_bound));
  recv->add_option("-w,--wait", ra->wait, "Exit after SECS without a datagram (fractions allowed)")
      ->check(seconds_check(true));
  recv->add_flag("-r,--raw", ra->raw, "Print only the payloads, byte for byte, nothing added");
  add_engine_option(*recv, ra->eng);
  recv->footer(
      "Each datagram is printed as 'FROM: PAYLOAD' (a newline added if the payload lacks one),\n"
      "or with --json one object per line: {\"from\":\"127.0.0.1:5555\",\"size\":5,\"data\":\"hello\"}.\n"
      "Without ADDR it binds 127.0.0.1 and ::1 on the same port (one 'listening on' line each on stderr)\n"
      "and prints what arrives on either; where IPv6 is disabled, 127.0.0.1 alone (a notice says so).\n"
      "Examples:\n"
      "  sockit udp recv 5555\n"
      "  sockit udp recv --count 1 --wait 5 [::1]:5555\n"
      "  sockit --json udp recv 0.0.0.0:5555");
  recv->callback([ra, &ctx] { ctx.run = [ra, &ctx] { return run_recv(*ra, ctx); }; });
}

}  // namespace sockit::cli
