// SIGINT/SIGTERM handlers for connect and listen (see stop_signals.hpp).
#include "stop_signals.hpp"

#include <atomic>
#include <csignal>
#include <cstring>

#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.hpp"

namespace sockit::cli {

namespace {

// Read by other threads too (send's hash thread): an atomic, lock-free and so safe in a handler.
std::atomic<int> signals_seen{0};
static_assert(std::atomic<int>::is_always_lock_free);
volatile std::sig_atomic_t deferring = 0;

constexpr int exit_interrupted = 130;  // 128 + SIGINT, what a shell reports for Ctrl+C

// remove_at_exit's files: written before the handlers can read them (a count published last).
struct owned_file {
  char path[108];
  dev_t dev;
  ino_t ino;
};
owned_file owned_files[4];
volatile std::sig_atomic_t owned_count = 0;

// lstat and unlink are async-signal-safe.
void remove_owned_files() {
  for (int i = 0; i < owned_count; ++i) {
    const owned_file& f = owned_files[i];
    struct stat st {};
    if (::lstat(f.path, &st) == 0 && S_ISSOCK(st.st_mode) && st.st_dev == f.dev && st.st_ino == f.ino) {
      ::unlink(f.path);
    }
  }
}

// Only async-signal-safe calls here: _exit, no stdio. Our output is written unbuffered with
// write(2) and spdlog flushes every line, so exiting from here loses nothing already printed.
extern "C" void on_stop_signal(int) {
  if (signals_seen.fetch_add(1) + 1 > 1) {
    remove_owned_files();
    ::_exit(exit_interrupted);
  }
  if (!deferring) {
    remove_owned_files();
    ::_exit(exit_ok);
  }
}

}  // namespace

void install_stop_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: a blocked wait must be interrupted and look at the flag
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
  if (!sighup_ignored()) ::sigaction(SIGHUP, &sa, nullptr);
}

bool sighup_ignored() {
  struct sigaction hup {};
  return ::sigaction(SIGHUP, nullptr, &hup) == 0 && hup.sa_handler == SIG_IGN;
}

void defer_stop(bool on) { deferring = on ? 1 : 0; }

bool stop_requested() { return signals_seen > 0; }

void note_stop_signal() { signals_seen.fetch_add(1); }

bool stop_signal_pending() {
  sigset_t pending;
  if (::sigpending(&pending) != 0) return false;
  return ::sigismember(&pending, SIGINT) == 1 || ::sigismember(&pending, SIGTERM) == 1;
}

sigset_t thread_signal_mask() {
  sigset_t mask;
  ::pthread_sigmask(SIG_SETMASK, nullptr, &mask);
  return mask;
}

void remove_at_exit(const std::string& path, dev_t dev, ino_t ino) {
  int n = owned_count;
  if (n >= 4 || path.size() >= sizeof owned_files[0].path) return;
  std::memcpy(owned_files[n].path, path.c_str(), path.size() + 1);
  owned_files[n].dev = dev;
  owned_files[n].ino = ino;
  std::atomic_signal_fence(std::memory_order_release);  // the entry is complete before it is counted
  owned_count = n + 1;
}

void exit_removing_files(int code) {
  remove_owned_files();
  ::_exit(code);
}

}  // namespace sockit::cli
