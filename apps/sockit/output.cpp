// The CLI's writes to stdout and stderr (see output.hpp).
#include "output.hpp"

#include <cerrno>

#include <unistd.h>

#include "cli.hpp"
#include "sockit/error.hpp"

namespace sockit::cli {

namespace {

// Commands write from one thread (serve's shards report through loop 0), so no lock.
std::error_code stdout_error_;

std::error_code write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return last_error();
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

}  // namespace

std::error_code write_out(std::string_view data) {
  if (stdout_error_) return stdout_error_;
  stdout_error_ = write_all(STDOUT_FILENO, data);
  return stdout_error_;
}

void write_err(std::string_view data) { (void)write_all(STDERR_FILENO, data); }

std::error_code stdout_error() { return stdout_error_; }

int finish_output(int code) {
  if (!stdout_error_ || stdout_error_ == std::errc::broken_pipe) return code;
  print_err("sockit: {}\n", describe("write stdout", stdout_error_));
  return code == exit_ok ? exit_failure : code;
}

}  // namespace sockit::cli
