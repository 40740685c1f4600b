// connect's and listen's netcat flags.
#include "netcat_flags.hpp"

#include <fmt/core.h>
#include <CLI/CLI.hpp>

#include "args.hpp"
#include "cli.hpp"
#include "sockit/endpoint.hpp"

namespace sockit::cli {

void add_netcat_flags(CLI::App& cmd, netcat_flags& f) {
  const char* group = "Netcat options";
  cmd.add_option("-q,--quit-after-eof", f.quit_after_eof,
                 "After stdin's end (and its bytes sent), wait SECS for the peer, then quit (0: at once), as nc -q")
      ->check(seconds_check(true))
      ->option_text("SECS")
      ->group(group);
  cmd.add_option("-i,--interval", f.line_interval, "Send stdin a line at a time, SECS apart, as nc -i")
      ->check(seconds_check(false))
      ->option_text("SECS")
      ->group(group);
  cmd.add_flag("-C,--crlf", f.crlf, "Send each line ending of stdin as CRLF (for SMTP, HTTP...), as ncat -C")
      ->group(group);
  cmd.add_flag("-n,--numeric", f.numeric,
               "Take addresses and port numbers only: never resolve a host or service name, as nc -n")
      ->group(group);
  auto* so = cmd.add_flag("--send-only", f.send_only, "Only send stdin; drop what the peer sends; quit at stdin's end")
                 ->group(group);
  cmd.add_flag("--recv-only", f.recv_only, "Only print what the peer sends; never read stdin nor send")
      ->excludes(so)
      ->group(group);
}

void apply_netcat_flags(const netcat_flags& f, pump_options& po) {
  po.quit_after_eof = f.quit_after_eof.value_or(-1);
  po.line_interval = f.line_interval.value_or(-1);
  po.crlf = f.crlf;
  po.send_only = f.send_only;
  po.recv_only = f.recv_only;
}

const char* stream_flag_given(const netcat_flags& f) {
  return f.quit_after_eof ? "-q" : f.line_interval ? "-i" : f.crlf ? "-C" : f.send_only ? "--send-only" : f.recv_only ? "--recv-only" : nullptr;
}

bool check_numeric_host(const netcat_flags& f, const std::string& host, int& exit) {
  if (!f.numeric || host.empty() || endpoint::numeric(host, 0)) return true;
  exit = fail_message(fmt::format("-n: '{}' is not an address (-n never resolves names)", host), exit_usage);
  return false;
}

bool check_numeric_port(const netcat_flags& f, std::string_view what, const std::string& port, int& exit) {
  if (!f.numeric || !is_service_name(port)) return true;
  exit = fail_message(fmt::format("-n: {} '{}' is a service name, not a number (-n never looks names up)", what, port),
                      exit_usage);
  return false;
}

}  // namespace sockit::cli
