// `connect`/`listen` --exec CMD and --sh-exec CMD (ncat's -e and -c): instead of relaying the
// terminal, the socket becomes a program's stdin and stdout. The flags, their checks and the two
// runs (one child for connect, one per connection for listen) live here; cmd_connect/cmd_listen
// only add the flags and branch. Private to the CLI.
#pragma once

#include <string>
#include <vector>

#include "cli_fwd.hpp"

#include "exec_command.hpp"
#include "listen_gate.hpp"
#include "loopback_pair.hpp"
#include "sockit/socket.hpp"

namespace sockit::cli {

struct exec_args {
  std::string exec;     // -e/--exec
  std::string sh_exec;  // -c/--sh-exec
  CLI::Option* exec_opt = nullptr;
  CLI::Option* sh_exec_opt = nullptr;
  // Given at all (an empty CMD is given, and refused by check_exec_args).
  bool set() const;
};

// Adds -e/--exec and -c/--sh-exec (mutually exclusive). `listener` words the help for listen.
void add_exec_flags(CLI::App& cmd, exec_args& a, bool listener);

// Checks the flags against the rest of the command line (udp: -u given, udp_ok: the command can
// run a program on UDP; hexdump: -x) and builds the command. False after printing a usage line
// (exit set).
bool check_exec_args(const exec_args& a, bool udp_ok, bool udp, bool hexdump, exec_command& out, int& exit);

// connect --exec: runs the program on the connected socket `s` (TCP or connected UDP) and waits
// for it. Exit code: the program's (128 + N if signal N killed it), 1 if it could not be started,
// 0 after a first Ctrl+C/SIGTERM (the child gets SIGTERM, then SIGKILL after 2 s).
int run_exec_connect(socket s, const std::string& peer_name, const exec_command& cmd);

// listen --exec over bound TCP listeners: each accepted connection gets its own child, started at
// once (children run side by side); the parent only accepts, spawns and reaps, and closes its copy
// of each connection. Without keep_open: the first connection only, and the exit code is its
// child's, as for connect. With keep_open it runs until a signal (exit 0), a failed exec only
// closes that peer. With -v each child's start and end are logged. `gate` (--allow/--deny/
// --max-conns, counted in running children) closes the peers it refuses before any child starts.
int run_exec_listen(std::vector<bound_socket>& listeners, bool keep_open, const exec_command& cmd,
                    const listen_gate* gate = nullptr);

}  // namespace sockit::cli
