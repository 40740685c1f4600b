// sockit probe HOST PORTS: which TCP ports accept connections, like nc -zv, but with many
// non-blocking connects in flight at once on one wait_any set; with -u, which UDP ports answer, as
// nmap -sU reports them (open, closed on ICMP port unreachable, open|filtered on silence).
#include <algorithm>
#include <charconv>
#include <cerrno>
#include <cmath>
#include <deque>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#ifndef _WIN32
#include <sys/resource.h>
#endif

#include <fmt/core.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "args.hpp"
#include "fd_limit.hpp"
#include "commands.hpp"
#include "json.hpp"
#include "netcat_pump.hpp"
#include "stop_signals.hpp"
#include "sys_socket.hpp"
#include "sockit/deadline.hpp"
#include "sockit/error.hpp"
#include "sockit/tcp.hpp"
#include "sockit/options.hpp"
#include "sockit/udp.hpp"
#include "sockit/wait.hpp"

namespace sockit::cli {
namespace {

constexpr double default_wait_s = 3.0;
constexpr int default_concurrency = 100;
constexpr int default_udp_retries = 1;  // nmap -sU retransmits once before calling a port open|filtered

struct probe_args {
  std::string host;
  std::string ports;
  std::string wait;
  bool v4 = false;
  bool v6 = false;
  int concurrency = default_concurrency;
  bool retries_given = false;
  bool udp = false;
  int retries = default_udp_retries;
  bool only_open = false;
};

// open_filtered is UDP's silence: a datagram that drew neither a reply nor an ICMP error may have
// reached a service that answers nothing, or been dropped on the way (nmap's "open|filtered").
enum class port_state { pending, open, closed, filtered, open_filtered, error };

const char* state_name(port_state s) {
  switch (s) {
    case port_state::open: return "open";
    case port_state::closed: return "closed";
    case port_state::filtered: return "filtered";
    case port_state::open_filtered: return "open|filtered";
    case port_state::error: return "error";
    case port_state::pending: break;
  }
  return "pending";
}

// What a failed connect says about the port. Refused: a host answered with RST. Unreachable or
// administratively prohibited: something in the way answered for it. Anything else is our own
// trouble (no descriptors, no ephemeral ports) and says nothing about the port.
port_state classify(std::error_code ec) {
  if (ec == std::errc::connection_refused) return port_state::closed;
  if (ec == std::errc::timed_out || ec == std::errc::host_unreachable || ec == std::errc::network_unreachable ||
      ec == std::errc::permission_denied || ec == std::errc::operation_not_permitted) {
    return port_state::filtered;
  }
  return port_state::error;
}

struct port_result {
  std::uint16_t port = 0;
  port_state state = port_state::pending;
  double rtt_ms = NAN;  // time to the answer (open or refused); NaN when none came
  std::error_code ec;
  endpoint address;     // the address that gave the answer (the last one tried)
};

struct attempt {
  std::size_t index;     // into results
  std::size_t address;   // into the resolved addresses
  socket sock;
  clock::time_point started;
  deadline by;           // one -w budget per port, shared by its addresses
};

// One UDP port being probed: a connected socket, so that the ICMP port unreachable a closed port
// draws comes back as ECONNREFUSED and replies from anyone else are dropped by the kernel.
struct udp_attempt {
  std::size_t index;     // into results
  std::size_t address;   // into the resolved addresses
  socket sock;
  clock::time_point started;  // the first datagram's send
  deadline by;           // one -w budget per port, shared by its addresses and tries
  deadline resend;       // when the next try goes out (== by after the last one)
  int tries_left;        // retransmissions still to send
};

struct probe_settings {
  double wait_s = default_wait_s;
  int concurrency = default_concurrency;
  bool json = false;
  bool udp = false;
  int retries = default_udp_retries;
  bool only_open = false;
};

class prober {
 public:
  prober(std::string host, std::vector<endpoint> addrs, const std::vector<std::uint16_t>& ports,
         const probe_settings& ps)
      : host_(std::move(host)),
        addrs_(std::move(addrs)),
        wait_s_(ps.wait_s),
        concurrency_(ps.concurrency),
        json_(ps.json),
        udp_(ps.udp),
        retries_(ps.retries),
        only_open_(ps.only_open) {
    results_.resize(ports.size());
    for (std::size_t i = 0; i < ports.size(); ++i) results_[i].port = ports[i];
  }

