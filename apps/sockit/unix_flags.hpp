// The CLI side of Unix domain sockets, for every command that takes unix:/path or unix:@name in
// place of an address (connect, listen, echo, proto serve/call, relay, bench): --unix-dgram and --mode, the argument checks, the listening socket with its file removed
// on every way out, and the -v credentials line. Private to the CLI.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cli_fwd.hpp"

#include "hexdump.hpp"
#include "loopback_pair.hpp"
#include "socket_flags.hpp"
#include "sockit/socket.hpp"
#include "sockit/unix.hpp"

namespace sockit::cli {

struct unix_flags {
  bool dgram = false;  // --unix-dgram: SOCK_DGRAM instead of SOCK_STREAM
  std::string mode;    // --mode OCTAL, as typed (servers only)
  std::optional<unsigned> mode_bits;  // filled by check_unix_flags
};

// Adds --unix-dgram, and --mode when `server`.
void add_unix_flags(CLI::App& cmd, unix_flags& f, bool server);

// For a command given a unix: address `text`: parses it into `at` and checks the flags that go
// with it (--mode is an octal mode from 0 to 0777, and needs a filesystem path; the socket
// option flags that mean nothing on a Unix socket are refused, naming the flag). Without a unix:
// address (`text` empty), --unix-dgram and --mode are refused. On error prints one usage line,
// sets `exit` and returns false.
bool check_unix_args(std::string_view text, unix_flags& f, const socket_flags& sock, unix_address& at, int& exit);

// The first socket option flag given that has no meaning on a Unix socket ("--ttl"), or nullptr.
const char* non_unix_socket_flag(const socket_flags& sock);

// "stream" or "dgram", for the listening line and messages.
inline const char* unix_kind(const unix_flags& f) { return f.dgram ? "dgram" : "stream"; }

// Binds the listening socket (stream) or the bound socket (datagram) at `at` with the socket
// flags, the stale-file rule and --mode, says "listening on unix:/path (unix stream)" (followed by
// `service`, when given, as the services' lines are), and appends it to `out` (its `at` is the
// empty endpoint). The file it created is moved into `file`, whose
// destructor removes it, and is also handed to the stop handlers, which remove it when a signal
// ends the process. Returns an exit code; an error line has been printed.
int listen_unix(const unix_address& at, const unix_flags& f, const socket_flags& sock, unix_socket_file& file,
                std::vector<bound_socket>& out, std::string_view service = {});

// Connects to `at` (datagram: from an autobind address, so replies come back) within `wait_s`
// seconds (< 0: no limit), with the socket flags; -v says where and the peer's credentials.
// Returns the socket, or the exit code in `exit` after printing the error line.
std::optional<socket> connect_unix(const unix_address& at, const unix_flags& f, const socket_flags& sock,
                                   double wait_s, int& exit);

// -v: "peer pid 123 uid 0 gid 0" for a connected Unix stream socket; nothing for other sockets.
void log_peer_credentials(const socket& s);

// How an accepted connection's peer is named in log lines: its address for TCP, the listener's
// unix: address for a Unix socket (whose clients are usually unnamed).
std::string accepted_peer_name(const socket& accepted, const endpoint& peer);

}  // namespace sockit::cli
