// PLACEHOLDER: `sockit proto serve|call` is being written (issue 4).
#include "commands.hpp"

namespace sockit::cli {

void setup_proto(CLI::App& cmd, context& ctx) {
  cmd.callback([&ctx] { ctx.run = [] { return fail_message("proto: not implemented yet"); }; });
}

}  // namespace sockit::cli