  int run() { return udp_ ? run_udp() : run_tcp(); }

 private:
  int run_tcp() {
    std::vector<wait_entry> fds;
    while (printed_ < results_.size()) {
      while (active_.size() < static_cast<std::size_t>(concurrency_) && (!deferred_.empty() || next_ < results_.size())) {
        auto [index, addr_i] = next_start();
        start(index, addr_i, deadline::after_seconds(wait_s_));
      }
      print_ready();
      if (stdout_error()) break;  // stop with the status so far; main reports it (output.hpp)
      if (active_.empty()) continue;

      fds.clear();
      deadline first = deadline::never();  // the earliest of the attempts' deadlines
      for (const auto& a : active_) {
        fds.push_back({a.sock.native_handle(), wait_entry::writable, 0});
        if (!a.by.is_never() && (first.is_never() || a.by.when() < first.when())) first = a.by;
      }
      if (auto rc = wait_any(fds, soon(first)); !rc) return fail("poll", rc.error());
      if (stop_requested()) return cut_short();
      // Settle what answered or ran out of time; restarts for the next address join the back.
      std::vector<attempt> still;
      std::vector<attempt> finished;
      for (std::size_t i = 0; i < fds.size(); ++i) {
        auto& a = active_[i];
        if (fds[i].ready != 0 || a.by.expired()) {
          finished.push_back(std::move(a));
        } else {
          still.push_back(std::move(a));
        }
      }
      active_ = std::move(still);
      for (auto& a : finished) {
        const bool expired = a.by.expired();  // once: SO_ERROR is cleared by reading it
        std::error_code ec = expired ? std::error_code() : connect_finish(a.sock);
        bool answered = true;
        if (expired) {
          // Check once more: the answer may have come with the deadline.
          wait_entry e{a.sock.native_handle(), wait_entry::writable, 0};
          auto now = wait_any({&e, 1}, deadline::at(clock::now()));
          answered = now && *now == 1;
          ec = answered ? connect_finish(a.sock) : std::make_error_code(std::errc::timed_out);
        }
        settle(std::move(a), ec, answered);
      }
    }
    return status();
  }

  // The UDP scan: each port gets a datagram, and another every wait/(retries+1) seconds while it
  // stays silent, all within its -w budget; as many ports in flight as --concurrency allows.
  int run_udp() {
    std::vector<wait_entry> fds;
    std::vector<std::byte> buf(2048);
    while (printed_ < results_.size()) {
      while (udp_active_.size() < static_cast<std::size_t>(concurrency_) && (!deferred_.empty() || next_ < results_.size())) {
        auto [index, addr_i] = next_start();
        start_udp(index, addr_i, deadline::after_seconds(wait_s_));
      }
      print_ready();
      if (stdout_error()) break;
      if (udp_active_.empty()) continue;

      fds.clear();
      deadline first = deadline::never();
      for (const auto& a : udp_active_) {
        fds.push_back({a.sock.native_handle(), wait_entry::readable, 0});
        if (first.is_never() || a.resend.when() < first.when()) first = a.resend;
      }
      if (auto rc = wait_any(fds, soon(first)); !rc) return fail("poll", rc.error());
      if (stop_requested()) return cut_short();
      std::vector<udp_attempt> still;
      std::vector<std::pair<udp_attempt, std::error_code>> finished;  // ec: the answer (none: a reply)
      for (std::size_t i = 0; i < fds.size(); ++i) {
        auto& a = udp_active_[i];
        if (fds[i].ready == 0 && !a.resend.expired()) {
          still.push_back(std::move(a));
          continue;
        }
        // Read also when only the time is up: the answer may have come with it.
        auto got = try_recv_from(a.sock, buf);
        if (got) {
          finished.emplace_back(std::move(a), std::error_code());
          continue;
        }
        if (got.error() != errc::would_block) {
          finished.emplace_back(std::move(a), got.error());
          continue;
        }
        if (!a.resend.expired()) {  // woken for nothing: keep waiting
          still.push_back(std::move(a));
          continue;
        }
        if (a.tries_left == 0 || a.by.expired()) {
          finished.emplace_back(std::move(a), std::make_error_code(std::errc::timed_out));
          continue;
        }
        --a.tries_left;
        spdlog::debug("{}: no answer yet, sending again", results_[a.index].address.to_string());
        if (auto ec = send_probe(a); ec) {
          finished.emplace_back(std::move(a), ec);
          continue;
        }
        still.push_back(std::move(a));
      }
      udp_active_ = std::move(still);
      for (auto& [a, ec] : finished) settle_udp(std::move(a), ec);
    }
    return status();
  }

