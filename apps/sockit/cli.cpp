// Shared CLI helpers.
#include "cli.hpp"

#include <fstream>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <fstream>
#include <map>
#include <optional>
#include <unistd.h>

#include <fmt/core.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "output.hpp"
#include "sockit/error.hpp"

namespace sockit::cli {

int fail(std::string_view what, std::error_code ec) {
  print_err("sockit: {}\n", describe(what, ec));
  return code_for(ec);
}

int bind_failure(std::string_view what, std::error_code ec, std::string_view choose) {
  auto line = describe(what, ec);
  if (ec == std::errc::permission_denied) {
    int start = 1024;
    std::ifstream("/proc/sys/net/ipv4/ip_unprivileged_port_start") >> start;
    line += fmt::format("; ports below {} need root or CAP_NET_BIND_SERVICE ({})", start, choose);
  } else if (ec == std::errc::address_in_use) {
    line += fmt::format("; another program holds it ({})", choose);
  }
  return fail_message(line, exit_failure);
}

void notice(std::string_view message) {
  print_err("sockit: {}\n", message);
}

int fail_message(std::string_view message, int code) {
  notice(message);
  return code;
}

int usage_error(std::string_view what, std::string_view text, std::error_code ec) {
  print_err("sockit: {} '{}': {}\n", what, text, ec.message());
  return exit_usage;
}

int code_for(std::error_code ec) {
  if (ec.category() == sockit_category()) {
    switch (static_cast<errc>(ec.value())) {
      case errc::bad_address:
      case errc::bad_port:
      case errc::bad_host:
      case errc::bad_duration:
        return exit_usage;
      default:
        return exit_failure;
    }
  }
  return exit_failure;
}

bool parse_address_arg(std::string_view text, host_port& out, int& exit) {
  auto hp = parse_host_port(text);
  if (!hp) {
    exit = usage_error("bad address", text, hp.error());
    return false;
  }
  out = *hp;
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

std::chrono::milliseconds seconds_to_ms(double seconds) {
  using ms = std::chrono::milliseconds;
  if (!(seconds > 0)) return ms(0);
  if (seconds > max_seconds) seconds = max_seconds;
  return std::max(ms(1), ms(static_cast<std::int64_t>(seconds * 1000)));
}

CLI::Option* add_engine_option(CLI::App& app, engine& e) {
  // A plain transform rather than CLI::CheckedTransformer: that one also takes the enum's numbers
  // ("--engine 3") and, on a bad name, prints its internal map ("{auto->0,...}").
  static const std::map<std::string, engine, std::less<>> names{
      {"auto", engine::automatic}, {"epoll", engine::epoll}, {"poll", engine::poll}, {"select", engine::select}};
  return app
      .add_option_function<std::string>(
          "--engine", [&e](const std::string& name) { e = names.find(name)->second; },
          "Event loop backend: auto (the fastest available), epoll, poll or select")
      // A transform hands the lowered name on to the function above, which then always finds it.
      ->transform(CLI::Validator(
          [](std::string& name) -> std::string {
            std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
            if (names.find(name) != names.end()) return "";
            return "bad value '" + name + "': expected auto, epoll, poll or select";
          },
          "auto|epoll|poll|select"))
      ->option_text("auto|epoll|poll|select")
      ->default_str("auto");
}

void setup_logging(int verbosity) {
  auto logger = spdlog::stderr_color_mt("sockit");
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  logger->set_level(verbosity >= 2 ? spdlog::level::debug : verbosity == 1 ? spdlog::level::info : spdlog::level::warn);
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(logger);
}

std::error_code write_fd(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return last_error();
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

}  // namespace sockit::cli
