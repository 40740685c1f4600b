// sockit mcast send / recv: datagrams to an IP multicast group, and a group member that prints
// what the group carries (any-source or from one source), IPv4 and IPv6.
#include <cerrno>
#include <chrono>
#include <csignal>
#include <memory>
#include <string>
#include <thread>

#ifdef _WIN32
#include <io.h>
#else
#include <unistd.h>
#endif

#include <fmt/core.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "args.hpp"
#include "commands.hpp"
#include "datagram_output.hpp"
#include "hexdump.hpp"
#include "sockit/error.hpp"
#include "sockit/io.hpp"
#include "sockit/multicast.hpp"
#include "sockit/options.hpp"
#include "sockit/udp.hpp"
#include "stop_signals.hpp"
#include "sys_socket.hpp"

namespace sockit::cli {

namespace {

constexpr std::size_t max_datagram = 65536;

std::string_view as_text(std::span<const std::byte> b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

// ff01:: (interface-local) and ff02:: (link-local) groups exist once per link: the kernel cannot
// pick the interface from a route, so the user must name it.
bool needs_interface(const endpoint& group) {
  if (!group.is_v6()) return false;
  const auto& a = reinterpret_cast<const sockaddr_in6*>(group.data())->sin6_addr;
  return IN6_IS_ADDR_MC_LINKLOCAL(&a) || IN6_IS_ADDR_MC_NODELOCAL(&a);
}

unsigned scope_of(const endpoint& e) {
  return e.is_v6() ? reinterpret_cast<const sockaddr_in6*>(e.data())->sin6_scope_id : 0;
}

void set_scope(endpoint& e, unsigned index) {
  if (e.is_v6()) reinterpret_cast<sockaddr_in6*>(e.data())->sin6_scope_id = index;
}

// GROUP:PORT: a numeric multicast address (never resolved) and a port other than 0.
bool parse_group(std::string_view text, endpoint& out, int& exit) {
  host_port hp;
  if (!parse_address_arg(text, hp, exit, transport::udp)) return false;
  auto e = endpoint::numeric(hp.host, hp.port);
  if (auto pct = hp.host.find('%'); !e && pct != std::string::npos && hp.host.find(':') != std::string::npos &&
                                     endpoint::numeric(hp.host.substr(0, pct), hp.port)) {
    // A good IPv6 address with a zone that names no interface here (ff02::1%eht0).
    exit = fail_message(fmt::format("bad group '{}': no interface '{}' here (the zone after '%')", text, hp.host.substr(pct + 1)),
                        exit_usage);
    return false;
  }
  if (!e) {
    exit = fail_message(fmt::format("bad group '{}': expected a multicast address and port, e.g. 239.255.255.250:5353 "
                                    "or [ff0e::1]:5353",
                                    text),
                        exit_usage);
    return false;
  }
  if (!is_multicast(*e)) {
    exit = fail_message(fmt::format("'{}' is not a multicast group (IPv4 224.0.0.0/4, IPv6 ff00::/8)", hp.host),
                        exit_usage);
    return false;
  }
  if (hp.port == 0) {
    exit = fail_message(fmt::format("bad port '0' in '{}': a group needs the port its senders and receivers agree on", text),
                        exit_usage);
    return false;
  }
  out = *e;
  return true;
}

// --iface: an interface name ("eth0"), index ("2") or, for the group's family, one of this host's
// addresses. Fills the index (0 if none given: the group's scope, or the kernel's routes) and, for
// an IPv4 address, the address itself (the sender uses it as its source too).
struct iface_choice {
  unsigned index = 0;
  endpoint address;  // empty unless given as an address
  std::string label;  // as typed, for messages
};

bool parse_iface(const std::string& text, const endpoint& group, iface_choice& out, int& exit) {
  out = {};
  out.label = text;
  if (text.empty()) {
    if ((out.index = scope_of(group)) == 0 && needs_interface(group)) {
      exit = fail_message(fmt::format("group {} is link-local: name the interface with --iface NAME or as [{}%NAME]:PORT",
                                      group.address(), group.address()),
                          exit_usage);
      return false;
    }
    return true;
  }
  if (text.find_first_not_of("0123456789") == std::string::npos) {
    auto n = text.size() <= 9 ? static_cast<unsigned>(std::stoul(text)) : 0u;
    if (n == 0 || !interface_name(n)) {
      exit = fail_message(fmt::format("interface {}: no network interface has index {}", text, text), exit_failure);
      return false;
    }
    out.index = n;
    return true;
  }
  if (auto a = endpoint::numeric(text, 0)) {
    if (a->family() != group.family()) {
      exit = fail_message(fmt::format("bad --iface '{}': an {} address for an {} group", text, a->is_v4() ? "IPv4" : "IPv6",
                                      group.is_v4() ? "IPv4" : "IPv6"),
                          exit_usage);
      return false;
    }
    auto idx = interface_with_address(*a);
    if (!idx) {
      exit = fail_message(fmt::format("interface {}: no network interface here has that address", text), exit_failure);
      return false;
    }
    out.index = *idx;
    if (a->is_v4()) out.address = *a;
    return true;
  }
  auto idx = interface_index(text);
  if (!idx) {
    exit = fail(fmt::format("interface {}", text), idx.error());
    return false;
  }
  out.index = *idx;
  return true;
}

// A unicast address option (--source-addr, --ssm-source) of the group's family.
bool parse_unicast(std::string_view flag, const std::string& text, const endpoint& group, endpoint& out, int& exit) {
  auto a = endpoint::numeric(text, 0);
  if (!a) {
    exit = usage_error(fmt::format("bad {}", flag), text, a.error());
    return false;
  }
  if (a->family() != group.family()) {
    exit = fail_message(fmt::format("bad {} '{}': an {} address for an {} group", flag, text, a->is_v4() ? "IPv4" : "IPv6",
                                    group.is_v4() ? "IPv4" : "IPv6"),
                        exit_usage);
    return false;
  }
  if (is_multicast(*a)) {
    exit = fail_message(fmt::format("bad {} '{}': a multicast address cannot be a source", flag, text), exit_usage);
    return false;
  }
  // The kernel takes these as SSM sources, and the join then waits for datagrams none can send.
  if (flag == "--ssm-source" && (a->is_unspecified() || a->address() == "255.255.255.255")) {
    exit = fail_message(fmt::format("bad {} '{}': {} address cannot be a source", flag, text,
                                    a->is_unspecified() ? "the unspecified" : "the broadcast"),
                        exit_usage);
    return false;
  }
  out = *a;
  return true;
}

// What both subcommands name: the group, its interface and a unicast source, each checked against the group.
struct group_target {
  endpoint group;
  iface_choice ifc;
  endpoint source;
};

bool parse_target(std::string_view group, const std::string& iface, std::string_view source_flag,
                  const std::string& source, group_target& out, int& exit) {
  return parse_group(group, out.group, exit) && parse_iface(iface, out.group, out.ifc, exit) &&
         (source.empty() || parse_unicast(source_flag, source, out.group, out.source, exit));
}

// ---- send ---------------------------------------------------------------------------------------

// One blocking read of stdin (the payload is read whole before anything is sent). Windows' C
// runtime reads its descriptor 0 with _read (binary mode: main.cpp), not a socket call.
result<std::size_t> read_stdin_blocking(std::span<char> into) {
#ifdef _WIN32
  int n = ::_read(0, into.data(), static_cast<unsigned>(into.size()));
  if (n < 0) return std::error_code(errno, std::generic_category());
  if (n == 0) return errc::end_of_stream;
  return static_cast<std::size_t>(n);
#else
  return try_read(STDIN_FILENO, std::as_writable_bytes(into));
#endif
}

struct send_args {
  std::string group;
  std::string message;
  int ttl = 1;
  bool loop = true;
  std::string iface;
  std::string source;
  std::uint64_t count = 1;
  double interval = 1.0;
};

// Sleeps `secs` in short slices so a Ctrl+C (stop_signals.hpp) ends the wait at once.
void pause_for(double secs) {
  auto until = std::chrono::steady_clock::now() + seconds_to_ms(secs);
  while (!stop_requested()) {
    auto left = until - std::chrono::steady_clock::now();
    if (left <= std::chrono::steady_clock::duration::zero()) return;
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(left, std::chrono::milliseconds(50)));
  }
}

int run_send(const send_args& a, const context& ctx) {
  int code = exit_ok;
  group_target t;
  if (!parse_target(a.group, a.iface, "--source-addr", a.source, t, code)) return code;
  const endpoint& group = t.group;
  const iface_choice& ifc = t.ifc;
  const endpoint& source = t.source;

  std::string payload = a.message;
  if (a.message == "-") {
    payload.clear();
    char buf[8192];
    for (;;) {
      auto n = read_stdin_blocking(buf);
      if (!n && n.error() == errc::end_of_stream) break;
      if (!n) return fail("read stdin", n.error());
      payload.append(buf, *n);
      if (payload.size() > max_udp_payload(group)) break;  // refused just below
    }
  }
  if (payload.size() > max_udp_payload(group)) {
    return fail_message(fmt::format("mcast send: message longer than a UDP datagram to {} can carry ({} bytes)",
                                    group.address(), max_udp_payload(group)),
                        exit_usage);
  }

  // The destination carries the interface as its scope too: for ff02:: the kernel wants it there.
  endpoint to = group;
  if (ifc.index && needs_interface(group)) set_scope(to, ifc.index);
  std::string what = "mcast " + to.to_string();
  result<socket> s = source.empty() ? udp_open(group.family()) : udp_bind(source);
  if (!s) return fail(source.empty() ? what : "bind " + source.to_string(), s.error());
  if (auto ec = set_multicast_ttl(*s, a.ttl)) return fail(fmt::format("{}: TTL {}", what, a.ttl), ec);
  if (auto ec = set_multicast_loop(*s, a.loop)) return fail(what + ": loop", ec);
  if (!ifc.address.empty()) {
    if (auto ec = set_multicast_interface(*s, ifc.address)) return fail("interface " + ifc.label, ec);
  } else if (ifc.index) {
    if (auto ec = set_multicast_interface(*s, ifc.index)) return fail("interface " + ifc.label, ec);
  }

  // Ctrl+C between datagrams stops the run like the end of the count: a last line says how far
  // it got; a second one exits 130 at once.
  install_stop_handlers();
  defer_stop(true);
  traffic_dumper dump(ctx.hexdump);
  std::uint64_t sent = 0;
  for (; sent < a.count && !stop_requested(); ++sent) {
    if (sent > 0) {
      pause_for(a.interval);
      if (stop_requested()) break;
    }
    auto n = send_to(*s, sockit::as_bytes(payload), to, deadline::after_seconds(5));
    if (!n) {
      if (n.error() == std::errc::message_size) {
        return fail_message(fmt::format("{}: message of {} bytes is larger than the path allows (EMSGSIZE)", what,
                                        payload.size()));
      }
      return fail(what + ": send", n.error());
    }
    dump.sent(payload);
    spdlog::info("sent {} bytes to {}", *n, to.to_string());
  }
  if (stop_requested()) notice(fmt::format("sent {} of {} datagrams to {}", sent, a.count, to.to_string()));
  if (ctx.json) {
    (void)print_out("{{\"group\":\"{}\",\"sent\":{},\"bytes\":{}}}\n", to.to_string(), sent, payload.size());
  }
  return exit_ok;
}

// ---- recv ---------------------------------------------------------------------------------------

struct recv_args {
  std::string group;
  std::string iface;
  std::string ssm_source;
  std::uint64_t count = 0;  // 0: no limit
  double timeout = -1;      // < 0: no limit
  std::size_t buffer = max_datagram;
  engine eng = engine::automatic;
};

int run_recv(const recv_args& a, const context& ctx) {
  int code = exit_ok;
  group_target t;
  if (!parse_target(a.group, a.iface, "--ssm-source", a.ssm_source, t, code)) return code;
  const endpoint& group = t.group;
  const iface_choice& ifc = t.ifc;
  const endpoint& source = t.source;

  // Bound to the group itself (not the wildcard): the kernel hands this socket only datagrams
  // sent to the group, never unicast to the port. SO_REUSEADDR shares the port with other
  // receivers (5353 is often held by an mDNS daemon). A link-local group binds with its scope.
  // Winsock refuses a bind to a group address (WSAEADDRNOTAVAIL): there the socket binds the
  // wildcard of the group's family, and unicast datagrams to the port reach it too (README).
#ifdef _WIN32
  endpoint at = group.is_v6() ? endpoint::any_v6(group.port()) : endpoint::any_v4(group.port());
#else
  endpoint at = group;
  if (needs_interface(group)) set_scope(at, ifc.index);
#endif
  udp_bind_options bo;
  bo.reuse_address = true;
  bo.nonblocking = true;
  auto s = udp_bind(at, bo);
  if (!s) return bind_failure("bind udp " + at.to_string(), s.error(), "stop the other receiver, or choose another port");
  // Only the groups joined on this socket: with IP_MULTICAST_ALL on (the Linux default) a socket
  // whose bind matches gets a group's datagrams as soon as any socket on the host joined it.
  // A kernel without IPV6_MULTICAST_ALL (before 4.20) says ENOPROTOOPT: the bind to the group
  // still keeps other groups out, so that is only logged. Windows has no such option
  // (errc::not_supported): it delivers to a socket only the groups that socket joined.
  if (auto ec = set_multicast_all(*s, false)) {
    if (ec != std::errc::no_protocol_option && ec != errc::not_supported) return fail("mcast: IP_MULTICAST_ALL", ec);
    spdlog::info("{}", describe("IP_MULTICAST_ALL", ec));
  }
  std::string joined = group.address() + (source.empty() ? "" : " from " + source.address());
  std::error_code jec = source.empty() ? join_group(*s, group, ifc.index) : join_source_group(*s, group, source, ifc.index);
  if (jec) {
    std::string line = describe(fmt::format("join {}{}", joined, ifc.label.empty() ? "" : " on " + ifc.label), jec);
    // ENODEV without --iface: no route says which interface the group lives on.
    if (jec == std::errc::no_such_device && ifc.index == 0) line += "; no route to the group: name one with --iface";
    // What the platform lacks (IPv6 source-specific joins under Wine) is a usage answer, exit 2.
    return fail_message(line, jec == errc::not_supported ? exit_usage : exit_failure);
  }
  spdlog::info("joined {}{}", joined, ifc.label.empty() ? "" : " on " + ifc.label);

  auto loop_r = event_loop::create(a.eng);
  if (!loop_r) return fail("event loop", loop_r.error());
  auto& loop = **loop_r;
  bool interrupted = false;
  if (auto ec = loop.on_signals({SIGINT, SIGTERM}, [&](int) {
        interrupted = true;
        note_stop_signal();
        loop.stop();
      })) {
    return fail("signalfd", ec);
  }
  // Announced once joined and once Ctrl+C is ours to handle: a script that waits for this line
  // may send to the group and interrupt us.
  auto local = s->local_endpoint();
  announce_listening(local ? *local : at, "udp");

  datagram_format f = ctx.json ? datagram_format::json : datagram_format::labelled_sized;
  traffic_dumper dump(ctx.hexdump);
  auto buf = std::make_unique<std::byte[]>(a.buffer);
  std::uint64_t received = 0;
  bool timed_out = false;
  bool done = false;
  auto drain = [&] {
    for (int i = 0; i < 32 && !done; ++i) {
      auto d = try_recv_from(*s, std::span<std::byte>(buf.get(), a.buffer));
      if (!d) {
        if (d.error() == errc::would_block) break;
        spdlog::debug("{}", describe("recvfrom", d.error()));
        continue;
      }
      std::string_view data = as_text(std::span<const std::byte>(buf.get(), d->size));
      dump.received(data);
      ++received;
      auto ec = print_datagram(f, d->from, data, d->wire_size);
      if (ec == std::errc::interrupted) return;  // a blocked stdout gave way: the signal's callback stops us
      if (ec || (a.count && received >= a.count)) {
        done = true;  // a stdout failure: main reports it (output.hpp)
        loop.stop();
      }
    }
  };
  if (auto ec = loop.watch(s->native_handle(), io_readable, [&](std::uint32_t) { drain(); })) return fail("watch", ec);
  if (a.timeout >= 0) {
    loop.run_after(std::chrono::duration_cast<event_loop::duration>(seconds_to_ms(a.timeout)), [&] {
      timed_out = true;
      loop.stop();
    });
  }
  auto rec = loop.run();
  // Closing would drop the membership too; leaving says so to the network now (IGMP/MLD leave).
  std::error_code lec = source.empty() ? leave_group(*s, group, ifc.index) : leave_source_group(*s, group, source, ifc.index);
  if (lec) spdlog::warn("{}", describe("leave " + joined, lec));
  if (rec) return fail("event loop", rec);
  if (interrupted) notice(fmt::format("{} datagram{} received from {}", received, received == 1 ? "" : "s", joined));
  if (timed_out && a.count && received < a.count) {
    return fail_message(fmt::format("mcast recv: {} of {} datagrams within {} s", received, a.count, a.timeout),
                        exit_failure);
  }
  return exit_ok;
}

}  // namespace

void setup_mcast(CLI::App& cmd, context& ctx) {
  cmd.require_subcommand(1);
  cmd.footer(
      "Examples:\n"
      "  sockit mcast recv 239.255.255.250:5353 --iface eth0    # print what the group carries\n"
      "  sockit mcast send 239.255.255.250:5353 hello --ttl 32  # the chapter's sender\n"
      "Run 'sockit mcast send --help' or 'sockit mcast recv --help' for details.");

  auto* send = cmd.add_subcommand("send", "Send datagrams to a multicast group");
  auto sa = std::make_shared<send_args>();
  send->add_option("group", sa->group, "GROUP:PORT: 239.1.2.3:5000, [ff0e::1]:5000, [ff02::1%eth0]:5000")->required();
  send->add_option("message", sa->message, "The payload; '-' reads it from stdin")->required();
  send->add_option("--ttl", sa->ttl, "TTL (IPv4) or hop limit (IPv6): routers it may cross; 0 stays on this host")
      ->check(int_check(0, 255))
      ->capture_default_str();
  send->add_flag("--loop,!--no-loop", sa->loop, "Deliver our own datagrams to members on this host too (default: on)");
  send->add_option("--iface", sa->iface, "Outgoing interface: NAME, INDEX, or one of its addresses")->type_name("NAME|ADDR");
  send->add_option("--source-addr", sa->source, "Send from this local address (bind before sending)")->type_name("ADDR");
  send->add_option("-c,--count", sa->count, "Datagrams to send")->check(int_check(1, no_upper_bound))->capture_default_str();
  send->add_option("-i,--interval", sa->interval, "Seconds between datagrams (fractions allowed)")
      ->check(seconds_check(true))
      ->capture_default_str();
  send->footer(
      "The default TTL is 1 (the datagram stays on the link, as socat and iperf send); the chapter's\n"
      "programs use 32: add --ttl 32 to cross routers. With --json a summary object is printed at the end.\n"
      "Exit 0 once every datagram is sent (or Ctrl+C stopped it: 'sent K of N' on stderr).\n"
      "Examples:\n"
      "  sockit mcast send 239.255.255.250:5353 hello\n"
      "  sockit mcast send --ttl 32 --count 10 --interval 0.5 239.1.2.3:5000 tick\n"
      "  date | sockit mcast send --iface eth0 [ff02::1234]:5000 -");
  send->callback([sa, &ctx] { ctx.run = [sa, &ctx] { return run_send(*sa, ctx); }; });

  auto* recv = cmd.add_subcommand("recv", "Join a multicast group and print each datagram, with its sender");
  auto ra = std::make_shared<recv_args>();
  recv->add_option("group", ra->group, "GROUP:PORT to join and bind")->required();
  recv->add_option("--iface", ra->iface, "Interface to join on: NAME, INDEX, or one of its addresses")->type_name("NAME|ADDR");
  recv->add_option("--ssm-source", ra->ssm_source, "Source-specific: accept only datagrams from ADDR")->type_name("ADDR");
  recv->add_option("-c,--count", ra->count, "Exit after N datagrams")->check(int_check(1, no_upper_bound));
  recv->add_option("-t,--timeout", ra->timeout, "Exit after SECS (1 if --count was not reached by then)")
      ->check(seconds_check(false));
  recv->add_option("-b,--buffer", ra->buffer, "Bytes read per datagram; a longer one is reported truncated")
      ->check(int_check(1, static_cast<long long>(max_datagram), "bytes"))
      ->capture_default_str();
  add_engine_option(*recv, ra->eng);
  recv->footer(
      "Binds GROUP:PORT with SO_REUSEADDR (it shares the port with other receivers, e.g. an mDNS daemon\n"
      "on 5353), receives only the groups it joined (IP_MULTICAST_ALL off), leaves the group on exit.\n"
      "Each datagram is printed at once as 'FROM (N bytes): PAYLOAD', or with --json one object per line:\n"
      "{\"from\":\"10.0.0.1:40000\",\"size\":5,\"data\":\"hello\"}. Ctrl+C prints the count on stderr.\n"
      "Examples:\n"
      "  sockit mcast recv 239.255.255.250:5353\n"
      "  sockit mcast recv --ssm-source 10.0.0.1 --count 1 --timeout 5 232.1.1.1:5000\n"
      "  sockit --json mcast recv --iface eth0 [ff02::1234]:5000");
  recv->callback([ra, &ctx] { ctx.run = [ra, &ctx] { return run_recv(*ra, ctx); }; });
}

}  // namespace sockit::cli
