// Starting and reaping the programs of --exec/--sh-exec (see child_process.hpp).
#include "child_process.hpp"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/core.h>

#include "stop_signals.hpp"
#include "sockit/io.hpp"

namespace sockit::cli {

namespace {

volatile std::sig_atomic_t child_ended = 0;

// Only there so that a child's end interrupts the wait (reaping happens outside).
extern "C" void on_child_signal(int) { child_ended = 1; }

constexpr int child_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGCHLD};
// What sockit changes (ignores, handles or blocks) and a child must not inherit. Handled signals
// go back to the default at exec anyway; an ignored one (SIGPIPE) would not.
constexpr int reset_in_child[] = {SIGPIPE, SIGINT, SIGTERM, SIGQUIT, SIGCHLD};

std::error_code errno_code(int e) { return {e, std::generic_category()}; }

}  // namespace

std::string describe_exit(const child_exit& e) {
  if (e.signal == 0) return fmt::format("exited with status {}", e.code);
  const char* name = ::sigabbrev_np(e.signal);
  return name ? fmt::format("killed by signal {} (SIG{})", e.signal, name)
              : fmt::format("killed by signal {}", e.signal);
}

int exit_code_of(const child_exit& e) { return e.signal == 0 ? e.code : 128 + e.signal; }

result<int> spawn_on_descriptor(const exec_command& cmd, int fd, const char** failed) {
  const char* ignored = nullptr;
  if (!failed) failed = &ignored;
  *failed = "exec";
  if (cmd.argv.empty()) return errno_code(ENOENT);
  // Everything the child needs is built before fork: between fork and exec it may only make
  // async-signal-safe calls.
  std::vector<char*> argv;
  for (const auto& a : cmd.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const char* path = cmd.shell ? "/bin/sh" : argv[0];

  // The classic report of a failed exec: the child writes its errno into a close-on-exec pipe; a
  // successful exec closes the pipe, so the parent reads EOF.
  int report[2];
  if (::pipe2(report, O_CLOEXEC) != 0) {
    *failed = "pipe";
    return errno_code(errno);
  }
  const pid_t pid = ::fork();
  if (pid < 0) {
    int e = errno;
    *failed = "fork";
    ::close(report[0]);
    ::close(report[1]);
    return errno_code(e);
  }
  if (pid == 0) {
    ::close(report[0]);
    int e = 0;
    // dup2 clears close-on-exec on the copy; fd itself is close-on-exec and goes at exec.
    if ((fd != STDIN_FILENO && ::dup2(fd, STDIN_FILENO) < 0) || (fd != STDOUT_FILENO && ::dup2(fd, STDOUT_FILENO) < 0) ||
        (fd <= STDOUT_FILENO && ::fcntl(fd, F_SETFD, 0) < 0)) {
      e = errno;
    } else {
      // Dispositions first, then the mask: a signal let in must find the default action.
      for (int sig : reset_in_child) ::signal(sig, SIG_DFL);
      ::setpgid(0, 0);  // its own process group (see child_process.hpp); the parent does it too
      sigset_t none;
      sigemptyset(&none);
      ::sigprocmask(SIG_SETMASK, &none, nullptr);
      if (cmd.shell) {
        ::execv(path, argv.data());
      } else {
        ::execvp(path, argv.data());
      }
      e = errno;
    }
    [[maybe_unused]] auto n = ::write(report[1], &e, sizeof e);
    ::_exit(127);
  }
  ::setpgid(pid, pid);  // whichever of the two runs first; the later one may fail harmlessly
  ::close(report[1]);
  int child_errno = 0;
  std::size_t got = 0;
  while (got < sizeof child_errno) {
    auto n = try_read(report[0], std::as_writable_bytes(std::span(&child_errno, 1)).subspan(got));
    if (!n) break;  // end of stream: the exec succeeded
    got += *n;
  }
  ::close(report[0]);
  if (got == sizeof child_errno && child_errno != 0) {
    int status = 0;
    ::waitpid(pid, &status, 0);  // it has _exit-ed or is about to
    return errno_code(child_errno);
  }
  return static_cast<int>(pid);
}

std::vector<child_exit> reap_children() {
  std::vector<child_exit> out;
  for (;;) {
    int status = 0;
    const pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid <= 0) break;  // 0: none has ended; -1: no children (ECHILD)
    child_exit e;
    e.pid = static_cast<int>(pid);
    if (WIFSIGNALED(status)) {
      e.signal = WTERMSIG(status);
    } else {
      e.code = WEXITSTATUS(status);
    }
    out.push_back(e);
  }
  return out;
}

void signal_child(int pid, int sig) {
  // The group while its leader is unreaped is surely ours; the leader alone if the group is gone.
  if (::kill(-static_cast<pid_t>(pid), sig) != 0) ::kill(static_cast<pid_t>(pid), sig);
}

child_watch::child_watch() {
  sigset_t block;
  sigemptyset(&block);
  for (int sig : child_signals) sigaddset(&block, sig);
  ::pthread_sigmask(SIG_BLOCK, &block, &saved_mask_);
  wait_mask_ = saved_mask_;
  for (int sig : child_signals) sigdelset(&wait_mask_, sig);
  struct sigaction sa {};
  sa.sa_handler = on_child_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_NOCLDSTOP;  // no SA_RESTART: the wait must return
  ::sigaction(SIGCHLD, &sa, &saved_chld_);
  defer_stop(true);
}

child_watch::~child_watch() {
  defer_stop(false);
  ::sigaction(SIGCHLD, &saved_chld_, nullptr);
  ::pthread_sigmask(SIG_SETMASK, &saved_mask_, nullptr);
}

result<std::size_t> child_watch::wait(std::span<wait_entry> entries, deadline by) {
  child_ended = 0;
  return wait_any(entries, by, &wait_mask_);
}

}  // namespace sockit::cli