  // 0 when a port is open; with UDP, as nc -zu, silence counts: a port that drew no ICMP error
  // may well be listening.
  int status() const {
    bool any_open = std::any_of(results_.begin(), results_.end(), [this](const port_result& r) {
      return r.state == port_state::open || (udp_ && r.state == port_state::open_filtered);
    });
    return any_open ? exit_ok : exit_failure;
  }

  // The stop handlers only raise a flag (and poll retries an interrupted wait): waits last 200 ms
  // at most, so Ctrl+C ends a scan of silent ports at once rather than after -w.
  static deadline soon(deadline by) { return by.within(std::chrono::milliseconds(200)); }

  // Ctrl+C or SIGTERM: what is known goes out (the ports after one still pending too, out of
  // order), then how many were left unknown; the exit status is the usual one.
  int cut_short() {
    std::size_t unknown = 0;
    for (; printed_ < results_.size(); ++printed_) {
      const auto& r = results_[printed_];
      if (r.state == port_state::pending) {
        ++unknown;
      } else if (!only_open_ || r.state == port_state::open || r.state == port_state::open_filtered) {
        print(r);
      }
    }
    notice(fmt::format("interrupted: {} of {} port(s) not probed", unknown, results_.size()));
    return status();
  }

  // nmap sends an empty datagram to ports it has no payload for; so do we, to every port: it
  // costs a listener nothing, and an echo service answers it with another.
  std::error_code send_probe(udp_attempt& a) {
    auto sent = try_send_to(a.sock, {}, endpoint());
    deadline step_end = deadline::after_seconds(wait_s_ / (retries_ + 1));
    a.resend = a.tries_left > 0 && step_end.when() < a.by.when() ? step_end : a.by;
    if (!sent && sent.error() != errc::would_block) return sent.error();
    return {};
  }

  void start_udp(std::size_t index, std::size_t addr_i, deadline by) {
    auto& r = results_[index];
    for (; addr_i < addrs_.size(); ++addr_i) {
      endpoint to = addrs_[addr_i];
      to.set_port(r.port);
      r.address = to;
      auto started = clock::now();
      auto s = udp_open(to.family(), true);
      if (!s) {
        if (!defer_if_out_of_descriptors(index, addr_i, s.error(), udp_active_.size())) finish(r, port_state::error, s.error(), started);
        return;
      }
      // Every ICMP error comes back, host and network unreachable too (filtered, as nmap says).
      std::error_code ec = set_recv_errors(*s, true);
      if (!ec) ec = udp_connect(*s, to);
      udp_attempt a{index, addr_i, std::move(*s), started, by, by, retries_};
      if (!ec) ec = send_probe(a);
      if (!ec) {
        udp_active_.push_back(std::move(a));
        return;
      }
      if (addr_i + 1 == addrs_.size() || by.expired()) {
        finish(r, classify_udp(ec), ec, started);
        return;
      }
      spdlog::debug("{}: {}; trying the next address", to.to_string(), ec.message());
    }
  }

  // A reply: open. ECONNREFUSED (ICMP port unreachable): closed. Other ICMP errors (host or
  // network unreachable, prohibited): filtered, as nmap. Silence: open|filtered.
  static port_state classify_udp(std::error_code ec) {
    if (!ec) return port_state::open;
    if (ec == std::errc::timed_out) return port_state::open_filtered;
    return classify(ec);
  }

