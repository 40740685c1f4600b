// sockit: one binary, one subcommand per job (see commands.hpp).
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include <fcntl.h>
#include <unistd.h>
#ifdef _WIN32
#include <io.h>
#endif

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include "args.hpp"
#include "cli.hpp"
#include "commands.hpp"
#include "hexdump.hpp"
#include "output.hpp"

namespace {

// A descriptor 0-2 left closed by the caller (`<&-`, `>&-`) would be the next socket we open: a
// connect would then poll its own socket as stdin, or write the peer's bytes back to the peer.
// Opening /dev/null on each, in order, fills exactly the closed ones: closed stdin reads as EOF,
// closed stdout and stderr discard.
void open_standard_fds() {
#ifdef _WIN32
  // Windows sockets are handles, never numbers 0-2: nothing of ours can take a closed one's place.
  // Bytes must pass as they are: no CRLF translation, and no Ctrl+Z (0x1A) read as end of input.
  ::_setmode(0, _O_BINARY);
  ::_setmode(1, _O_BINARY);
  ::_setmode(2, _O_BINARY);
#else
  for (int fd = 0; fd <= 2; ++fd) {
    if (::fcntl(fd, F_GETFD) != -1 || errno != EBADF) continue;
    int got = ::open("/dev/null", O_RDWR);
    if (got >= 0 && got != fd) ::close(got);  // cannot happen: the lower ones are open
  }
#endif
}

}  // namespace

int main(int argc, char** argv) {
  open_standard_fds();
  // A reader that goes away (a peer, `| head`, a closed stderr pipe) must give EPIPE on our
  // writes, not kill us: before anything is printed, usage errors included.
#ifdef SIGPIPE
  std::signal(SIGPIPE, SIG_IGN);
#endif
  using namespace sockit::cli;
  context ctx;
  CLI::App app{"sockit: low-level TCP/UDP networking toolkit", "sockit"};
  // CLI11 reads "/x" as an option on Windows; sockit's options are -x and --xx everywhere, and
  // "/path/file" stays a path (subcommands inherit this).
  app.allow_windows_style_options(false);
  app.set_version_flag("--version", "sockit 0.1.0");
  app.require_subcommand(1);
  app.fallthrough();
  app.add_flag("-v,--verbose", ctx.verbosity, "Log to stderr with timestamps (-vv: debug)");
  app.add_flag("-x,--hexdump", ctx.hexdump, "Dump traffic to stderr in hex, in ncat's --hex-dump layout");
  std::string hexdump_file;
  app.add_option("--hex-dump", hexdump_file, "Dump traffic in hex to FILE, as ncat --hex-dump FILE")
      ->type_name("FILE");
  add_engines_flag(app);
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
  // Global flags take no values (but --hex-dump FILE), so the first word that is not a flag must
  // name a command; say so plainly instead of CLI11's "A subcommand is required".
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--hex-dump") {
      ++i;
      continue;
    }
    if (arg.starts_with("-")) {
      // Named here, or CLI11 would set it aside and blame the command that follows.
      if (auto line = unknown_global_option(app, arg); !line.empty()) {
        print_err("sockit: {}\n", line);
        return exit_usage;
      }
      continue;
    }
    bool known = false;
    for (const auto& c : commands) known = known || arg == c.name;
    if (!known) {
      print_err("sockit: unknown command '{}' (run 'sockit --help' for the list)\n", arg);
      return exit_usage;
    }
    break;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::Success& e) {  // --engines
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    print_err("sockit: {}\n", parse_error_line(app, e, std::vector<std::string>(argv + 1, argv + argc)));
    return exit_usage;
  }
  if (auto line = empty_option_value(app); !line.empty()) {
    print_err("sockit: {}\n", line);
    return exit_usage;
  }
  setup_logging(ctx.verbosity);
  if (!hexdump_file.empty()) {
    if (auto ec = open_hexdump_file(hexdump_file)) return fail("open " + hexdump_file, ec);
  }
  int code = ctx.run ? ctx.run() : exit_usage;
  std::fflush(stdout);
  return finish_output(code);
}
