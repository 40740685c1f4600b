// sockit: one binary, one subcommand per job (see commands.hpp).
#include <csignal>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include "args.hpp"
#include "cli.hpp"
#include "commands.hpp"

int main(int argc, char** argv) {
  using namespace sockit::cli;
  context ctx;
  CLI::App app{"sockit: low-level TCP/UDP networking toolkit", "sockit"};
  app.set_version_flag("--version", "sockit 0.1.0");
  app.require_subcommand(1);
  app.fallthrough();
  app.add_flag("-v,--verbose", ctx.verbosity, "Log to stderr with timestamps (-vv: debug)");
  app.add_flag("-x,--hexdump", ctx.hexdump, "Dump traffic to stderr in hex, like ncat --hex-dump");
  app.add_flag("--json", ctx.json, "Print results as JSON (one object, or one per line for streams)");
  app.footer(
      "Examples:\n"
      "  sockit serve                      # echo/discard/daytime/chargen on 127.0.0.1\n"
      "  sockit connect localhost 7007     # like nc localhost 7007\n"
      "  sockit probe 127.0.0.1 20-25,80   # like nc -zv\n"
      "Run 'sockit <command> --help' for a command's options and examples.");
  for (const auto& c : commands) {
    auto* sub = app.add_subcommand(c.name, c.summary);
    c.setup(*sub, ctx);
  }
  // Global flags take no values, so the first word that is not a flag must name a command; say so
  // plainly instead of CLI11's "A subcommand is required".
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg.starts_with("-")) {
      // Named here, or CLI11 would set it aside and blame the command that follows.
      if (auto line = unknown_global_option(app, arg); !line.empty()) {
        std::fprintf(stderr, "sockit: %s\n", line.c_str());
        return exit_usage;
      }
      continue;
    }
    bool known = false;
    for (const auto& c : commands) known = known || arg == c.name;
    if (!known) {
      std::fprintf(stderr, "sockit: unknown command '%s' (run 'sockit --help' for the list)\n", argv[i]);
      return exit_usage;
    }
    break;
  }
  // A peer that goes away must give EPIPE on our writes to stdout, not kill us.
  std::signal(SIGPIPE, SIG_IGN);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "sockit: %s\n", parse_error_line(app, e, std::vector<std::string>(argv + 1, argv + argc)).c_str());
    return exit_usage;
  }
  setup_logging(ctx.verbosity);
  int code = ctx.run ? ctx.run() : exit_usage;
  std::fflush(stdout);
  return code;
}
