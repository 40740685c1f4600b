// sockit udp send / recv: one datagram out and its reply back (from that peer only), or a
// broadcast and every reply that comes back within --wait; or every datagram that arrives on a
// port, printed with its sender as it comes.
#include <chrono>
#include <csignal>
#include <memory>
#include <string>
#include <vector>

#include <unistd.h>

#include <fmt/core.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "args.hpp"
#include "commands.hpp"
#include "datagram_output.hpp"
#include "hexdump.hpp"
#include "loopback_pair.hpp"
#include "socket_flags.hpp"
#include "stdin_port.hpp"
#include "sockit/error.hpp"
#include "sockit/interfaces.hpp"
#include "sockit/multicast.hpp"
#include "sockit/io.hpp"
#include "sockit/options.hpp"
#include "sockit/udp.hpp"
#include "sockit/wait.hpp"
#include "stop_signals.hpp"

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
  bool broadcast = false;
  std::string iface;  // --iface: SO_BINDTODEVICE (with --broadcast)
  bool dont_fragment = false;
  socket_flags sock;  // checked by run_send
};

// What a broadcast address is, for the line that asks for --broadcast: "" when `peer` is none
// this machine can tell (a directed broadcast to a subnet it is not on looks like any address).
std::string broadcast_kind(const endpoint& peer, const std::vector<network_interface>* interfaces) {
  if (is_limited_broadcast(peer)) return "the limited broadcast address";
  if (interfaces) {
    if (const auto* owner = broadcast_owner(*interfaces, peer)) return "the broadcast address of " + owner->name + "'s subnet";
  }
  return "";
}

// EMSGSIZE from a send, or from the reply wait once a router's ICMP "fragmentation needed" came
// back, in one line naming the size and the limit: the path MTU the kernel knows for a connected
// socket, else `mtu_hint` (the interface's), else none.
int too_large(std::string_view what, std::size_t size, const socket& s, bool v6, int mtu_hint, bool dont_fragment,
              std::error_code ec) {
  auto known = path_mtu(s);
  int mtu = known ? *known : mtu_hint;
  std::string why = dont_fragment ? ", and --dont-fragment forbids fragments" : "";
  if (mtu > 0) {
    int headers = v6 ? 48 : 28;  // IP (20 or 40) and UDP (8)
    return fail_message(fmt::format("{}: datagram of {} bytes is larger than the path allows: MTU {} leaves at most {} "
                                    "bytes per datagram{} ({})",
                                    what, size, mtu, mtu > headers ? mtu - headers : 0, why,
                                    errno_name(ec.value())),
                        exit_failure);
  }
  return fail_message(fmt::format("{}: datagram of {} bytes is larger than the path allows{} ({})", what, size, why,
                                  errno_name(ec.value())),
                      exit_failure);
}

int run_unicast(const send_args& a, const context& ctx, const endpoint& peer, const std::string& payload) {
  std::string what = "udp " + peer.to_string();
  // A broadcast address without --broadcast: say so before the kernel says EACCES.
  result<std::vector<network_interface>> interfaces = std::errc::address_family_not_supported;
  if (peer.is_v4()) interfaces = list_interfaces();
  if (auto kind = broadcast_kind(peer, interfaces ? &*interfaces : nullptr); !kind.empty()) {
    return fail_message(fmt::format("{} is {}: add --broadcast to send to it (and collect every reply)",
                                    peer.address(), kind),
                        exit_usage);
  }
  // Connected: the kernel drops datagrams from anyone but the peer (a reply from another port or
  // address never reaches us), and an ICMP port unreachable comes back as ECONNREFUSED.
  std::vector<applied_option> applied;
  std::string failed;
  socket_prepare prepare;
  if (!no_socket_flags(a.sock)) prepare = socket_preparer(a.sock, false, applied, failed);
  auto s = udp_connect(peer, prepare);
  if (!s && !failed.empty()) return prepare_failure(what, failed, s.error());
  log_applied(applied);
  if (!s && s.error() == std::errc::permission_denied) {
    // The route says broadcast (a subnet's broadcast address the list above did not show).
    return fail_message(fmt::format("{}: {} is a broadcast address here: add --broadcast to send to it ({})", what,
                                    peer.address(), errno_name(s.error().value())),
                        exit_usage);
  }
  if (!s) return fail(what, s.error());
  if (a.dont_fragment) {
    if (auto ec = set_dont_fragment(*s, true)) return fail(what + ": --dont-fragment", ec);
  }
  traffic_dumper dump(ctx.hexdump);
  auto sent = send_to(*s, sockit::as_bytes(payload), endpoint{}, deadline::after_seconds(std::max(a.wait, 1.0)));
  if (!sent && sent.error() == std::errc::message_size) {
    return too_large(what, payload.size(), *s, peer.is_v6(), 0, a.dont_fragment, sent.error());
  }
  if (!sent) return fail(what + ": send", sent.error());
  dump.sent(payload);
  spdlog::info("sent {} bytes to {}", *sent, peer.to_string());
  if (a.wait == 0) return exit_ok;  // --wait 0: send only

  auto by = deadline::after_seconds(a.wait);

  auto buf = std::make_unique<std::byte[]>(max_datagram);
  auto d = recv_from(*s, std::span<std::byte>(buf.get(), max_datagram), by);
  if (!d) {
    if (d.error() == std::errc::timed_out) {
      return fail_message(fmt::format("{}: no reply within {} s", what, a.wait), exit_failure);
    }
    if (d.error() == std::errc::message_size) {  // a router on the way sent "fragmentation needed"
      return too_large(what, payload.size(), *s, peer.is_v6(), 0, a.dont_fragment, d.error());
    }
    return fail(what + ": no reply", d.error());
  }
  std::string_view data = as_text(std::span<const std::byte>(buf.get(), d->size));
  dump.received(data);
  datagram_format f = ctx.json ? datagram_format::json : datagram_format::raw;
  (void)print_datagram(f, d->from, data, d->wire_size);  // a failure: main reports it (output.hpp)
  return exit_ok;
}