  void settle_udp(udp_attempt a, std::error_code ec) {
    auto& r = results_[a.index];
    auto state = classify_udp(ec);
    // An address that refuses may not be the only one (localhost: ::1 then 127.0.0.1).
    if (state == port_state::closed && a.address + 1 < addrs_.size() && !a.by.expired()) {
      spdlog::debug("{}: {}; trying the next address", r.address.to_string(), ec.message());
      start_udp(a.index, a.address + 1, a.by);
      return;
    }
    finish(r, state, ec, a.started);
  }

  // Starts a non-blocking connect to port `index` at address `addr_i` (or the next that can be
  // tried); settles at once when the kernel answers immediately.
  void start(std::size_t index, std::size_t addr_i, deadline by) {
    auto& r = results_[index];
    for (; addr_i < addrs_.size(); ++addr_i) {
      endpoint to = addrs_[addr_i];
      to.set_port(r.port);
      r.address = to;
      auto started = clock::now();
      auto s = socket::open(to.family(), SOCK_STREAM | SOCK_NONBLOCK);
      if (!s) {
        if (!defer_if_out_of_descriptors(index, addr_i, s.error(), active_.size())) finish(r, port_state::error, s.error(), started);
        return;
      }
      auto ec = connect_start(*s, to);
      if (!ec) {
        finish(r, port_state::open, {}, started);
        return;
      }
      if (ec == std::errc::operation_in_progress) {
        active_.push_back(attempt{index, addr_i, std::move(*s), started, by});
        return;
      }
      if (addr_i + 1 == addrs_.size() || by.expired()) {
        finish(r, classify(ec), ec, started);
        return;
      }
      spdlog::debug("{}: {}; trying the next address", to.to_string(), ec.message());
    }
  }

  // The next port to start: one put back for want of a descriptor first, then the next new one.
  std::pair<std::size_t, std::size_t> next_start() {
    if (deferred_.empty()) return {next_++, 0};
    auto d = deferred_.front();
    deferred_.pop_front();
    return d;
  }

  // Out of descriptors (inherited ones count too) with attempts in flight: the port waits for one
  // of them to end instead of being reported as an error, and no more than are in flight now run
  // at once from here on. With nothing in flight there is nothing to wait for: an error.
  bool defer_if_out_of_descriptors(std::size_t index, std::size_t addr_i, std::error_code ec, std::size_t in_flight) {
    // By value, not `ec == std::errc::...`: that comparison is a virtual call, which UBSan checks by
    // opening a pipe (none can be had here), turning a sanitized run into a false report.
    bool out_of_fds = ec.category() == std::system_category() && (ec.value() == EMFILE || ec.value() == ENFILE);
    if (!out_of_fds || in_flight == 0) return false;
    deferred_.emplace_back(index, addr_i);
    if (in_flight < static_cast<std::size_t>(concurrency_)) {
      concurrency_ = static_cast<int>(in_flight);
      spdlog::info("out of descriptors: {} at a time from now on", concurrency_);
    }
    return true;
  }

  void settle(attempt a, std::error_code ec, bool answered) {
    auto& r = results_[a.index];
    if (!ec) {
      finish(r, port_state::open, {}, a.started);
      return;
    }
    auto state = classify(ec);
    // An address that refuses may not be the only one (localhost: ::1 then 127.0.0.1).
    if (state != port_state::filtered || answered) {
      if (a.address + 1 < addrs_.size() && !a.by.expired()) {
        spdlog::debug("{}: {}; trying the next address", r.address.to_string(), ec.message());
        start(a.index, a.address + 1, a.by);
        return;
      }
    }
    finish(r, state, ec, answered ? a.started : clock::time_point{});
  }

  void finish(port_result& r, port_state state, std::error_code ec, clock::time_point started) {
    r.state = state;
    r.ec = ec;
    if (started != clock::time_point{} && ec != std::errc::timed_out) {
      r.rtt_ms = std::chrono::duration<double, std::milli>(clock::now() - started).count();
    }
  }

