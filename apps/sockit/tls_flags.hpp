// The CLI's TLS flags (--tls, --tls-ca, --tls-insecure, --tls-alpn, --tls-sni; a server's
// --tls-cert and --tls-key), parsed and checked in one place, the handshake run on a connected
// socket with its one-line errors, and the -v line. Private to the CLI.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "cli_fwd.hpp"
#include "sockit/deadline.hpp"
#include "sockit/socket.hpp"
#include "sockit/tls_context.hpp"
#include "sockit/tls_session.hpp"

namespace sockit::cli {

struct tls_flags {
  const char* name = "--tls";         // the switch: relay's are --tls-in and --tls-out
  bool on = false;                    // --tls
  std::optional<std::string> ca;      // --tls-ca FILE (clients)
  bool insecure = false;              // --tls-insecure (clients)
  std::optional<std::string> alpn;    // --tls-alpn LIST
  std::optional<std::string> sni;     // --tls-sni NAME (clients)
  std::optional<std::string> cert;    // --tls-cert FILE (servers)
  std::optional<std::string> key;     // --tls-key FILE (servers)
  // --tls-handshake-timeout SECS (servers): a client that has not finished its handshake by then
  // is closed (one line), so silent or half-speaking clients cannot hold connections; 0: no limit.
  std::optional<double> handshake_timeout;
  // The limit in force (10 s unless given).
  std::chrono::milliseconds handshake_limit() const;
  const char* alpn_name = "--tls-alpn";  // relay's server side: --tls-in-alpn

  std::optional<tls_context> ctx;     // filled by check_tls_flags
};

// Adds the client's flags, or (server) the server's.
void add_tls_flags(CLI::App& cmd, tls_flags& f, bool server);
// relay: --tls-in with the server's --tls-cert/--tls-key (the listening side), --tls-out with the
// client's --tls-ca/--tls-insecure/--tls-sni/--tls-alpn (the side towards TARGET).
void add_relay_tls_flags(CLI::App& cmd, tls_flags& in, tls_flags& out);

// Checks the flags and builds the context: a TLS flag without --tls, a server without its
// certificate and key, a file that is missing or unreadable, a key that does not match, a bad
// ALPN list are usage errors (exit 2), one line each. `udp` and `what_else` (a flag TLS cannot
// go with, or nullptr) are refused by name.
bool check_tls_flags(tls_flags& f, bool server, const char* refused_with, int& exit);

// Runs the handshake on the connected socket `s` (made non-blocking) within wait_s seconds
// (-w; <= 0: no limit). A client verifies `host` (the name typed, or --tls-sni's). Returns the
// session, or prints "TLS handshake with PEER failed: WHY" and sets `exit` (1).
// `stop`, when given, is asked at least every 200 ms while the peer is silent: true ends the
// handshake with nothing printed and `exit` 1 (the caller says it was interrupted).
std::optional<tls_session> tls_handshake(const socket& s, const tls_flags& f, bool server, const std::string& host,
                                         const std::string& peer_name, double wait_s, int& exit,
                                         const std::function<bool()>& stop = {});

// The handshake of `ts` on the connected socket `s` (made non-blocking), waiting by `by`: {} once
// done, std::errc::timed_out at the deadline, or why it failed (tls_why renders it). Prints
// nothing: for callers that report errors their own way (bench). `stop`, when given, is asked at
// least every 200 ms while the peer is silent: true ends the wait with std::errc::operation_canceled
// (a caller whose signals only raise a flag).
std::error_code drive_tls_handshake(const socket& s, tls_session& ts, const deadline& by,
                                    const std::function<bool()>& stop = {});

// Why a handshake failed, for "TLS handshake with PEER failed: WHY": the error's text without the
// category's "handshake failed: ", with what the session knows (the host wanted) if given.
std::string tls_why(std::error_code ec, const tls_session* session = nullptr);

}  // namespace sockit::cli
