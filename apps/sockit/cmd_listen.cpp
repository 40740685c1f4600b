// PLACEHOLDER: replaced by the real subcommand.
#include "commands.hpp"

namespace sockit::cli {

void setup_listen(CLI::App& cmd, context& ctx) {
  cmd.callback([&ctx] { ctx.run = [] { return fail_message("listen: not implemented yet"); }; });
}

}  // namespace sockit::cli