  // Results go out in the order the ports were given, each as soon as it and all before it are known.
  void print_ready() {
    while (printed_ < results_.size() && results_[printed_].state != port_state::pending) {
      const auto& r = results_[printed_++];
      // --open, as nmap's: the ports that may be open, open|filtered included.
      if (only_open_ && r.state != port_state::open && r.state != port_state::open_filtered) continue;
      print(r);
    }
  }

  void print(const port_result& r) {
    double rtt = std::isnan(r.rtt_ms) ? NAN : std::round(r.rtt_ms * 1000.0) / 1000.0;
    if (json_) {
      json_object o;
      o.add("host", host_).add("address", r.address.address()).add("port", static_cast<int>(r.port));
      o.add("state", state_name(r.state));
      if (std::isnan(rtt)) o.add_null("rtt_ms"); else o.add("rtt_ms", rtt);
      if (r.ec) o.add("error", error_name(r.ec)); else o.add_null("error");
      o.add("protocol", udp_ ? "udp" : "tcp");  // added last: the TCP objects kept their key order
      print_json(o);
      return;
    }
    std::string detail;
    if (r.state == port_state::open) {
      detail = fmt::format("({:.3f} ms)", rtt);
    } else if (r.ec == std::errc::timed_out && udp_) {
      detail = fmt::format("(no answer within {} s, {} datagram{})", wait_s_, retries_ + 1, retries_ == 0 ? "" : "s");
    } else if (r.ec == std::errc::timed_out) {
      detail = fmt::format("(no answer within {} s)", wait_s_);
    } else if (r.ec) {
      detail = "(" + r.ec.message() + ")";
    }
    std::string line = fmt::format("{} port {}/{} {} {}\n", r.address.address(), r.port, udp_ ? "udp" : "tcp",
                                   state_name(r.state), detail);
    (void)write_out(line);
  }

  static std::string error_name(std::error_code ec) {
    if (ec.category() == std::system_category() || ec.category() == std::generic_category()) {
      if (auto n = errno_name(ec.value()); !n.empty()) return std::string(n);
    }
    return ec.message();
  }

  std::string host_;
  std::vector<endpoint> addrs_;
  double wait_s_;
  int concurrency_;
  bool json_;
  bool udp_;
  int retries_;
  bool only_open_;
  std::vector<port_result> results_;
  std::vector<attempt> active_;
  std::vector<udp_attempt> udp_active_;
  std::deque<std::pair<std::size_t, std::size_t>> deferred_;  // (port index, address index) to start again
  std::size_t next_ = 0;
  std::size_t printed_ = 0;
};

int run_probe(const probe_args& a, const context& ctx) {
  int code = exit_ok;
  std::string host = a.host;
  double wait_s = default_wait_s;
  if (!check_host_arg(host, code)) return code;
  std::string bad_name;
  auto ports = parse_port_list(a.ports, a.udp ? transport::udp : transport::tcp, &bad_name);
  if (!ports && ports.error() == errc::unknown_service) return usage_error("bad port", bad_name, ports.error());
  if (!ports) {
    return fail_message("bad ports '" + a.ports + "': expected ports 1-65535 like 22, 80,443, 8000-8100 or ssh,http",
                        exit_usage);
  }
  if (!a.udp && a.retries_given) return fail_message("--retries applies to -u/--udp only", exit_usage);
  if (!a.wait.empty() && !parse_seconds_arg("wait", a.wait, wait_s, code, false)) return code;

  resolve_options ro;
  ro.family = a.v4 ? ip_family::v4 : a.v6 ? ip_family::v6 : ip_family::any;
  ro.socktype = a.udp ? SOCK_DGRAM : SOCK_STREAM;
  auto eps = resolve(host, 0, ro);
  if (!eps) {
    if (code_for(eps.error()) == exit_usage) return usage_error("bad host", host, eps.error());
    return fail("resolve " + host, eps.error());
  }

  // Each connect in flight holds a descriptor: stay inside RLIMIT_NOFILE, counting those already
  // open (inherited ones too), with a few to spare (a sanitizer's checks open pipes). Should the
  // count be off, a port that finds no descriptor waits for one (defer_if_out_of_descriptors).
  int concurrency = a.concurrency;
#ifndef _WIN32  // Windows has no such limit on sockets
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
    constexpr rlim_t spare = 4;
    rlim_t used = open_fd_count() + spare;
    auto cap = static_cast<int>(rl.rlim_cur > used + 1 ? std::min<rlim_t>(rl.rlim_cur - used, 65535) : 1);
    if (concurrency > cap) {
      spdlog::info("concurrency {} lowered to {} (open files limit {}, {} open)", concurrency, cap, rl.rlim_cur,
                   used - spare);
      concurrency = cap;
    }
  }
#endif
  spdlog::info("probing {} {} port(s) on {} ({} address(es)), {} at a time, {} s each", ports->size(),
               a.udp ? "UDP" : "TCP", host, eps->size(), concurrency, wait_s);
  probe_settings ps;
  ps.wait_s = wait_s;
  ps.concurrency = concurrency;
  ps.json = ctx.json;
  ps.udp = a.udp;
  ps.retries = a.retries;
  ps.only_open = a.only_open;
  defer_stop(true);  // the first signal only raises the flag: the scan prints what it knows
  install_stop_handlers();
  prober p(host, std::move(*eps), *ports, ps);
  return p.run();
}

}  // namespace

