// One relayed TCP connection: the accepted client socket, a non-blocking connect to the target,
// then two flows (client -> target "up", target -> client "down") on the event loop until both
// have finished. How it ends:
//   - both sides sent FIN and everything was delivered: both sockets closed (clean);
//   - an error on either side (reset, broken pipe): both sockets closed with a reset (SO_LINGER 0),
//     so each peer learns the relayed connection failed, as it would have without the relay;
//   - the target refuses, resets or does not answer the connect within --connect-timeout: the
//     client is reset (it sees ECONNRESET, not a clean end it could take for an empty reply), and
//     one warning line names the target and the error;
//   - with TLS on a side (--tls-in, --tls-out) the bytes go through relay_stream_pair instead of the
//     flows, and a failed handshake ends the connection: the client's (the target is closed), or
//     the target's (the client is reset); why() says why in one line.
// Private to the CLI.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <system_error>

#include "relay_flow.hpp"
#include "relay_settings.hpp"
#include "relay_stats.hpp"
#include "relay_stream_pair.hpp"
#include "sockit/endpoint.hpp"
#include "sockit/event_loop.hpp"
#include "sockit/socket.hpp"

namespace sockit::cli {

class relay_connection {
 public:
  using clock = std::chrono::steady_clock;
  enum class outcome { clean, reset, target_failed, stopped, client_tls_failed, target_tls_failed };
  // Runs once when the connection has ended (its sockets are closed by then). The owner must not
  // destroy the connection inside it: post the destruction.
  using end_handler = std::function<void(relay_connection&, outcome, std::error_code)>;

  relay_connection(event_loop& loop, std::uint64_t id, socket client, endpoint client_ep, const relay_settings& s,
                   end_handler on_end);
  ~relay_connection();
  relay_connection(const relay_connection&) = delete;
  relay_connection& operator=(const relay_connection&) = delete;

  // Starts the connect to the target. Errors end the connection through the end handler (on a
  // later turn: never inside this call).
  void start();
  // Graceful stop: nothing more is read; what is held is delivered, then FIN both ways.
  void drain();
  bool drained() const noexcept;
  // Closes both sockets now (plain close); the end handler runs with outcome::stopped.
  void stop();

  std::uint64_t id() const noexcept { return id_; }
  bool ended() const noexcept { return ended_; }
  // A failed TLS handshake's reason ("certificate has expired"), once ended with one.
  const std::string& why() const noexcept { return why_; }
  relay_row row(clock::time_point now) const;
  // Delivered each way (kept after the end, for the totals).
  std::uint64_t bytes_up() const noexcept;
  std::uint64_t bytes_down() const noexcept;

 private:
  void on_connect_event();
  void connected();
  void start_streams();
  void on_io(bool client_side, std::uint32_t ev);
  void pump();
  void update();
  void set_interest(const socket& s, bool& watched, std::uint32_t& current, std::uint32_t want, bool done, bool client_side);
  void arm_timer(std::optional<clock::time_point> at);
  void end(outcome o, std::error_code ec);

  event_loop& loop_;
  std::uint64_t id_;
  socket client_;
  socket target_;
  endpoint client_ep_;
  const relay_settings& settings_;
  end_handler on_end_;
  std::optional<relay_flow> up_, down_;
  std::unique_ptr<relay_stream_pair> streams_;  // TLS on a side: instead of the flows
  std::string why_;
  clock::time_point started_;
  bool connecting_ = false;
  bool client_watched_ = false, target_watched_ = false;
  std::uint32_t client_interest_ = 0, target_interest_ = 0;
  event_loop::timer_id connect_timer_ = 0, wake_timer_ = 0;
  std::optional<clock::time_point> wake_at_;
  bool draining_ = false;
  bool ended_ = false;
  std::uint64_t final_up_ = 0, final_down_ = 0;
  std::string final_path_;
  std::shared_ptr<int> token_ = std::make_shared<int>(0);  // expires when the connection ends
};

}  // namespace sockit::cli
