// The commands the Windows build does not carry yet: each still parses (any arguments) and answers
// with one line naming what it needs and exit 2, so a script learns it at once, the same way on
// every call. The README's "## Windows" section lists them and why.
#include <string>
#include <vector>

#include <fmt/core.h>
#include <CLI/CLI.hpp>

#include "cli.hpp"
#include "commands.hpp"

namespace sockit::cli {

namespace {

void unavailable(CLI::App& cmd, context& ctx, const char* why) {
  cmd.allow_extras();
  cmd.prefix_command();  // any arguments, options included: they are not looked at
  cmd.fallthrough(false);  // nor handed up to the global options
  cmd.footer(fmt::format("Not available on Windows: {}.", why));
  cmd.callback([&cmd, &ctx, why] {
    std::string name = cmd.get_name();
    ctx.run = [name, why] {
      return fail_message(fmt::format("{}: not available on Windows ({})", name, why), exit_usage);
    };
  });
}

}  // namespace

void setup_ping(CLI::App& cmd, context& ctx) {
  unavailable(cmd, ctx, "raw ICMP sockets are Linux's; Windows would need IcmpSendEcho2");
}
void setup_send(CLI::App& cmd, context& ctx) { unavailable(cmd, ctx, "it sends with sendfile(2), a Linux call"); }
void setup_recv(CLI::App& cmd, context& ctx) { unavailable(cmd, ctx, "it pairs with send, which needs sendfile(2)"); }

}  // namespace sockit::cli
