// The UDP relay of one event loop: one socket where clients send, and a session per client
// address, each with its own socket connected to the target (so the target's replies come back
// on it and go to that client, and the target sees one source port per client, as with a NAT).
// Sessions expire after --idle seconds without a datagram either way; at most --max-sessions
// are open (datagrams from further new clients are dropped and counted). With impairments each
// direction of a session has a delay line (a timed_queue of at most 1024 datagrams or 4 MiB;
// past that a datagram is dropped, as a full router queue would). Private to the CLI.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "relay_impairment.hpp"
#include "relay_service.hpp"
#include "relay_settings.hpp"
#include "relay_timed_queue.hpp"
#include "warning_limiter.hpp"
#include "sockit/event_loop.hpp"
#include "sockit/socket.hpp"

namespace sockit::cli {

inline constexpr std::size_t udp_queue_datagrams = 1024;
inline constexpr std::size_t udp_queue_bytes = 4 << 20;

class udp_relay : public relay_service {
 public:
  using clock = std::chrono::steady_clock;
  static result<std::unique_ptr<udp_relay>> create(event_loop& loop, const endpoint& at, const relay_settings& s,
                                                   bool reuse_port);
  udp_relay(event_loop& loop, const relay_settings& s) : loop_(loop), settings_(s) {}  // use create()
  ~udp_relay() override;

  const endpoint& local_endpoint() const noexcept override { return local_; }
  relay_snapshot snapshot() const override;
  void begin_drain() override;
  std::size_t sweep_drained() override;
  void close_all() override;

 private:
  // One direction of an impaired session.
  struct lane {
    lane(const impairment_config& c, std::uint64_t seed) : imp(c, seed), pace(c.rate) {}
    impairment imp;
    pacer pace;
    timed_queue queue;
    event_loop::timer_id timer = 0;
    std::optional<clock::time_point> timer_at;
  };
  struct session {
    std::uint64_t id = 0;
    endpoint client;
    std::string key;
    socket upstream;  // connected to the target
    clock::time_point started, last;
    std::uint64_t bytes_up = 0, bytes_down = 0, datagrams_up = 0, datagrams_down = 0;
    std::unique_ptr<lane> up, down;  // only with impairments in that direction
  };

  void on_listener();
  void on_upstream(session& s);
  session* open_session(const endpoint& client, const std::string& key);
  // A datagram on its way: straight out, or into the lane's delay line.
  void forward(session& s, bool up, std::span<const std::byte> data);
  bool send_now(session& s, bool up, std::span<const std::byte> data);
  void flush(session& s, bool up);
  void close_session(session& s, const char* why);
  void expire();

  event_loop& loop_;
  const relay_settings& settings_;
  socket listener_;
  bool listening_ = false;
  endpoint local_;
  std::unordered_map<std::string, std::unique_ptr<session>> sessions_;  // by the client's sockaddr bytes
  event_loop::timer_id expiry_timer_ = 0;
  std::deque<relay_row> history_;
  relay_totals totals_;  // of the sessions that closed, and the drops
  warning_limiter warnings_;
};

}  // namespace sockit::cli
