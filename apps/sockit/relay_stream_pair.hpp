// The two sides of a relayed TCP connection when TLS is spoken on one of them or both (relay
// --tls-in, --tls-out): each side is a stream on the event loop, a tls_stream where TLS is spoken
// and a tcp_connection where not, and bytes are copied from one to the other (splice cannot see
// into TLS records). The plain relay's rules hold: the end of one peer's stream (its close_notify
// or FIN) is passed on as ours once everything before it is delivered; an error on one side resets
// the other; a side is not read while the other's output queue is over its high-water mark. A
// TLS side that has not finished its handshake within the connect timeout fails like a bad one.
// Private to the CLI.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <system_error>

#include "relay_settings.hpp"
#include "sockit/endpoint.hpp"
#include "sockit/event_loop.hpp"
#include "sockit/socket.hpp"

namespace sockit::cli {

class relay_stream_pair {
 public:
  enum class ending {
    clean,             // both ways ended in order
    reset,             // an error on either side; the other was reset
    client_handshake,  // the client's TLS handshake failed (--tls-in); the target is closed
    target_handshake,  // the target's TLS handshake failed (--tls-out); the client is reset
  };
  // Runs once, when the pair has ended by itself (not after close()); `why` is a failed
  // handshake's one-line reason. Both streams are closed by then.
  using end_handler = std::function<void(ending, std::error_code, const std::string& why)>;

  // Takes the connected sockets. An error (a TLS session that cannot be made) is returned at once.
  static result<std::unique_ptr<relay_stream_pair>> create(event_loop& loop, socket client, const endpoint& client_ep,
                                                          socket target, const relay_settings& s, end_handler on_end);
  virtual ~relay_stream_pair() = default;

  // Watches both sockets and starts the handshakes; an error here is returned, not reported.
  virtual std::error_code start() = 0;
  // Graceful stop: nothing more is read; what is queued is delivered, then each side's end.
  virtual void drain() = 0;
  virtual bool drained() const noexcept = 0;
  // Closes both now (with a reset if asked); the end handler does not run.
  virtual void close(bool reset) = 0;

  // Plaintext delivered each way.
  virtual std::uint64_t bytes_up() const noexcept = 0;
  virtual std::uint64_t bytes_down() const noexcept = 0;
  // "handshake", "open", "half-closed" or "draining", as the report shows it.
  virtual const char* state() const noexcept = 0;
};

}  // namespace sockit::cli