// The interface named by --iface, checked for a broadcast address; sets `mtu` from it.
int check_broadcast_iface(const send_args& a, const endpoint& peer, const std::vector<network_interface>& all, int& mtu) {
  const network_interface* n = nullptr;
  std::string names;
  for (const auto& i : all) {
    if (i.name == a.iface) n = &i;
    names += (names.empty() ? "" : ", ") + i.name;
  }
  if (!n) return fail_message(fmt::format("unknown interface '{}' (this machine has: {})", a.iface, names), exit_failure);
  mtu = n->mtu;
  if (!n->can_broadcast()) {
    std::string why = n->is_loopback() ? "a loopback link cannot broadcast" : "the link cannot broadcast (no IFF_BROADCAST)";
    return fail_message(fmt::format("interface '{}' has no broadcast address: {}", a.iface, why), exit_failure);
  }
  if (n->broadcast_address().empty()) {
    return fail_message(fmt::format("interface '{}' has no broadcast address: it has no IPv4 address", a.iface),
                        exit_failure);
  }
  if (!n->is_up()) return fail_message(fmt::format("interface '{}' is down", a.iface), exit_failure);
  const auto* owner = broadcast_owner(all, peer);
  if (owner && owner->name != n->name) {
    return fail_message(fmt::format("{} is the broadcast address of {}'s subnet, not of --iface {} (its is {})",
                                    peer.address(), owner->name, a.iface, n->broadcast_address().address()),
                        exit_usage);
  }
  return exit_ok;
}

