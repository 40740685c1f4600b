// Everything the CLI prints goes through here: writes that never throw (fmt::print throws when a
// stream cannot be written, which aborted commands whose stderr was closed or full), and one rule
// for a stdout that cannot be written, applied by main once the command is done.
#pragma once

#include <functional>
#include <string_view>
#include <system_error>
#include <utility>

#include <fmt/core.h>

namespace sockit::cli {

// Writes all of `data` to stdout with write(2), unbuffered (a pipe sees each piece at once). The
// first failure is kept: from then on nothing more is written and that error is returned again,
// so a command that streams can stop at its next write. A write that blocks (nobody reads stdout)
// gives way to Ctrl+C or SIGTERM, once stdout has taken nothing for 0.2 s: it returns
// std::errc::interrupted (not kept, not a stdout error) and the command goes on to stop.
std::error_code write_out(std::string_view data);

// write_out for a stream that must not block for ever on a stdout nobody reads: while it writes, a
// SIGALRM ticks every 0.2 s at the writing thread alone (a handler without SA_RESTART, as the stop
// handlers), so a blocked write(2) returns; after each write that stopped short it asks keep_going(progressed), where
// `progressed` says whether any bytes went out. false ends it with std::errc::interrupted, which
// is not a stdout error (nothing is kept). Windows: write_out (keep_going is never asked).
std::error_code write_out_interruptibly(std::string_view data, const std::function<bool(bool progressed)>& keep_going);

// Writes all of `data` to stderr. A failure is dropped: there is nowhere left to report it.
void write_err(std::string_view data);

template <typename... T>
std::error_code print_out(fmt::format_string<T...> f, T&&... args) {
  return write_out(fmt::format(f, std::forward<T>(args)...));
}

template <typename... T>
void print_err(fmt::format_string<T...> f, T&&... args) {
  write_err(fmt::format(f, std::forward<T>(args)...));
}

// The first stdout write error, or none.
std::error_code stdout_error();

// The rule for a stdout that could not be written, given the exit code the command returned:
// EPIPE (the reader left, as in `sockit ... | head -1`) is a quiet stop and the code stays; any
// other error is one line on stderr and exit 1.
int finish_output(int code);

}  // namespace sockit::cli
