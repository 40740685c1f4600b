// sockit probe HOST PORTS: which TCP ports accept connections, like nc -zv, but with many
// non-blocking connects in flight at once on one wait_any set.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include <sys/resource.h>
#include <sys/socket.h>

#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include "args.hpp"
#include "commands.hpp"
#include "json.hpp"
#include "netcat_pump.hpp"
#include "sockit/deadline.hpp"
#include "sockit/error.hpp"
#include "sockit/tcp.hpp"
#include "sockit/wait.hpp"

namespace sockit::cli {
namespace {

constexpr double default_wait_s = 3.0;
constexpr int default_concurrency = 100;

struct probe_args {
  std::string host;
  std::string ports;
  std::string wait;
  bool v4 = false;
  bool v6 = false;
  int concurrency = default_concurrency;
};

enum class port_state { pending, open, closed, filtered, error };

const char* state_name(port_state s) {
  switch (s) {
    case port_state::open: return "open";
    case port_state::closed: return "closed";
    case port_state::filtered: return "filtered";
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

class prober {
 public:
  prober(std::string host, std::vector<endpoint> addrs, const std::vector<std::uint16_t>& ports, double wait_s,
         int concurrency, bool json)
      : host_(std::move(host)), addrs_(std::move(addrs)), wait_s_(wait_s), concurrency_(concurrency), json_(json) {
    results_.resize(ports.size());
    for (std::size_t i = 0; i < ports.size(); ++i) results_[i].port = ports[i];
  }

  int run() {
    std::vector<wait_entry> fds;
    while (printed_ < results_.size()) {
      while (active_.size() < static_cast<std::size_t>(concurrency_) && next_ < results_.size()) {
        start(next_++, 0, deadline::after_seconds(wait_s_));
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
      if (auto rc = wait_any(fds, first); !rc) return fail("poll", rc.error());
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
    bool any_open = std::any_of(results_.begin(), results_.end(), [](const port_result& r) {
      return r.state == port_state::open;
    });
    return any_open ? exit_ok : exit_failure;
  }

 private:
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
        finish(r, port_state::error, s.error(), started);
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
      print(results_[printed_++]);
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
      print_json(o);
      return;
    }
    std::string detail;
    if (r.state == port_state::open) {
      detail = fmt::format("({:.3f} ms)", rtt);
    } else if (r.ec == std::errc::timed_out) {
      detail = fmt::format("(no answer within {} s)", wait_s_);
    } else if (r.ec) {
      detail = "(" + r.ec.message() + ")";
    }
    std::string line = fmt::format("{} port {}/tcp {} {}\n", r.address.address(), r.port, state_name(r.state), detail);
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
  std::vector<port_result> results_;
  std::vector<attempt> active_;
  std::size_t next_ = 0;
  std::size_t printed_ = 0;
};

int run_probe(const probe_args& a, const context& ctx) {
  int code = exit_ok;
  std::string host = a.host;
  double wait_s = default_wait_s;
  if (!check_host_arg(host, code)) return code;
  auto ports = parse_port_list(a.ports);
  if (!ports) {
    return fail_message("bad ports '" + a.ports + "': expected ports 1-65535 like 22, 80,443 or 8000-8100",
                        exit_usage);
  }
  if (!a.wait.empty() && !parse_seconds_arg("wait", a.wait, wait_s, code, false)) return code;

  resolve_options ro;
  ro.family = a.v4 ? ip_family::v4 : a.v6 ? ip_family::v6 : ip_family::any;
  auto eps = resolve(host, 0, ro);
  if (!eps) {
    if (code_for(eps.error()) == exit_usage) return usage_error("bad host", host, eps.error());
    return fail("resolve " + host, eps.error());
  }

  // Each connect in flight holds a descriptor: stay well inside RLIMIT_NOFILE.
  int concurrency = a.concurrency;
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
    auto cap = static_cast<int>(std::max<rlim_t>(rl.rlim_cur, 32) - 16);
    if (concurrency > cap) {
      spdlog::info("concurrency {} lowered to {} (open files limit {})", concurrency, cap, rl.rlim_cur);
      concurrency = cap;
    }
  }
  spdlog::info("probing {} port(s) on {} ({} address(es)), {} at a time, {} s each", ports->size(), host,
               eps->size(), concurrency, wait_s);
  prober p(host, std::move(*eps), *ports, wait_s, concurrency, ctx.json);
  return p.run();
}

}  // namespace

void setup_probe(CLI::App& cmd, context& ctx) {
  auto a = std::make_shared<probe_args>();
  cmd.add_option("host", a->host, "Host name or address to probe")->required();
  cmd.add_option("ports", a->ports, "Ports: 22, 80,443, 8000-8100 or a mix (1-65535)")->required();
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
  cmd.footer(
      "Examples:\n"
      "  sockit probe 127.0.0.1 22                 # is ssh listening?\n"
      "  sockit probe localhost 80,443,8000-8100   # several ports at once\n"
      "  sockit --json probe -w 0.5 ::1 1-1024     # one JSON object per port\n"
      "States: open (connected), closed (refused), filtered (no answer within -w, or unreachable),\n"
      "error (a local failure, e.g. out of descriptors).\n"
      "Exit status: 0 if any port is open, 1 if none is (as nc -z), 2 usage error.");
  cmd.callback([a, &ctx] { ctx.run = [a, &ctx] { return run_probe(*a, ctx); }; });
}

}  // namespace sockit::cli