// --broadcast: an unconnected socket with SO_BROADCAST (bound to --iface's device), one datagram,
// then every reply from anyone, printed with its sender, until --wait has passed.
int run_broadcast(const send_args& a, const context& ctx, const endpoint& peer, const std::string& payload) {
  std::string what = "udp broadcast " + peer.to_string();
  if (peer.is_v4() && is_multicast(peer)) {
    return fail_message(fmt::format("{} is a multicast group, not a broadcast address: use 'sockit mcast send'",
                                    peer.address()),
                        exit_usage);
  }
  int mtu = 0;  // for the EMSGSIZE line: the interface's, when it is known which
  auto all = list_interfaces();
  if (!all) return fail("list interfaces", all.error());
  if (!a.iface.empty()) {
    if (int rc = check_broadcast_iface(a, peer, *all, mtu); rc != exit_ok) return rc;
  } else if (const auto* owner = broadcast_owner(*all, peer)) {
    mtu = owner->mtu;
  }
  auto s = udp_open(AF_INET, true);
  if (!s) return fail(what, s.error());
  std::vector<applied_option> applied;
  std::string failed;
  if (!no_socket_flags(a.sock)) {
    if (auto ec = socket_preparer(a.sock, false, applied, failed)(*s)) return prepare_failure(what, failed, ec);
    log_applied(applied);
  }
  if (auto ec = set_broadcast(*s, true)) return fail(what + ": the kernel refused SO_BROADCAST", ec);
  if (!a.iface.empty()) {
    if (auto ec = set_bind_device(*s, a.iface)) {
      if (ec == std::errc::operation_not_permitted) {
        return fail(what + ": binding to interface " + a.iface + " (SO_BINDTODEVICE) needs CAP_NET_RAW here", ec);
      }
      return fail(what + ": binding to interface " + a.iface, ec);
    }
  }
  if (a.dont_fragment) {
    if (auto ec = set_dont_fragment(*s, true)) return fail(what + ": --dont-fragment", ec);
  }
  traffic_dumper dump(ctx.hexdump);
  auto sent = send_to(*s, sockit::as_bytes(payload), peer, deadline::after_seconds(std::max(a.wait, 1.0)));
  if (!sent) {
    auto e = sent.error();
    if (e == std::errc::message_size) return too_large(what, payload.size(), *s, false, mtu, a.dont_fragment, e);
    if (e == std::errc::permission_denied) return fail(what + ": refused even with SO_BROADCAST set", e);
    if (e == std::errc::network_unreachable && a.iface.empty()) {
      return fail(what + ": no route (name the interface with --iface)", e);
    }
    return fail(what + ": send", e);
  }
  dump.sent(payload);
  spdlog::info("sent {} bytes to {}", *sent, peer.to_string());
  if (a.wait == 0) return exit_ok;  // --wait 0: send only

  // Until --wait has passed: replies print as they come. The first Ctrl+C ends the wait early
  // (exit as at the end of it), a second one exits 130 (stop_signals.hpp).
  install_stop_handlers();
  defer_stop(true);
  struct undefer {
    ~undefer() { defer_stop(false); }
  } undefer_at_exit;
  const sigset_t run_mask = thread_signal_mask();
  datagram_format f = ctx.json ? datagram_format::json : datagram_format::labelled;
  auto buf = std::make_unique<std::byte[]>(max_datagram);
  auto by = deadline::after_seconds(a.wait);
  std::uint64_t replies = 0;
  bool interrupted = false;
  for (;;) {
    if (stop_requested()) {
      interrupted = true;
      break;
    }
    wait_entry w{s->native_handle(), wait_entry::readable, 0};
    auto ready = wait_any(std::span(&w, 1), by, &run_mask);
    if (!ready && ready.error() == std::errc::interrupted) continue;
    if (!ready) return fail("wait", ready.error());
    if (*ready == 0) break;  // --wait passed
    for (int i = 0; i < 64; ++i) {
      auto d = try_recv_from(*s, std::span<std::byte>(buf.get(), max_datagram));
      if (!d && d.error() == errc::would_block) break;
      if (!d) {  // an ICMP error queued on the socket: nothing to print, keep listening
        spdlog::debug("{}", describe("recvfrom", d.error()));
        continue;
      }
      std::string_view data = as_text(std::span<const std::byte>(buf.get(), d->size));
      dump.received(data);
      ++replies;
      // stdout failed: stop here; main applies the rule (EPIPE: quiet, with this exit status).
      if (print_datagram(f, d->from, data, d->wire_size)) return exit_ok;
    }
  }
  std::string when = interrupted ? "before the interruption" : fmt::format("within {} s", a.wait);
  if (replies == 0) return fail_message(fmt::format("{}: no reply {}", what, when), exit_failure);
  notice(fmt::format("{} repl{} to {} {}", replies, replies == 1 ? "y" : "ies", peer.to_string(), when));
  return exit_ok;
}

