// Shared CLI helpers.
#include "cli.hpp"

#include <fstream>

#include <algorithm>
#include <cctype>
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
#include "sockit/io.hpp"

namespace sockit::cli {

int fail(std::string_view what, std::error_code ec) {
  print_err("sockit: {}\n", describe(what, ec));
  return code_for(ec);
}

void announce_listening(const endpoint& at, std::string_view proto, std::string_view service) {
  notice(fmt::format("listening on {} ({}){}{}", at.to_string(), proto, service.empty() ? "" : " ", service));
}

void notice(std::string_view message) {
  print_err("sockit: {}\n", message);
}

int fail_message(std::string_view message, int code) {
  notice(message);
  return code;
}

int refuse_port_zero() { return fail_message("bad port '0': cannot connect to port 0", exit_usage); }

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
      case errc::unknown_service:
      case errc::bad_duration:
        return exit_usage;
      default:
        return exit_failure;
    }
  }
  return exit_failure;
}

void setup_logging(int verbosity) {
  auto logger = spdlog::stderr_color_mt("sockit");
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  logger->set_level(verbosity >= 2 ? spdlog::level::debug : verbosity == 1 ? spdlog::level::info : spdlog::level::warn);
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(logger);
}

std::error_code write_fd(int fd, std::string_view data) { return write_all(fd, as_bytes(data)).ec; }

}  // namespace sockit::cli
