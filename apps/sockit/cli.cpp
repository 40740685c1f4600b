// Shared CLI helpers.
#include "cli.hpp"

#include <cerrno>
#include <unistd.h>

#include <fmt/core.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "sockit/error.hpp"

namespace sockit::cli {

int fail(std::string_view what, std::error_code ec) {
  fmt::print(stderr, "sockit: {}\n", describe(what, ec));
  std::fflush(stderr);
  return code_for(ec);
}

int fail_message(std::string_view message, int code) {
  fmt::print(stderr, "sockit: {}\n", message);
  std::fflush(stderr);
  return code;
}

int usage_error(std::string_view what, std::string_view text, std::error_code ec) {
  fmt::print(stderr, "sockit: {} '{}': {}\n", what, text, ec.message());
  std::fflush(stderr);
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

CLI::Option* add_engine_option(CLI::App& app, engine& e) {
  static const std::map<std::string, engine> names{
      {"auto", engine::automatic}, {"epoll", engine::epoll}, {"poll", engine::poll}, {"select", engine::select}};
  return app.add_option("--engine", e, "Event loop backend: auto (the fastest available), epoll, poll or select")
      ->transform(CLI::CheckedTransformer(names, CLI::ignore_case))
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
