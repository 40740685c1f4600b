// SIGINT/SIGTERM handlers for connect and listen (see stop_signals.hpp).
#include "stop_signals.hpp"

#include <csignal>

#include <unistd.h>

#include "cli.hpp"

namespace sockit::cli {

namespace {

volatile std::sig_atomic_t signals_seen = 0;
volatile std::sig_atomic_t deferring = 0;

constexpr int exit_interrupted = 130;  // 128 + SIGINT, what a shell reports for Ctrl+C

// Only async-signal-safe calls here: _exit, no stdio. Our output is written unbuffered with
// write(2) and spdlog flushes every line, so exiting from here loses nothing already printed.
extern "C" void on_stop_signal(int) {
  signals_seen = signals_seen + 1;  // C++20 deprecates ++ on a volatile
  if (signals_seen > 1) ::_exit(exit_interrupted);
  if (!deferring) ::_exit(exit_ok);
}

}  // namespace

void install_stop_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: a blocked wait must be interrupted and look at the flag
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
}

void defer_stop(bool on) { deferring = on ? 1 : 0; }

bool stop_requested() { return signals_seen > 0; }

}  // namespace sockit::cli
