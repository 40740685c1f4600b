// The argument helpers shared by the subcommands (see args.hpp).
#include "args.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <fstream>
#include <map>
#include <optional>
#include <thread>
#include <unordered_set>

#include <fmt/core.h>
#include <CLI/CLI.hpp>

#include "sockit/engine.hpp"

#include "cli.hpp"
#include "sockit/error.hpp"
#include "sockit/unix.hpp"

namespace sockit::cli {

// ---- addresses, hosts and ports ----------------------------------------------------------------

namespace {

// A command that takes no Unix socket address says so, instead of reading "unix" as a host.
bool refuse_unix_address(std::string_view text, int& exit) {
  exit = fail_message(fmt::format("bad address '{}': this command takes no unix: address", text), exit_usage);
  return false;
}

}  // namespace

int address_usage_error(std::string_view what, std::string_view text, std::error_code ec) {
  if (ec == errc::unknown_service) {
    auto colon = text.rfind(':');
    return usage_error("bad port", colon == std::string_view::npos ? text : text.substr(colon + 1), ec);
  }
  return usage_error(what, text, ec);
}

bool parse_address_arg(std::string_view text, host_port& out, int& exit, transport t) {
  if (is_unix_address_text(text)) return refuse_unix_address(text, exit);
  auto hp = parse_host_port(text, t);
  if (!hp) {
    exit = address_usage_error("bad address", text, hp.error());
    return false;
  }
  out = *hp;
  return true;
}

bool parse_port_arg(std::string_view text, std::uint16_t& port, int& exit, transport t) {
  auto p = parse_port(text, t);
  if (!p) {
    exit = usage_error("bad port", text, p.error());
    return false;
  }
  port = *p;
  return true;
}

bool parse_port_option(std::string_view flag, std::string_view text, std::uint16_t& out, int& exit,
                       transport t) {
  auto p = parse_port(text, t);
  if (!p) {
    exit = usage_error("bad " + std::string(flag), text, p.error());
    return false;
  }
  out = *p;
  return true;
}

bool check_host_arg(std::string& host, int& exit) {
  if (is_unix_address_text(host)) return refuse_unix_address(host, exit);
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

bool parse_bind_address(std::string_view text, endpoint& out, int& exit, std::string_view what) {
  std::string host(text);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host.empty()) {
    exit = usage_error("bad " + std::string(what), text, make_error_code(errc::bad_host));
    return false;
  }
  if (auto e = endpoint::numeric(host, 0)) {
    out = *e;
    return true;
  }
  // Not a numeric address: let the host:port parser judge the syntax of a name. Text that only
  // looks like an address ("127.1", "1.2.3.4.5", "1:2:zz") is refused by resolve() as bad_host.
  auto hp = parse_host_port(host + ":0");
  if (!hp || hp->host != host) {
    exit = usage_error("bad " + std::string(what), text,
                       hp ? make_error_code(errc::bad_host) : hp.error());
    return false;
  }
  resolve_options ro;
  ro.passive = true;
  auto r = resolve(host, 0, ro);
  if (!r) {
    if (code_for(r.error()) == exit_usage) {
      exit = usage_error("bad " + std::string(what), text, r.error());
      return false;
    }
    exit = fail("resolve " + host, r.error());
    return false;
  }
  if (r->empty()) {
    exit = fail("resolve " + host, make_error_code(errc::no_addresses));
    return false;
  }
  out = r->front();
  return true;
}

result<std::vector<std::uint16_t>> parse_port_list(std::string_view text, transport t, std::string* bad_item) {
  std::vector<std::uint16_t> out;
  std::unordered_set<std::uint16_t> seen;
  auto number = [t](std::string_view word) -> result<std::uint16_t> {
    auto p = parse_port(word, t);
    if (!p) return p.error();
    if (*p == 0) return errc::bad_port;
    return *p;
  };
  if (text.empty()) return errc::bad_port;
  while (true) {
    auto comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    std::uint16_t lo = 0, hi = 0;
    auto whole = number(item);
    if (whole) {
      lo = hi = *whole;
    } else if (item.find('-') == std::string_view::npos) {
      if (bad_item && whole.error() == errc::unknown_service) *bad_item = std::string(item);
      return whole.error();
    } else {
      // A range LO-HI; names may hold dashes themselves ("http-alt-https"), so any dash whose two
      // sides are both ports will do.
      bool found = false;
      for (auto dash = item.find('-'); dash != std::string_view::npos; dash = item.find('-', dash + 1)) {
        auto a = number(item.substr(0, dash));
        auto b = number(item.substr(dash + 1));
        if (a && b) {
          if (*a > *b) return errc::bad_port;
          lo = *a;
          hi = *b;
          found = true;
          break;
        }
      }
      if (!found) {
        // Digits and dashes only ("80-70000", "-5"): a bad number. Else a word names no service
        // ("nosuch-80"): say which.
        if (item.find_first_not_of("0123456789-") == std::string_view::npos) return errc::bad_port;
        if (bad_item) {
          *bad_item = std::string(item);
          for (std::string_view side : {item.substr(0, item.find('-')), item.substr(item.find('-') + 1)}) {
            if (is_service_name(side) && side.find('-') == std::string_view::npos && !number(side)) {
              *bad_item = std::string(side);
              break;
            }
          }
        }
        return errc::unknown_service;
      }
    }
    for (unsigned p = lo; p <= hi; ++p) {
      if (seen.insert(static_cast<std::uint16_t>(p)).second) out.push_back(static_cast<std::uint16_t>(p));
    }
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

// ---- counts ------------------------------------------------------------------------------------

bool parse_threads_arg(std::string_view text, int& out, int& exit) {
  if (text == "auto") {
    out = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    return true;
  }
  // from_chars, not stoi: "2x", " 2" and "+2" are mistakes, not 2.
  int n = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (text.empty() || ec != std::errc{} || p != text.data() + text.size() || n < 1 || n > max_threads) {
    exit = fail_message(fmt::format("bad --threads '{}': a number from 1 to {} or 'auto'", text, max_threads),
                        exit_usage);
    return false;
  }
  out = n;
  return true;
}

namespace {

// from_chars reads the plain decimal forms only: no "+", no hex, no spaces; "inf" and "nan" are
// read, so the caller checks finiteness.
std::optional<double> parse_double(std::string_view text) {
  double v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return v;
}

// 31536000 rather than 3.1536e+07: a bound people can read and type back.
std::string plain(double v) { return v == std::floor(v) && std::fabs(v) < 1e15 ? fmt::format("{:.0f}", v) : fmt::format("{}", v); }

}  // namespace

std::string seconds_problem(std::string_view text, bool zero_ok, double max) {
  auto v = parse_double(text);
  if (v && std::isfinite(*v) && (zero_ok ? *v >= 0 : *v > 0) && *v <= max) return "";
  if (zero_ok) return fmt::format("must be a number of seconds from 0 to {} (e.g. 0.5)", plain(max));
  return fmt::format("must be a number of seconds greater than 0, at most {} (e.g. 0.5)", plain(max));
}

bool parse_seconds_arg(std::string_view what, std::string_view text, double& out, int& exit, bool zero_ok,
                       double max) {
  auto why = seconds_problem(text, zero_ok, max);
  if (!why.empty()) {
    exit = fail_message(fmt::format("bad {} '{}': {}", what, text, why), exit_usage);
    return false;
  }
  out = *parse_double(text);
  return true;
}

CLI::Validator seconds_check(bool zero_ok, double max) {
  return CLI::Validator(
      [zero_ok, max](std::string& text) {
        auto why = seconds_problem(text, zero_ok, max);
        return why.empty() ? why : fmt::format("bad value '{}': {}", text, why);
      },
      "SECS");
}

CLI::Validator number_check(double min, double max, std::string what) {
  return CLI::Validator(
      [min, max, what](std::string& text) -> std::string {
        auto v = parse_double(text);
        if (v && std::isfinite(*v) && *v >= min && *v <= max) return "";
        return fmt::format("bad value '{}': must be a number of {} from {} to {}", text, what, plain(min), plain(max));
      },
      "NUMBER");
}

CLI::Validator int_check(long long min, long long max, std::string what) {
  auto range = max == no_upper_bound ? fmt::format(", at least {}", min) : fmt::format(" from {} to {}", min, max);
  auto why = fmt::format("must be a whole number{}{}", what.empty() ? "" : " of " + what, range);
  return CLI::Validator(
      [min, max, why](std::string& text) -> std::string {
        // from_chars: "+5", " 5", "5.0", "1e3" and "0x10" are refused, not read as something else.
        long long v = 0;
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
        if (!text.empty() && ec == std::errc{} && end == text.data() + text.size() && v >= min && v <= max) return "";
        if (ec == std::errc::result_out_of_range && text[0] != '-' && max == no_upper_bound) {
          return fmt::format("bad value '{}': {}, at most {}", text, why, max);  // "at least 0" alone misleads
        }
        return fmt::format("bad value '{}': {}", text, why);
      },
      // The help text's "INT:..." type column, as CLI::Range had it.
      max == no_upper_bound ? fmt::format("INT >= {}", min) : fmt::format("INT in [{} - {}]", min, max));
}

CLI::Validator service_name_transform(transport t) {
  return CLI::Validator(
      [t](std::string& text) -> std::string {
        if (!is_service_name(text)) return "";
        auto p = parse_port(text, t);
        if (!p) return fmt::format("bad port '{}': {}", text, p.error().message());
        text = std::to_string(*p);
        return "";
      },
      "");
}

std::chrono::milliseconds seconds_to_ms(double seconds) {
  using ms = std::chrono::milliseconds;
  if (!(seconds > 0)) return ms(0);
  if (seconds > max_seconds) seconds = max_seconds;
  return std::max(ms(1), ms(static_cast<std::int64_t>(seconds * 1000)));
}

// ---- parse errors ------------------------------------------------------------------------------

std::string parse_error_text(const CLI::ParseError& e) {
  std::string_view text = e.what();
  if (text.starts_with(": ")) text.remove_prefix(2);
  return std::string(text);
}

namespace {

std::string command_list(const CLI::App& app) {
  std::string out;
  for (const auto* sub : app.get_subcommands([](const CLI::App* s) { return !s->get_name().empty(); })) {
    out += (out.empty() ? "" : ", ") + sub->get_name();
  }
  return out;
}

}  // namespace

std::string parse_error_line(const CLI::App& root, const CLI::ParseError& e, const std::vector<std::string>& args) {
  // CLI11 keeps "--" only in the leftovers of the command it ended, so find it in the command line.
  auto only_after_dashes = [&args](const std::string& arg) {
    auto dashes = std::find(args.begin(), args.end(), "--");
    return dashes != args.end() && std::find(args.begin(), dashes, arg) == dashes &&
           std::find(dashes, args.end(), arg) != args.end();
  };
  // The commands the parse went into, outermost first: "sockit", "udp", "send".
  std::vector<const CLI::App*> chain{&root};
  while (!chain.back()->get_subcommands().empty()) chain.push_back(chain.back()->get_subcommands().front());
  const CLI::App& last = *chain.back();
  std::string path;
  for (const auto* app : chain) path += (path.empty() ? "" : " ") + app->get_name();
  bool wants_command = last.get_require_subcommand_min() > 0;

  // Options first: an unknown option's value is among the leftover words, and is not the mistake.
  std::optional<std::string> word;
  for (const auto* app : chain) {
    if (app->get_prefix_command()) continue;
    bool words_only = false;  // after "--"
    for (const auto& arg : app->remaining()) {
      if (arg == "--") {
        words_only = true;
        continue;
      }
      bool option = !words_only && arg.size() > 1 && arg[0] == '-' && !parse_double(arg) && !only_after_dashes(arg);
      if (option) {
        auto name = arg.substr(0, arg.find('='));  // --name=value
        return fmt::format("unknown option '{}' for '{}' (see '{} --help')", name, path, path);
      }
      if (!word) word = arg;
    }
  }
  if (word && wants_command) return fmt::format("unknown command '{}' for '{}' ({})", *word, path, command_list(last));
  if (word) return fmt::format("unexpected argument '{}' for '{}' (see '{} --help')", *word, path, path);
  if (wants_command && dynamic_cast<const CLI::RequiredError*>(&e) != nullptr) {
    return fmt::format("'{}' needs a command ({})", path, command_list(last));
  }
  std::string text = parse_error_text(e);
  // CLI11's wording for an option given twice, and for a value outside a list, said plainly.
  if (auto at = text.find(": At Most 1 required but received "); at != std::string::npos) {
    return text.substr(0, at) + ": given more than once";
  }
  if (auto at = text.find(" not in {"); at != std::string::npos && text.ends_with("}")) {
    auto colon = text.find(": ");
    if (colon != std::string::npos && colon < at) {
      std::string choices = text.substr(at + 9, text.size() - at - 10);
      std::replace(choices.begin(), choices.end(), ',', ' ');
      return fmt::format("{}: bad value '{}': not one of {}", text.substr(0, colon), text.substr(colon + 2, at - colon - 2),
                         choices);
    }
  }
  return text;
}

std::string empty_option_value(const CLI::App& root) {
  std::vector<const CLI::App*> chain{&root};
  while (!chain.back()->get_subcommands().empty()) chain.push_back(chain.back()->get_subcommands().front());
  for (const auto* app : chain) {
    for (const CLI::Option* o : app->get_options()) {
      if (!o->nonpositional() || o->get_type_size_max() == 0) continue;  // words, and flags
      // A value that may be left out (--keepalive[=...]) reads as "" when it is; --time-format ''
      // means the default pattern (proto.md).
      if (o->get_expected_min() == 0 || o->check_name("--time-format")) continue;
      for (const auto& r : o->results()) {
        if (r.empty()) return fmt::format("{}: empty value (leave the option out for its default)", o->get_name());
      }
    }
  }
  return "";
}

std::string unknown_global_option(const CLI::App& root, std::string_view arg) {
  std::string name(arg.substr(0, arg.find('=')));
  bool known = root.get_option_no_throw(name) != nullptr;
  if (!known && name.size() > 2 && name[1] != '-') {  // a bundle of short flags: -vx, -vv
    known = true;
    for (char c : name.substr(1)) known = known && root.get_option_no_throw(std::string{'-', c}) != nullptr;
  }
  if (known || name == "-" || name == "--") return "";
  return fmt::format("unknown option '{}' for '{}' (see '{} --help')", name, root.get_name(), root.get_name());
}

// ---- options and failures shared by the servers ------------------------------------------------

namespace {

// "a, b, c or d" and "a|b|c|d" from the engine table (with "auto" first), for help and errors.
// The engine a name picks on this machine: "auto" or an available backend.
std::optional<engine> choose_engine(std::string_view name) {
  if (name == "auto") return engine::automatic;
  for (const auto& info : available_engines()) {
    if (info.name == name) return info.id;
  }
  return std::nullopt;
}

std::string engine_choices(std::string_view sep, std::string_view last_sep) {
  std::vector<std::string_view> names{"auto"};
  for (const auto& info : available_engines()) names.push_back(info.name);
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += i + 1 == names.size() ? last_sep : sep;
    out += names[i];
  }
  return out;
}

// "engine uring is not available here: io_uring_setup: Operation not permitted (...)".
std::string engine_unavailable(engine e) {
  auto ec = engine_status(e);
  if (e != engine::uring) return fmt::format("engine {} is not available here: {}", engine_name(e), ec.message());
  std::string_view cause = ec == std::errc::function_not_supported   ? "a kernel without io_uring, or a seccomp filter denies it; "
                           : ec == std::errc::operation_not_permitted ? "kernel.io_uring_disabled, or a seccomp or security policy forbids it; "
                                                                      : "";
  return fmt::format("engine uring is not available here: io_uring_setup: {} ({}--engine auto falls back to epoll)",
                     ec.message(), cause);
}

}  // namespace

CLI::Option* add_engine_option(CLI::App& app, engine& e) {
  // A plain transform rather than CLI::CheckedTransformer: that one also takes the enum's numbers
  // ("--engine 3") and, on a bad name, prints its internal map ("{auto->0,...}"). The names come
  // from the library's engine table, so a new backend shows up here by itself.
  // "auto, uring, epoll, poll or select" -> "auto (the fastest available), uring, epoll, ...".
  std::string help = "Event loop backend: " + engine_choices(", ", " or ");
  help.insert(help.find("auto") + 4, " (the fastest available)");
  const std::string bar = engine_choices("|", "|");
  return app
      .add_option_function<std::string>(
          "--engine", [&e](const std::string& name) { e = *choose_engine(name); },
          help)
      // A transform hands the lowered name on to the function above, which then always parses it.
      ->transform(CLI::Validator(
          [](std::string& name) -> std::string {
            std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
            if (choose_engine(name)) return "";
            if (auto known = parse_engine(name)) return engine_unavailable(*known);
            return "bad value '" + name + "': expected " + engine_choices(", ", " or ");
          },
          bar))
      ->option_text(bar)
      ->default_str("auto");
}

void add_engines_flag(CLI::App& app) {
  app.add_flag_callback(
         "--engines",
         [] {
           // One line per backend this machine can run: "NAME MAX_FDS" (0: no limit of its own).
           // Test scripts read it (lib.sh `engines`), so the list lives in the library only.
           for (const auto& info : available_engines()) print_out("{} {}\n", info.name, info.max_fds);
           throw CLI::Success();
         },
         "Print the event loop backends (name and descriptor limit) and exit")
      ->group("");  // hidden: for scripts
}

std::string bind_failure_line(std::string_view what, std::error_code ec, std::string_view choose) {
  auto line = describe(what, ec);
  if (ec == std::errc::permission_denied) {
    int start = 1024;
    std::ifstream("/proc/sys/net/ipv4/ip_unprivileged_port_start") >> start;
    line += fmt::format("; ports below {} need root or CAP_NET_BIND_SERVICE ({})", start, choose);
  } else if (ec == std::errc::address_in_use) {
    line += fmt::format("; another program holds it ({})", choose);
  }
  return line;
}

int bind_failure(std::string_view what, std::error_code ec, std::string_view choose) {
  return fail_message(bind_failure_line(what, ec, choose), exit_failure);
}

}  // namespace sockit::cli
