// The relay's report, on SIGUSR1 and at the end: a table on stdout (a row per open connection or
// session and per recent closed one, then a totals line), or with --json one `stats` object per
// report (the shape is in docs/commands/relay.md). Private to the CLI.
#pragma once

#include <string>

#include "relay_stats.hpp"
#include "sockit/endpoint.hpp"

namespace sockit::cli {

struct relay_report_header {
  std::string proto;  // "tcp", "udp", or "unix stream" (listening on a Unix socket)
  endpoint listen;
  endpoint target;
  // A unix: side ("unix:/path", "unix:@name"), printed instead of its (empty) endpoint.
  std::string listen_unix, target_unix;

  std::string listen_name() const { return listen_unix.empty() ? listen.to_string() : listen_unix; }
  std::string target_name() const { return target_unix.empty() ? target.to_string() : target_unix; }
};

// The text table and totals line (what print_relay_report writes without --json).
std::string relay_report_text(const relay_report_header& h, const relay_snapshot& s, bool final);
// One JSON object, without the newline.
std::string relay_report_json(const relay_report_header& h, const relay_snapshot& s, bool final);
void print_relay_report(const relay_report_header& h, const relay_snapshot& s, bool final, bool json);

}  // namespace sockit::cli
