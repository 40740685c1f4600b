// The CLI's writes to stdout and stderr (see output.hpp).
#include "output.hpp"

#include <unistd.h>

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

void write_err(std::string_view data) { (void)write_fd(STDERR_FILENO, data); }

std::error_code stdout_error() { return first_stdout_error; }

int finish_output(int code) {
  if (!first_stdout_error || first_stdout_error == std::errc::broken_pipe) return code;
  print_err("sockit: {}\n", describe("write stdout", first_stdout_error));
  return code == exit_ok ? exit_failure : code;
}

}  // namespace sockit::cli
