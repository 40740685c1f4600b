// The socket option flags of every command that opens a socket (--nodelay, --keepalive, --sndbuf,
// --rcvbuf, --ttl, --tos, --mss, --linger, --reuseport, --bind-dev, -s/--source, -p/--source-port,
// --recv-timeout, --send-timeout),
// parsed in one place, applied to each new socket before it binds or connects, and read back
// from the kernel afterwards: -v prints what was asked and what the kernel made of it, --json
// carries the same. Private to the CLI.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cli_fwd.hpp"

#include "sockit/endpoint.hpp"
#include "sockit/options.hpp"
#include "sockit/socket.hpp"

namespace sockit::cli {

// Which of the flags a command takes.
struct socket_flag_set {
  bool tcp = true;      // --nodelay, --keepalive, --mss, --linger
  bool server = false;  // --reuseport
  bool client = false;  // -s/--source, -p/--source-port (long forms only when short_source is false)
  bool short_source = true;
  bool timeouts = false;  // --recv-timeout, --send-timeout (commands that enforce them in their loop)
};

struct socket_flags {
  bool nodelay = false;
  std::optional<std::string> keepalive;  // "" = on with the kernel's timers, or "IDLE,INTVL,CNT"
  std::optional<long long> sndbuf, rcvbuf, ttl, tos, mss;
  std::optional<double> linger;  // seconds
  // SO_RCVTIMEO / SO_SNDTIMEO, in seconds. The kernel applies them to blocking calls only; the
  // commands that take them wait with poll, so they enforce them in their own loop too.
  std::optional<double> recv_timeout, send_timeout;
  bool reuseport = false;
  std::string bind_dev;
  std::string source;       // address, as typed
  std::string source_port;  // as typed

  // Filled by check(): what the text flags mean.
  std::optional<keepalive_config> keepalive_cfg;
  std::optional<endpoint> source_at;  // -s and/or -p: where a client binds before it connects
};

// One option as it was asked and as the kernel has it now.
struct applied_option {
  std::string name;   // "SO_RCVBUF"
  std::string asked;  // "100000"
  std::string got;    // "200000"
};

void add_socket_flags(CLI::App& cmd, socket_flags& f, socket_flag_set which);

// Checks what the parse could not (keepalive's IDLE,INTVL,CNT, the source address and port, TCP
// options on a UDP socket); on error prints one usage line and sets exit.
bool check_socket_flags(socket_flags& f, bool tcp, int& exit);
// The family a client must connect with when -s names an address (a socket binds only to an
// address of its own family), else ip_family::any.
ip_family source_family(const socket_flags& f);
// What a lookup (or connect) of `host` failed at, naming the family -s imposed when it did: an
// IPv4 target with -s ::1 otherwise only reads "Address family for hostname not supported".
std::string lookup_what(const std::string& verb, const std::string& host, const socket_flags& f);

// Applies the flags to a fresh socket (socket_prepare for tcp_connect, listen_options, ...) and
// records what the kernel made of each in `applied` (replacing what an earlier attempt left).
// A refusal is returned with `failed` naming the option ("SO_BINDTODEVICE eth9").
socket_prepare socket_preparer(const socket_flags& f, bool tcp, std::vector<applied_option>& applied,
                               std::string& failed);

// For a server, before it binds: applies the flags to a throwaway socket of `family`, so that a
// refused option gets its own error line ("set SO_BINDTODEVICE eth9: No such device") rather than
// a bind failure's. Returns the exit code (exit_ok when every option was taken). `log`: -v shows
// what the kernel made of them (for callers whose real sockets record nothing, socket_applier).
// `applied`, when given, receives what the kernel made of each (for --json).
int try_socket_flags(const socket_flags& f, bool tcp, int family, bool log = false,
                     std::vector<applied_option>* applied = nullptr);

// The same, for sockets opened on other threads (a relay's or bench's connections): it keeps its
// own copy of the flags and records nothing (the first socket, prepared with socket_preparer on
// the main thread, is the one -v reports). Empty when no flag was given.
socket_prepare socket_applier(socket_flags f, bool tcp);
// The step both run: applies the flags to `s`, recording each into `applied`.
std::error_code apply_socket_flags(const socket& s, const socket_flags& f, bool tcp, std::vector<applied_option>& applied,
                                   std::string& failed);

// True when no option flag was given (nothing to apply or report).
bool no_socket_flags(const socket_flags& f);

// -v: one "socket option NAME: asked X, kernel has Y" line per applied option.
void log_applied(const std::vector<applied_option>& applied);
// --json: [{"option":..,"asked":..,"got":..}, ...].
std::string applied_json(const std::vector<applied_option>& applied);

// The error line for a socket that could not be prepared: "sockit: set SO_BINDTODEVICE eth9: ..."
// when an option was refused, else fail(what, ec). Returns the exit code (1).
int prepare_failure(std::string_view what, const std::string& failed, std::error_code ec);

}  // namespace sockit::cli
