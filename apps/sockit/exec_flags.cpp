// connect/listen's --exec and --sh-exec flags and their checks (see exec_session.hpp); running the
// program is exec_session.cpp's.
#include <fmt/core.h>
#include <CLI/CLI.hpp>

#include "cli.hpp"
#include "exec_session.hpp"

namespace sockit::cli {

bool exec_args::set() const {
  return (exec_opt && exec_opt->count() > 0) || (sh_exec_opt && sh_exec_opt->count() > 0);
}

void add_exec_flags(CLI::App& cmd, exec_args& a, bool listener) {
  const char* who = listener ? "whoever connects" : "the peer";
  auto* e = cmd.add_option("-e,--exec", a.exec,
                           fmt::format("Run CMD (split at spaces, no shell) with the connection as its stdin and "
                                       "stdout, as ncat -e. DANGER: this hands the program to {}",
                                       who))
                ->option_text("CMD");
  auto* c = cmd.add_option("-c,--sh-exec", a.sh_exec,
                           fmt::format("Run CMD with /bin/sh -c, the connection as its stdin and stdout, as ncat -c. "
                                       "DANGER: this hands a shell to {}",
                                       who))
                ->option_text("CMD");
  e->excludes(c);
  a.exec_opt = e;
  a.sh_exec_opt = c;
}

bool check_exec_args(const exec_args& a, bool udp_ok, bool udp, bool hexdump, exec_command& out, int& exit) {
#ifdef _WIN32
  // No fork/exec, and no descriptor a child could take as its stdin and stdout (a socket handle is
  // not one): refused by name before anything connects or listens.
  (void)udp_ok, (void)udp, (void)hexdump, (void)out;
  const char* given = a.sh_exec_opt && a.sh_exec_opt->count() > 0 ? "--sh-exec" : "--exec";
  exit = fail_message(fmt::format("{}: not available on Windows", given), exit_usage);
  return false;
#else
  const bool shell = a.sh_exec_opt && a.sh_exec_opt->count() > 0;
  const std::string& text = shell ? a.sh_exec : a.exec;
  const char* flag = shell ? "--sh-exec" : "--exec";
  out = shell ? shell_exec(text) : split_exec(text);
  if (text.find_first_not_of(" \t") == std::string::npos) {
    exit = fail_message(fmt::format("bad {} '{}': names no program", flag, text), exit_usage);
    return false;
  }
  if (udp && !udp_ok) {
    exit = fail_message(fmt::format("{} runs a program per TCP connection; listen -u cannot (connect -u {} can)",
                                    flag, flag),
                        exit_usage);
    return false;
  }
  if (hexdump) {
    exit = fail_message(fmt::format("-x/--hexdump cannot show the traffic of {}: it goes straight to the program", flag),
                        exit_usage);
    return false;
  }
  return true;
#endif
}

}  // namespace sockit::cli
