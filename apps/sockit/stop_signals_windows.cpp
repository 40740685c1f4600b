// Ctrl+C on Windows (see stop_signals.hpp): the C runtime delivers SIGINT (Ctrl+C) and SIGBREAK
// (Ctrl+Break, a closed console) to signal() handlers on a thread of its own, so a handler may set
// flags and exit but a blocked wait is not interrupted: the commands that defer look at the flag
// at their next turn. No Unix socket files exist here, so there is nothing to remove.
#include "stop_signals.hpp"

#include <atomic>
#include <csignal>
#include <cstdlib>

#include "cli.hpp"

namespace sockit::cli {

namespace {

// Read by other threads too (send's hash thread): an atomic, lock-free and so safe in a handler.
std::atomic<int> signals_seen{0};
static_assert(std::atomic<int>::is_always_lock_free);
volatile std::sig_atomic_t deferring = 0;

constexpr int exit_interrupted = 130;  // what a POSIX shell reports for Ctrl+C; kept for scripts

extern "C" void on_stop_signal(int sig) {
  if (signals_seen.fetch_add(1) + 1 > 1) std::_Exit(exit_interrupted);
  if (!deferring) std::_Exit(exit_ok);
  std::signal(sig, on_stop_signal);  // the CRT resets a handler to SIG_DFL before calling it
}

}  // namespace

void install_stop_handlers() {
  std::signal(SIGINT, on_stop_signal);
  std::signal(SIGTERM, on_stop_signal);
  std::signal(SIGBREAK, on_stop_signal);
}

void defer_stop(bool on) { deferring = on ? 1 : 0; }

bool stop_requested() { return signals_seen > 0; }

void note_stop_signal() { signals_seen.fetch_add(1); }

bool stop_signal_pending() { return false; }

sigset_t thread_signal_mask() { return {}; }

void remove_at_exit(const std::string&, dev_t, ino_t) {}

void exit_removing_files(int code) { std::_Exit(code); }

}  // namespace sockit::cli
