// The everyday netcat flags of connect and listen: -q SECS, -i SECS, -C, -n, --send-only,
// --recv-only (nc's and ncat's meanings), parsed in one place and handed to the pump. Private to
// the CLI.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "cli_fwd.hpp"

#include "netcat_pump.hpp"

namespace sockit::cli {

struct netcat_flags {
  std::optional<double> quit_after_eof;  // -q
  std::optional<double> line_interval;   // -i
  bool crlf = false;                     // -C
  bool numeric = false;                  // -n
  bool send_only = false;
  bool recv_only = false;
};

void add_netcat_flags(CLI::App& cmd, netcat_flags& f);
void apply_netcat_flags(const netcat_flags& f, pump_options& po);

// The first of the stream flags given (-q, -i, -C, --send-only, --recv-only), or nullptr: they
// shape what the pump relays, so they mean nothing when a program (--exec) has the socket.
const char* stream_flag_given(const netcat_flags& f);

// -n: `host` must be an address (nothing is resolved); else one usage line, false and `exit` set.
bool check_numeric_host(const netcat_flags& f, const std::string& host, int& exit);
// -n: `port` (the text typed for `what`, "port" or "--source-port") must be a number, as the nc
// manual says -n means no service lookups either; else one usage line, false and `exit` set.
bool check_numeric_port(const netcat_flags& f, std::string_view what, const std::string& port, int& exit);

}  // namespace sockit::cli
