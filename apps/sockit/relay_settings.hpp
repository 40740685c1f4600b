// What one `sockit relay` run was asked to do, shared by every loop's TCP or UDP relay.
// Private to the CLI.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "sockit/socket.hpp"
#include "relay_impairment.hpp"
#include "sockit/endpoint.hpp"
#include "sockit/tls_context.hpp"
#include "sockit/unix.hpp"

namespace sockit::cli {

struct relay_settings {
  endpoint target;
  std::optional<unix_address> target_unix;  // TARGET unix:/path or unix:@name (then `target` is empty)
  bool copy = false;          // --copy: read/write, never splice
  std::size_t pipe_size = 256 << 10;  // --pipe-size: F_SETPIPE_SZ hint per direction
  impairment_config impair;
  bool impair_up = true;    // client -> target
  bool impair_down = true;  // target -> client
  std::uint64_t seed = 0;
  std::chrono::milliseconds connect_timeout{10000};
  std::size_t max_connections = 0;  // TCP, per loop
  std::chrono::milliseconds idle{60000};  // UDP session idle expiry
  std::size_t max_sessions = 1024;        // UDP, per loop
  // --tls-in: the server context clients handshake with; --tls-out: the client context for the
  // target, verified against tls_host (the TARGET's host or --tls-sni; empty: the chain only).
  // Either set: the connection is copied through streams (relay_stream_pair), not spliced.
  const tls_context* tls_in = nullptr;
  const tls_context* tls_out = nullptr;
  std::string tls_host;
  // The socket option flags: on the listening sockets (accepted ones inherit them) and on each
  // socket to the target (with --source). Stateless, so every loop's thread may call them.
  socket_prepare listen_prepare;
  socket_prepare target_prepare;
  // Connection and session numbers, shared by the loops (ids in logs and statistics, and the
  // impairment seeds).
  std::atomic<std::uint64_t>* next_id = nullptr;

  std::string target_name() const { return target_unix ? target_unix->to_string() : target.to_string(); }

  const impairment_config* impair_for(bool up) const noexcept {
    if (!impair.active()) return nullptr;
    return (up ? impair_up : impair_down) ? &impair : nullptr;
  }
};

}  // namespace sockit::cli
