// --exec and --sh-exec on Windows: check_exec_args (exec_flags.cpp) refuses them there before any
// socket is made, so these are never reached; they answer the same way if they are.
#include "cli.hpp"
#include "exec_session.hpp"

namespace sockit::cli {

int run_exec_connect(socket, const std::string&, const exec_command&) {
  return fail_message("--exec: not available on Windows", exit_usage);
}

int run_exec_listen(std::vector<bound_socket>&, bool, const exec_command&, const listen_gate*) {
  return fail_message("--exec: not available on Windows", exit_usage);
}

}  // namespace sockit::cli
