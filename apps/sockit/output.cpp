// The CLI's writes to stdout and stderr (see output.hpp).
#include "output.hpp"

#include <chrono>

#include <unistd.h>
#ifndef _WIN32
#include <pthread.h>

#include <csignal>
#include <ctime>
#endif

#include "cli.hpp"
#include "stop_signals.hpp"
#include "sockit/error.hpp"
#include "sockit/io.hpp"

namespace sockit::cli {

namespace {

// Only the main thread writes stdout (serve reports through loop 0, bench after joining its
// threads), so no lock.
std::error_code first_stdout_error;

}  // namespace

std::error_code write_out(std::string_view data) {
  if (first_stdout_error) return first_stdout_error;
  // A signal the command takes later (a flag, or blocked until its loop reads it) must not wait
  // behind a stdout that takes nothing for 0.2 s; one that still moves is written out. Once a
  // write has given way, the next ones do at once while the stop stands: a command with many
  // lines to print before it looks at the signal again must not pay 0.2 s for each.
  static bool gave_way = false;
  const auto stopping = [] { return stop_requested() || stop_signal_pending(); };
  if (gave_way && stopping()) return std::make_error_code(std::errc::interrupted);
  std::chrono::steady_clock::time_point stuck_since{};
  auto ec = write_out_interruptibly(data, [&](bool progressed) {
    if (progressed || !stopping()) {
      stuck_since = {};
      return true;
    }
    auto now = std::chrono::steady_clock::now();
    if (stuck_since == std::chrono::steady_clock::time_point{}) stuck_since = now;
    return now - stuck_since < std::chrono::milliseconds(200);
  });
  if (ec == std::errc::interrupted) gave_way = true;
  return ec;
}

#ifdef _WIN32
std::error_code write_out_interruptibly(std::string_view data, const std::function<bool(bool)>&) {
  if (first_stdout_error) return first_stdout_error;
  first_stdout_error = write_fd(STDOUT_FILENO, data);
  return first_stdout_error;
}
#else
namespace {

void on_tick_alarm(int) {}  // only there to interrupt a blocked write(2)

// A timer of the calling thread's own (SIGEV_THREAD_ID: no other thread gets its SIGALRM), made on
// first use, with SIGALRM unblocked in this thread (a parent may have blocked it, and masks are
// inherited). Between writes it is disarmed; a stray tick only interrupts a wait, which retries.
struct write_ticker {
  timer_t id{};
  bool ok = false;

  write_ticker() {
    struct sigaction sa {};
    sa.sa_handler = on_tick_alarm;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;  // no SA_RESTART: the point is to interrupt
    if (::sigaction(SIGALRM, &sa, nullptr) != 0) return;
    sigevent sev{};
    sev.sigev_notify = SIGEV_THREAD_ID;
    sev.sigev_signo = SIGALRM;
    sev._sigev_un._tid = ::gettid();  // sigev_notify_thread_id, which glibc 2.36 does not name
    if (::timer_create(CLOCK_MONOTONIC, &sev, &id) != 0) return;
    sigset_t alarm;
    sigemptyset(&alarm);
    sigaddset(&alarm, SIGALRM);
    ok = ::pthread_sigmask(SIG_UNBLOCK, &alarm, nullptr) == 0;
  }
  void arm(bool on) const noexcept {
    static constexpr itimerspec tick{{0, 200'000'000}, {0, 200'000'000}};
    static constexpr itimerspec off{};
    ::timer_settime(id, 0, on ? &tick : &off, nullptr);
  }
};

}  // namespace

std::error_code write_out_interruptibly(std::string_view data, const std::function<bool(bool)>& keep_going) {
  if (first_stdout_error) return first_stdout_error;
  thread_local const write_ticker ticker;
  if (!ticker.ok) {
    first_stdout_error = write_fd(STDOUT_FILENO, data);
    return first_stdout_error;
  }
  ticker.arm(true);
  std::error_code ec;
  while (!data.empty()) {
    auto n = write_once(STDOUT_FILENO, as_bytes(data));
    if (!n && n.error() != std::errc::interrupted) {
      ec = first_stdout_error = n.error();
      break;
    }
    if (n) data.remove_prefix(*n);
    if (!data.empty() && !keep_going(n && *n > 0)) {
      ec = std::make_error_code(std::errc::interrupted);
      break;
    }
  }
  ticker.arm(false);
  return ec;
}
#endif

void write_err(std::string_view data) { (void)write_fd(STDERR_FILENO, data); }

std::error_code stdout_error() { return first_stdout_error; }

int finish_output(int code) {
  if (!first_stdout_error || first_stdout_error == std::errc::broken_pipe) return code;
  print_err("sockit: {}\n", describe("write stdout", first_stdout_error));
  return code == exit_ok ? exit_failure : code;
}

}  // namespace sockit::cli
