// The socket option flags shared by every command that opens a socket.
#include "socket_flags.hpp"

#include <atomic>
#include <charconv>
#include <cmath>

#include <fmt/core.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "args.hpp"
#include "cli.hpp"
#include "json.hpp"
#include "sys_socket.hpp"
#include "sockit/error.hpp"

namespace sockit::cli {
namespace {

// Linux's own bounds: SO_SNDBUF/SO_RCVBUF take an int (the kernel doubles and caps it at
// wmem_max/rmem_max, or 2^31-1 with the FORCE variants), TCP_MAXSEG 88..32767, TTL 1..255.
constexpr long long max_buffer = 1LL << 30;

bool parse_count(std::string_view text, long long& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return !text.empty() && ec == std::errc{} && end == text.data() + text.size();
}

// "IDLE,INTVL,CNT": seconds, seconds, probes (Linux: 1..32767, 1..32767, 1..127).
constexpr const char* keepalive_ranges = "IDLE,INTVL,CNT (seconds 1-32767, seconds 1-32767, probes 1-127)";

std::optional<keepalive_config> parse_keepalive(std::string_view text) {
  keepalive_config k;
  k.enabled = true;
  if (text.empty()) return k;
  long long v[3];
  for (int i = 0; i < 3; ++i) {
    auto comma = text.find(',');
    if ((i < 2) != (comma != std::string_view::npos)) return std::nullopt;
    if (!parse_count(text.substr(0, comma), v[i])) return std::nullopt;
    text = i < 2 ? text.substr(comma + 1) : std::string_view{};
  }
  if (v[0] < 1 || v[0] > 32767 || v[1] < 1 || v[1] > 32767 || v[2] < 1 || v[2] > 127) return std::nullopt;
  k.idle = seconds(v[0]);
  k.interval = seconds(v[1]);
  k.count = static_cast<int>(v[2]);
  return k;
}

std::string keepalive_text(const keepalive_config& k) {
  if (!k.enabled) return "off";
  return fmt::format("on, idle {} s, interval {} s, {} probes", k.idle.count(), k.interval.count(), k.count);
}

std::string linger_text(const std::optional<seconds>& t) {
  return t ? fmt::format("{} s", t->count()) : std::string("off");
}

// Runs one option: set it, then read back what the kernel has.
template <class Set, class Get, class Show>
std::error_code apply_one(std::vector<applied_option>& applied, std::string name, std::string asked, Set set, Get get,
                          Show show) {
  if (auto ec = set()) return ec;
  auto now = get();
  applied.push_back({std::move(name), std::move(asked), now ? show(*now) : "unreadable: " + now.error().message()});
  return {};
}

std::string number(int v) { return std::to_string(v); }

// "2.5 s", "0.004 s": seconds with no more decimals than the value has.
std::string microseconds_text(microseconds us) {
  std::string t = fmt::format("{}.{:06}", us.count() / 1000000, us.count() % 1000000);
  while (t.back() == '0') t.pop_back();
  if (t.back() == '.') t.pop_back();
  return t + " s";
}

// Linux doubles a buffer size it is given (for its bookkeeping) and caps it at
// net.core.wmem_max/rmem_max, silently: say so, once per process and option, when the cap took
// some of it (-v shows every value; this is for a user who did not ask for it).
void warn_if_capped(std::string_view flag, const char* sysctl, int asked, const result<int>& got,
                    std::atomic<bool>& warned) {
  if (got && *got / 2 < asked && !warned.exchange(true)) {
    notice(fmt::format("{} {}: the kernel allowed {} bytes ({} caps it)", flag, asked, *got / 2, sysctl));
  }
}

}  // namespace

void add_socket_flags(CLI::App& cmd, socket_flags& f, socket_flag_set which) {
  const char* group = "Socket options";
  if (which.tcp) {
    cmd.add_flag("--nodelay", f.nodelay, "TCP_NODELAY: send small writes at once (no Nagle coalescing)")->group(group);
    cmd.add_option("--keepalive", f.keepalive,
                   "SO_KEEPALIVE, with TCP_KEEPIDLE,TCP_KEEPINTVL,TCP_KEEPCNT if given (e.g. --keepalive=60,10,5)")
        ->expected(0, 1)
        ->check(CLI::Validator(
            [](std::string& text) -> std::string {
              // Checked here, at once: a bare --keepalive takes the next word ("--keepalive HOST
              // PORT"), and the error would otherwise name the argument that went missing.
              if (text.empty() || parse_keepalive(text)) return "";
              if (text.find(',') != std::string::npos) {
                return fmt::format("bad value '{}': {}", text, keepalive_ranges);
              }
              return fmt::format("bad value '{}': expected IDLE,INTVL,CNT such as 60,10,5 (a bare --keepalive takes "
                                 "the next word: write --keepalive=IDLE,INTVL,CNT, or put it last)",
                                 text);
            },
            ""))
        ->option_text("[=IDLE,INTVL,CNT]")
        ->group(group);
    cmd.add_option("--mss", f.mss, "TCP_MAXSEG: the largest segment sent and announced, in bytes")
        ->check(int_check(88, 32767, "bytes"))
        ->option_text("BYTES")
        ->group(group);
    cmd.add_option("--linger", f.linger, "SO_LINGER: how long close waits for unsent data (0: reset at close)")
        ->check(seconds_check(true, 32767))
        ->option_text("SECS")
        ->group(group);
  }
  cmd.add_option("--sndbuf", f.sndbuf, "SO_SNDBUF in bytes (Linux doubles it and caps it at wmem_max)")
      ->check(int_check(1, max_buffer, "bytes"))
      ->option_text("BYTES")
      ->group(group);
  cmd.add_option("--rcvbuf", f.rcvbuf, "SO_RCVBUF in bytes (Linux doubles it and caps it at rmem_max)")
      ->check(int_check(1, max_buffer, "bytes"))
      ->option_text("BYTES")
      ->group(group);
  cmd.add_option("--ttl", f.ttl, "IP_TTL / IPV6_UNICAST_HOPS of the packets sent")
      ->check(int_check(1, 255))
      ->option_text("N")
      ->group(group);
  cmd.add_option("--tos", f.tos, "IP_TOS / IPV6_TCLASS: the traffic class byte (DSCP << 2)")
      ->check(int_check(0, 255))
      ->option_text("N")
      ->group(group);
  cmd.add_option("--bind-dev", f.bind_dev, "SO_BINDTODEVICE: send and receive through this interface only")
      ->option_text("NAME")
      ->group(group);
  if (which.timeouts) {
    cmd.add_option("--recv-timeout", f.recv_timeout,
                   "SO_RCVTIMEO: give up when the peer has sent nothing for SECS (exit 1)")
        ->check(seconds_check(false))
        ->option_text("SECS")
        ->group(group);
    cmd.add_option("--send-timeout", f.send_timeout,
                   "SO_SNDTIMEO: give up when the peer has taken nothing of what is waiting to go for SECS (exit 1)")
        ->check(seconds_check(false))
        ->option_text("SECS")
        ->group(group);
  }
  if (which.server) {
    cmd.add_flag("--reuseport", f.reuseport, "SO_REUSEPORT: let other sockets of this user share the port")
        ->group(group);
  }
  if (which.client) {
    cmd.add_option(which.short_source ? "-s,--source" : "--source", f.source,
                   "Source address to send from (bind before connecting)")
        ->option_text("ADDR")
        ->group(group);
    cmd.add_option(which.short_source ? "-p,--source-port" : "--source-port", f.source_port,
                   "Source port to send from")
        ->option_text("PORT")
        ->group(group);
  }
}

bool check_socket_flags(socket_flags& f, bool tcp, int& exit) {
  if (!tcp) {
    const char* tcp_only = f.nodelay ? "--nodelay" : f.keepalive ? "--keepalive" : f.mss ? "--mss" : f.linger ? "--linger" : nullptr;
    if (tcp_only != nullptr) {
      exit = fail_message(fmt::format("{} is a TCP option: it has no meaning with -u", tcp_only), exit_usage);
      return false;
    }
  }
  if (f.keepalive) {
    f.keepalive_cfg = parse_keepalive(*f.keepalive);
    if (!f.keepalive_cfg) {
      exit = fail_message(fmt::format("bad --keepalive '{}': {}, or no value for the kernel's timers", *f.keepalive,
                                      keepalive_ranges),
                          exit_usage);
      return false;
    }
  }
  if (f.bind_dev.size() >= 16) {
    exit = fail_message(fmt::format("bad --bind-dev '{}': interface names have at most 15 characters", f.bind_dev),
                        exit_usage);
    return false;
  }
  std::uint16_t port = 0;
  if (!f.source_port.empty() && !parse_port_option("--source-port", f.source_port, port, exit)) return false;
  if (!f.source.empty()) {
    endpoint at;
    if (!parse_bind_address(f.source, at, exit, "--source address")) return false;
    at.set_port(port);
    f.source_at = at;
  } else if (!f.source_port.empty()) {
    // The address follows the socket's family when it is opened.
    f.source_at = endpoint::any_v4(port);
  }
  return true;
}

ip_family source_family(const socket_flags& f) {
  if (f.source.empty() || !f.source_at) return ip_family::any;
  return f.source_at->is_v6() ? ip_family::v6 : ip_family::v4;
}

std::string lookup_what(const std::string& verb, const std::string& host, const socket_flags& f) {
  auto family = source_family(f);
  if (family == ip_family::any) return verb + " " + host;
  return fmt::format("{} {} as {} (the family of -s {})", verb, host, family == ip_family::v6 ? "IPv6" : "IPv4", f.source);
}

bool no_socket_flags(const socket_flags& f) {
  return !f.nodelay && !f.keepalive && !f.sndbuf && !f.rcvbuf && !f.ttl && !f.tos && !f.mss && !f.linger &&
         !f.reuseport && f.bind_dev.empty() && f.source.empty() && f.source_port.empty() && !f.recv_timeout &&
         !f.send_timeout;
}

std::error_code apply_socket_flags(const socket& s, const socket_flags& f, bool tcp, std::vector<applied_option>& applied,
                                   std::string& failed) {
  {
    applied.clear();
    failed.clear();
    auto fail_as = [&failed](std::string name, std::error_code ec) {
      failed = std::move(name);
      return ec;
    };
    // Before bind or connect: the device and the port sharing decide what bind may take, the
    // buffer sizes the window scale the handshake announces, the MSS the SYN's option.
    if (f.reuseport) {
      if (auto ec = apply_one(
              applied, "SO_REUSEPORT", "on", [&] { return set_reuse_port(s, true); }, [&] { return reuse_port(s); },
              [](bool on) { return std::string(on ? "on" : "off"); })) {
        return fail_as("SO_REUSEPORT", ec);
      }
    }
    if (!f.bind_dev.empty()) {
      if (auto ec = apply_one(
              applied, "SO_BINDTODEVICE", f.bind_dev, [&] { return set_bind_device(s, f.bind_dev); },
              [&] { return bind_device(s); }, [](const std::string& d) { return d; })) {
        return fail_as("SO_BINDTODEVICE " + f.bind_dev, ec);
      }
    }
    // The two buffer sizes: set, read back, and a cap the kernel applied said once.
    struct buffer_option {
      const std::optional<long long>& want;
      const char *name, *flag, *sysctl;
      std::error_code (*set)(const socket&, int);
      result<int> (*get)(const socket&);
      std::atomic<bool>& warned;
    };
    static std::atomic<bool> snd_warned{false}, rcv_warned{false};
    for (const buffer_option& b :
         {buffer_option{f.sndbuf, "SO_SNDBUF", "--sndbuf", "net.core.wmem_max", set_send_buffer_size, send_buffer_size,
                        snd_warned},
          buffer_option{f.rcvbuf, "SO_RCVBUF", "--rcvbuf", "net.core.rmem_max", set_recv_buffer_size, recv_buffer_size,
                        rcv_warned}}) {
      if (!b.want) continue;
      int want = static_cast<int>(*b.want);
      if (auto ec = b.set(s, want)) return fail_as(b.name, ec);
      auto got = b.get(s);
      applied.push_back({b.name, number(want), got ? number(*got) : "unreadable: " + got.error().message()});
      warn_if_capped(b.flag, b.sysctl, want, got, b.warned);
    }
    auto v6 = s.local_endpoint();
    bool is_v6 = v6 && v6->is_v6();
    if (f.ttl) {
      int want = static_cast<int>(*f.ttl);
      const char* name = is_v6 ? "IPV6_UNICAST_HOPS" : "IP_TTL";
      if (auto ec = apply_one(
              applied, name, number(want), [&] { return set_ttl(s, want); }, [&] { return ttl(s); }, number)) {
        return fail_as(name, ec);
      }
    }
    if (f.tos) {
      int want = static_cast<int>(*f.tos);
      const char* name = is_v6 ? "IPV6_TCLASS" : "IP_TOS";
      if (auto ec = apply_one(
              applied, name, number(want), [&] { return set_tos(s, want); }, [&] { return tos(s); }, number)) {
        return fail_as(name, ec);
      }
    }
    if (tcp) {
      if (f.mss) {
        int want = static_cast<int>(*f.mss);
        if (auto ec = apply_one(
                applied, "TCP_MAXSEG", number(want), [&] { return set_tcp_max_segment(s, want); },
                [&] { return tcp_max_segment(s); }, number)) {
          return fail_as("TCP_MAXSEG", ec);
        }
      }
      if (f.nodelay) {
        if (auto ec = apply_one(
                applied, "TCP_NODELAY", "on", [&] { return set_tcp_nodelay(s, true); }, [&] { return tcp_nodelay(s); },
                [](bool on) { return std::string(on ? "on" : "off"); })) {
          return fail_as("TCP_NODELAY", ec);
        }
      }
      if (f.keepalive_cfg) {
        const keepalive_config& k = *f.keepalive_cfg;
        bool timers = !f.keepalive->empty();
        auto set = [&] {
          if (timers) return set_keepalive(s, k);
          // On with the kernel's timers: only SO_KEEPALIVE, the rest untouched.
          keepalive_config now{};
          auto cur = keepalive(s);
          if (!cur) return cur.error();
          now = *cur;
          now.enabled = true;
          return set_keepalive(s, now);
        };
        if (auto ec = apply_one(applied, "SO_KEEPALIVE", timers ? keepalive_text(k) : "on", set,
                                [&] { return keepalive(s); }, keepalive_text)) {
          return fail_as("SO_KEEPALIVE", ec);
        }
      }
      if (f.linger) {
        // A fraction of a second rounds up: SO_LINGER counts whole seconds, and 0 means reset.
        std::optional<seconds> want = seconds(static_cast<long long>(std::ceil(*f.linger)));
        if (auto ec = apply_one(
                applied, "SO_LINGER", linger_text(want), [&] { return set_linger(s, want); },
                [&] { return linger(s); }, linger_text)) {
          return fail_as("SO_LINGER", ec);
        }
      }
    }
    // Set for what they mean to a blocking call, and read back: the kernel keeps them in
    // scheduler ticks, so a value between two ticks comes back rounded.
    struct timeout_option {
      const std::optional<double>& want;
      const char* name;
      std::error_code (*set)(const socket&, microseconds);
      result<microseconds> (*get)(const socket&);
    };
    for (const timeout_option& t : {timeout_option{f.recv_timeout, "SO_RCVTIMEO", set_recv_timeout, recv_timeout},
                                    timeout_option{f.send_timeout, "SO_SNDTIMEO", set_send_timeout, send_timeout}}) {
      if (!t.want) continue;
      // seconds_check bounds it to a year, and a positive value never rounds down to "none".
      auto want = std::max(microseconds(1), microseconds(static_cast<long long>(*t.want * 1e6)));
      if (auto ec = apply_one(
              applied, t.name, microseconds_text(want), [&] { return t.set(s, want); }, [&] { return t.get(s); },
              microseconds_text)) {
        return fail_as(t.name, ec);
      }
    }
    if (f.source_at) {
      endpoint at = *f.source_at;
      // -p alone: the wildcard address of the socket's own family.
      if (f.source.empty() && is_v6) at = endpoint::any_v6(at.port());
      if (auto ec = bind(s, at)) return fail_as("source " + at.to_string(), ec);
      auto local = s.local_endpoint();
      applied.push_back({"source", at.to_string(), local ? local->to_string() : "unreadable"});
    }
    return {};
  }
}

socket_prepare socket_preparer(const socket_flags& f, bool tcp, std::vector<applied_option>& applied,
                               std::string& failed) {
  return [&f, tcp, &applied, &failed](const socket& s) { return apply_socket_flags(s, f, tcp, applied, failed); };
}

socket_prepare socket_applier(socket_flags f, bool tcp) {
  if (no_socket_flags(f)) return {};
  return [f = std::move(f), tcp](const socket& s) {
    std::vector<applied_option> applied;
    std::string failed;
    return apply_socket_flags(s, f, tcp, applied, failed);
  };
}

int try_socket_flags(const socket_flags& f, bool tcp, int family, bool log, std::vector<applied_option>* out) {
  if (no_socket_flags(f)) return exit_ok;
  auto s = socket::open(family, tcp ? SOCK_STREAM : SOCK_DGRAM);
  if (!s) return fail("socket", s.error());
  std::vector<applied_option> applied;
  std::string failed;
  socket_flags probe = f;
  probe.source_at.reset();  // a server has none; never bind the throwaway socket
  if (auto ec = apply_socket_flags(*s, probe, tcp, applied, failed)) return prepare_failure("socket options", failed, ec);
  if (log) log_applied(applied);
  if (out) *out = std::move(applied);
  return exit_ok;
}

void log_applied(const std::vector<applied_option>& applied) {
  for (const auto& a : applied) spdlog::info("socket option {}: asked {}, kernel has {}", a.name, a.asked, a.got);
}

std::string applied_json(const std::vector<applied_option>& applied) {
  std::string out = "[";
  for (std::size_t i = 0; i < applied.size(); ++i) {
    const auto& a = applied[i];
    out += fmt::format("{}{{\"option\":{},\"asked\":{},\"got\":{}}}", i ? "," : "", json_escape(a.name),
                       json_escape(a.asked), json_escape(a.got));
  }
  return out + "]";
}

int prepare_failure(std::string_view what, const std::string& failed, std::error_code ec) {
  if (!failed.empty()) return fail("set " + failed, ec);
  return fail(what, ec);
}

}  // namespace sockit::cli
