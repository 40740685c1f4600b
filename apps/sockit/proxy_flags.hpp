// connect's proxy flags (--proxy, --proxy-type, --proxy-auth, as ncat's): parsed and checked in one
// place, and the handshake run on the socket connected to the proxy, with its error lines.
// Private to the CLI.
#pragma once

#include <optional>
#include <string>

#include "cli_fwd.hpp"

#include "sockit/endpoint.hpp"
#include "sockit/proxy.hpp"
#include "sockit/socket.hpp"

namespace sockit::cli {

// The handshake's bound when -w is not given (with -w, -w bounds it).
inline constexpr double default_proxy_handshake_seconds = 10;

struct proxy_flags {
  std::optional<std::string> address;  // --proxy HOST:PORT, as typed
  std::optional<std::string> type;     // --proxy-type
  std::optional<std::string> auth;     // --proxy-auth USER:PASS

  // Filled by check_proxy_flags():
  bool on = false;
  host_port at;           // the proxy
  proxy_request request;  // the tunnel: type, target as the user typed it, credentials
  std::string target;     // "localhost:22", "[::1]:22": how error lines and the relay name it
};

void add_proxy_flags(CLI::App& cmd, proxy_flags& f);

// Checks the flags against the target (host without brackets, port): a malformed --proxy, an
// unknown type, --proxy with UDP, credentials without a user or over 255 bytes, a target no proxy
// request can carry. Prints one usage line and sets exit on error.
bool check_proxy_flags(proxy_flags& f, bool udp, const std::string& host, std::uint16_t port, int& exit);

// Runs the handshake on `s`, connected to the proxy at `proxy`, within wait_s seconds (-w; < 0:
// default_proxy_handshake_seconds). Returns exit_ok with the tunnel open (-v says so), or prints
// why not and returns exit_failure.
int open_proxy_tunnel(const socket& s, const endpoint& proxy, const proxy_flags& f, double wait_s);

}  // namespace sockit::cli