int run_send(const send_args& given, const context& ctx) {
  int code = exit_ok;
  send_args a = given;
  if (!check_socket_flags(a.sock, false, code)) return code;
  host_port hp;
  // "udp send 127.0.0.1 hi": the host alone is read as a bad port; say what was expected instead.
  bool looks_like_bare_host = a.target.find(':') == std::string::npos && !parse_port(a.target, transport::udp);
  if (looks_like_bare_host) {
    return fail_message("bad target '" + a.target + "': expected HOST:PORT, [v6]:PORT or PORT (e.g. 127.0.0.1:7007)",
                        exit_usage);
  }
  if (!parse_address_arg(a.target, hp, code, transport::udp)) return code;
  // Port 0 means "any" only when binding; as a destination the kernel would refuse it (EINVAL).
  if (hp.port == 0) return fail_message("bad port '0': cannot send to port 0", exit_usage);
  if (a.broadcast && hp.host.empty()) {
    return fail_message("--broadcast needs an address: 255.255.255.255:PORT or a subnet's broadcast address",
                        exit_usage);
  }
  std::string payload = a.message;
  bool cut = false;  // stdin was longer than any datagram: payload holds its beginning
  if (a.from_stdin) {
    payload.clear();
    char buf[8192];
    for (;;) {
      auto n = read_stdin(std::as_writable_bytes(std::span(buf)));
      if (!n && n.error() == errc::end_of_stream) break;
      if (!n) return fail("read stdin", n.error());
      payload.append(buf, *n);
      // Longer than any datagram: stop reading (stdin may never end); refused below, with the
      // limit of the peer's family (65507 bytes over IPv4, 65527 over IPv6).
      if (payload.size() > max_udp_payload_v6) {
        cut = true;
        break;
      }
    }
  }
  resolve_options ro;
  ro.socktype = SOCK_DGRAM;
  // Broadcast is IPv4's: IPv6 has no broadcast address (multicast to ff02::1 does that job).
  ro.family = a.v4 || a.broadcast ? ip_family::v4 : a.v6 ? ip_family::v6 : source_family(a.sock);
  auto addrs = resolve(hp.host, hp.port, ro);
  if (a.broadcast && !addrs && hp.host.find(':') != std::string::npos) {
    return fail_message(fmt::format("--broadcast is IPv4 only: IPv6 has no broadcast ('{}'; for all hosts on a link "
                                    "use the multicast group ff02::1 with 'sockit mcast send')",
                                    hp.host),
                        exit_usage);
  }
  if (!addrs && code_for(addrs.error()) == exit_usage) return usage_error("bad host", hp.host, addrs.error());
  if (!addrs) {
    std::string host = hp.host.empty() ? std::string("localhost") : hp.host;
    return fail(a.v4 || a.v6 || a.broadcast ? "resolve " + host : lookup_what("resolve", host, a.sock), addrs.error());
  }
  if (addrs->empty()) return fail("resolve " + hp.host, make_error_code(errc::no_addresses));
  const endpoint& peer = addrs->front();
  if (payload.size() > max_udp_payload(peer)) {
    return fail_message(fmt::format("udp send: message of {}{} bytes is longer than a UDP datagram to {} can carry ({} bytes)",
                                    cut ? "more than " : "", cut ? max_udp_payload(peer) : payload.size(),
                                    peer.to_string(), max_udp_payload(peer)),
                        exit_usage);
  }
  return a.broadcast ? run_broadcast(a, ctx, peer, payload) : run_unicast(a, ctx, peer, payload);
}

struct recv_args {
  std::string address;
  std::uint64_t count = 0;  // 0: no limit
  double wait = -1;         // < 0: no limit
  bool raw = false;
  std::size_t buffer = max_datagram;  // -b: longer datagrams are cut, and reported as truncated
  engine eng = engine::automatic;
  socket_flags sock;
};

