// What --exec/--sh-exec run, as parsed from the command line (the same on every platform; running
// it is child_process.hpp's). Private to the CLI.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace sockit::cli {

// What to run: argv (--exec, split at blanks, run by execvp without a shell) or a shell command
// line (--sh-exec, run as /bin/sh -c TEXT).
struct exec_command {
  std::vector<std::string> argv;
  bool shell = false;
  std::string text;  // as the user typed it, for messages
};

// --exec text split at runs of spaces and tabs (no quoting, as ncat -e). Empty when the text is.
exec_command split_exec(std::string_view text);
exec_command shell_exec(std::string_view text);

}  // namespace sockit::cli
