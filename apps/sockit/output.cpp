// The CLI's writes to stdout and stderr (see output.hpp).
#include "output.hpp"

#include <unistd.h>
#ifndef _WIN32
#include <sys/time.h>

#include <cerrno>
#include <csignal>
#endif

#include "cli.hpp"
#include "sockit/error.hpp"

namespace sockit::cli {

namespace {

// Only the main thread writes stdout (serve reports through loop 0, bench after joining its
// threads), so no lock.
std::error_code first_stdout_error;

}  // namespace

std::error_code write_out(std::string_view data) {
  if (first_stdout_error) return first_stdout_error;
  first_stdout_error = write_fd(STDOUT_FILENO, data);
  return first_stdout_error;
}

#ifdef _WIN32
std::error_code write_out_interruptibly(std::string_view data, const std::function<bool(bool)>&) { return write_out(data); }
#else
namespace {
void on_tick_alarm(int) {}  // only there to interrupt a blocked write(2)
}  // namespace

std::error_code write_out_interruptibly(std::string_view data, const std::function<bool(bool)>& keep_going) {
  if (first_stdout_error) return first_stdout_error;
  static const bool handled = [] {
    struct sigaction sa {};
    sa.sa_handler = on_tick_alarm;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;  // no SA_RESTART: the point is to interrupt
    return ::sigaction(SIGALRM, &sa, nullptr) == 0;
  }();
  if (!handled) return write_out(data);
  static constexpr itimerval tick{{0, 200000}, {0, 200000}};
  static constexpr itimerval off{};
  ::setitimer(ITIMER_REAL, &tick, nullptr);
  std::error_code ec;
  while (!data.empty()) {
    const ssize_t n = ::write(STDOUT_FILENO, data.data(), data.size());
    if (n < 0 && errno != EINTR) {
      ec = first_stdout_error = std::error_code(errno, std::system_category());
      break;
    }
    if (n > 0) data.remove_prefix(static_cast<std::size_t>(n));
    if (!data.empty() && !keep_going(n > 0)) {
      ec = std::make_error_code(std::errc::interrupted);
      break;
    }
  }
  ::setitimer(ITIMER_REAL, &off, nullptr);
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