int run_recv(const recv_args& given, const context& ctx) {
  int code = exit_ok;
  recv_args a = given;
  if (!check_socket_flags(a.sock, false, code)) return code;
  if (int tc = try_socket_flags(a.sock, false, AF_INET); tc != exit_ok) return tc;
  std::vector<applied_option> applied;
  std::string failed;
  socket_prepare prepare;
  if (!no_socket_flags(a.sock)) prepare = socket_preparer(a.sock, false, applied, failed);
  host_port hp;
  if (!parse_address_arg(a.address, hp, code, transport::udp)) return code;
  // Each socket is announced on stderr (stdout carries only datagrams, also with --json): with
  // port 0 or a busy script the user cannot otherwise know where to send.
  bind_function bind = [&](const endpoint& e) {
    udp_bind_options bo;
    bo.nonblocking = true;
    bo.prepare = prepare;
    auto s = udp_bind(e, bo);
    if (s) log_applied(applied);
    return s;
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
  if (auto ec = loop.on_signals({SIGINT, SIGTERM}, [&loop](int) {
        note_stop_signal();
        loop.stop();
      })) return fail("signalfd", ec);

  datagram_format f = ctx.json ? datagram_format::json : a.raw ? datagram_format::raw : datagram_format::labelled;
  traffic_dumper dump(ctx.hexdump);
  auto buf = std::make_unique<std::byte[]>(a.buffer);
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
      auto d = try_recv_from(s, std::span<std::byte>(buf.get(), a.buffer));
      if (!d) {
        auto e = d.error();
        if (e == errc::would_block) break;
        spdlog::debug("{}", describe("recvfrom", e));
        continue;
      }
      std::string_view data = as_text(std::span<const std::byte>(buf.get(), d->size));
      dump.received(data);
      if (auto ec = print_datagram(f, d->from, data, d->wire_size)) {
        // A blocked stdout gave way to Ctrl+C: the signal's own callback stops the loop (it must
        // read the signal, which would otherwise kill us once the loop unblocks it).
        if (ec == std::errc::interrupted) return;
        done = true;  // stdout failed: stop; main reports it (output.hpp)
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

  auto* send = cmd.add_subcommand(
      "send", "Send one datagram and print the reply (from that peer only), or broadcast it and print every reply");
  auto sa = std::make_shared<send_args>();
  send->add_option("target", sa->target, "HOST:PORT, [v6]:PORT, or PORT for localhost")->required();
  auto* msg = send->add_option("message", sa->message, "The payload (default: read stdin; up to 65507 bytes over IPv4, 65527 over IPv6)");
  send->add_option("-w,--wait", sa->wait, "Seconds to wait for the reply; with --broadcast, for replies (0: send only)")
      ->check(seconds_check(true))
      ->capture_default_str();
  auto* o4 = send->add_flag("-4,--ipv4", sa->v4, "IPv4 only");
  auto* o6 = send->add_flag("-6,--ipv6", sa->v6, "IPv6 only")->excludes(o4);
  auto* bc = send->add_flag("--broadcast", sa->broadcast,
                            "Broadcast (SO_BROADCAST) to 255.255.255.255 or a subnet's broadcast address, and print "
                            "every reply, from anyone, until --wait")
                 ->excludes(o6);
  send->add_option("--iface", sa->iface, "With --broadcast: send through this interface only (SO_BINDTODEVICE)")
      ->type_name("NAME")
      ->needs(bc);
  send->add_flag("--dont-fragment", sa->dont_fragment,
                 "Set don't-fragment (IP_PMTUDISC_DO): a datagram above the path MTU fails (EMSGSIZE) instead of "
                 "being fragmented");
  add_socket_flags(*send, sa->sock, {.tcp = false, .server = false, .client = true});
  send->footer(
      "The reply is written to stdout exactly as received (with --json: one object).\n"
      "With --broadcast each reply is printed as 'FROM: PAYLOAD' (with --json: one object per line)\n"
      "and a count line ends on stderr; the socket is not connected, so replies from any host count.\n"
      "255.255.255.255 leaves by the default route's interface, or by --iface NAME.\n"
      "Exit 0: a reply came (with --broadcast: at least one, or --wait 0 and sent).\n"
      "Exit 1: no reply within --wait, the port is closed (ICMP port unreachable), the datagram is\n"
      "larger than the path allows (EMSGSIZE), or --iface is unknown or has no broadcast address.\n"
      "Exit 2: bad arguments, or a broadcast address without --broadcast.\n"
      "Examples:\n"
      "  sockit udp send 127.0.0.1:7007 hello\n"
      "  printf 'time?' | sockit udp send -w 0.5 [::1]:13013\n"
      "  sockit --json udp send localhost:7007 ping\n"
      "  sockit udp send --broadcast 10.77.9.255:7 hello          # every echo server on 10.77.9.0/24\n"
      "  sockit udp send --broadcast --iface eth0 -w 1 255.255.255.255:7 hello\n"
      "  head -c 1600 /dev/zero | sockit udp send --dont-fragment 10.77.9.2:7   # EMSGSIZE over Ethernet");
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
  recv->add_option("-b,--buffer", ra->buffer,
                   "Bytes kept of each datagram; a longer one is cut and reported as truncated")
      ->check(int_check(1, static_cast<long long>(max_datagram), "bytes"))
      ->capture_default_str();
  add_engine_option(*recv, ra->eng);
  add_socket_flags(*recv, ra->sock, {.tcp = false, .server = true, .client = false});
  recv->footer(
      "Each datagram is printed as 'FROM: PAYLOAD' (a newline added if the payload lacks one),\n"
      "or with --json one object per line: {\"from\":\"127.0.0.1:5555\",\"size\":5,\"data\":\"hello\"}.\n"
      "Without ADDR it binds 127.0.0.1 and ::1 on the same port (one 'listening on' line each on stderr)\n"
      "and prints what arrives on either; where IPv6 is disabled, 127.0.0.1 alone (a notice says so).\n"
      "Bind 0.0.0.0 to receive broadcasts. A datagram longer than --buffer is never cut silently: a\n"
      "notice on stderr names its real size (with --json: \"truncated\":true and the real \"size\").\n"
      "Examples:\n"
      "  sockit udp recv 5555\n"
      "  sockit udp recv --count 1 --wait 5 [::1]:5555\n"
      "  sockit --json udp recv 0.0.0.0:5555\n"
      "  sockit udp recv --buffer 512 0.0.0.0:5555                # longer datagrams are reported as truncated");
  recv->callback([ra, &ctx] { ctx.run = [ra, &ctx] { return run_recv(*ra, ctx); }; });
}

}  // namespace sockit::cli
