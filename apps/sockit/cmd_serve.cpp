// PLACEHOLDER: replaced by the real subcommand.
#include "commands.hpp"

namespace sockit::cli {

void setup_serve(CLI::App& cmd, context& ctx) {
  cmd.callback([&ctx] { ctx.run = [] { return fail_message("serve: not implemented yet"); }; });
}

}  // namespace sockit::cli