void setup_probe(CLI::App& cmd, context& ctx) {
  auto a = std::make_shared<probe_args>();
  cmd.add_option("host", a->host, "Host name or address to probe")->required();
  cmd.add_option("ports", a->ports, "Ports: 22, 80,443, 8000-8100, service names (ssh,http) or a mix (1-65535)")
      ->required();
  cmd.add_option("-w,--wait", a->wait,
                 fmt::format("Seconds to wait for each port's answer, fractions allowed (default {})", default_wait_s))
      ->option_text("SECS");
  auto* o4 = cmd.add_flag("-4,--ipv4", a->v4, "Use IPv4 addresses only");
  auto* o6 = cmd.add_flag("-6,--ipv6", a->v6, "Use IPv6 addresses only");
  o4->excludes(o6);
  cmd.add_option("-c,--concurrency", a->concurrency,
                 fmt::format("Connects in flight at once (default {})", default_concurrency))
      ->check(int_check(1, 65535))
      ->option_text("N");
  cmd.add_flag("-u,--udp", a->udp, "Probe UDP ports: a datagram each; a reply is open, ICMP port unreachable closed");
  auto* retries = cmd.add_option("--retries", a->retries,
                                 fmt::format("With -u: datagrams sent again to a silent port within -w (default {})",
                                             default_udp_retries))
                      ->check(int_check(0, 10))
                      ->option_text("N");
  cmd.add_flag("--open", a->only_open, "Print only the ports that may be open (open, and open|filtered with -u)");
  cmd.footer(
      "Examples:\n"
      "  sockit probe 127.0.0.1 22                 # is ssh listening?\n"
      "  sockit probe localhost 80,443,8000-8100   # several ports at once\n"
      "  sockit probe localhost ssh,http,https     # service names from /etc/services\n"
      "  sockit probe --open 127.0.0.1 1-1024      # only the open ones\n"
      "  sockit probe -u -w 1 127.0.0.1 53,123,7007  # UDP, as nmap -sU\n"
      "  sockit --json probe -w 0.5 ::1 1-1024     # one JSON object per port\n"
      "States: open (connected; with -u, a reply came), closed (refused; with -u, ICMP port unreachable),\n"
      "filtered (no answer within -w, or unreachable), open|filtered (-u: no answer to any datagram within -w:\n"
      "a silent service or a firewall), error (a local failure, e.g. out of descriptors).\n"
      "Exit status: 0 if any port is open (with -u also open|filtered, as nc -zu), 1 if none is, 2 usage error.");
  cmd.callback([a, retries, &ctx] {
    a->retries_given = retries->count() > 0;
    ctx.run = [a, &ctx] { return run_probe(*a, ctx); };
  });
}

}  // namespace sockit::cli
