// PLACEHOLDER: replaced by the real subcommand.
#include "commands.hpp"

namespace sockit::cli {

void setup_probe(CLI::App& cmd, context& ctx) {
  cmd.callback([&ctx] { ctx.run = [] { return fail_message("probe: not implemented yet"); }; });
}

}  // namespace sockit::cli
