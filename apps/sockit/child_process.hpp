// The one place the CLI starts programs: `connect`/`listen` --exec and --sh-exec (ncat's -e/-c)
// run a program whose stdin and stdout are a socket. Spawning, signal set-up for the child,
// reaping and the wording of an exit status live here. Private to the CLI.
#pragma once

#include <span>
#include <string>
#include <system_error>
#include <vector>

#include <csignal>

#include "exec_command.hpp"
#include "sockit/deadline.hpp"
#include "sockit/result.hpp"
#include "sockit/wait.hpp"

namespace sockit::cli {

// How a child ended: exit code, or the signal that killed it.
struct child_exit {
  int pid = 0;
  int code = 0;    // exit status when signal == 0
  int signal = 0;  // the killing signal, or 0
};

// "exited with status 0", "killed by signal 13 (SIGPIPE)".
std::string describe_exit(const child_exit& e);
// A shell's convention: the exit status, or 128 + the signal.
int exit_code_of(const child_exit& e);

// Starts `cmd` with descriptor `fd` as its stdin and stdout (stderr is ours), with every signal
// unblocked and SIGPIPE, SIGINT, SIGTERM, SIGQUIT and SIGCHLD at their default disposition, as
// the leader of its own process group, so that stopping it (signal_child) reaches whatever it
// started too (a shell's pipeline, `sh -c 'a; b'`), and a terminal's Ctrl+C reaches sockit alone,
// which then decides (exec_session.hpp). Every descriptor the library opens is close-on-exec, so
// the child holds the socket and nothing else of ours.
// Returns the child's pid; if the program could not be run (not found, not executable), the
// errno execvp gave, reported back through a close-on-exec pipe, and the failed child is reaped;
// `failed`, if given, names the call that failed ("exec", or "fork"/"pipe" when no child could be
// made: the process limit, a full descriptor table). Call it with SIGCHLD blocked (child_watch).
result<int> spawn_on_descriptor(const exec_command& cmd, int fd, const char** failed = nullptr);

// Reaps every child that has ended (waitpid WNOHANG); never blocks.
std::vector<child_exit> reap_children();

// Sends `sig` to a child's process group (call it only before the child is reaped: until then
// its pid cannot name anyone else's group); errors (it has just gone) are of no interest.
void signal_child(int pid, int sig);

// While alive: SIGINT, SIGTERM and SIGCHLD are blocked except inside wait(), so a child's end or a
// Ctrl+C can only arrive there and is never lost between a check and the wait (ppoll's reason to
// exist); SIGCHLD gets a handler (the default disposition would not interrupt the wait), and the
// first SIGINT/SIGTERM only raises stop_requested() (stop_signals.hpp; a second exits 130).
class child_watch {
 public:
  child_watch();
  ~child_watch();
  child_watch(const child_watch&) = delete;
  child_watch& operator=(const child_watch&) = delete;

  // wait_any with those signals let in: a signal ends the wait with std::errc::interrupted.
  result<std::size_t> wait(std::span<wait_entry> entries, deadline by);

 private:
  sigset_t saved_mask_{};  // the mask before: restored at the end
  sigset_t wait_mask_{};   // saved_mask_ without the three: the mask inside wait()
  struct sigaction saved_chld_ {};
};

}  // namespace sockit::cli
