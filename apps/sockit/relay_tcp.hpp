// The TCP relay of one event loop: a listener (SO_REUSEPORT with several loops) and the relayed
// connections it accepted, their limit, their graceful stop and their totals. Private to the CLI.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <unordered_map>

#include "relay_connection.hpp"
#include "relay_service.hpp"
#include "relay_settings.hpp"
#include "warning_limiter.hpp"
#include "sockit/event_loop.hpp"
#include "sockit/tcp_acceptor.hpp"

namespace sockit::cli {

class tcp_relay : public relay_service {
 public:
  static result<std::unique_ptr<tcp_relay>> create(event_loop& loop, const endpoint& at, const relay_settings& s,
                                                   bool reuse_port);
  // On a listening socket made elsewhere: a Unix stream listener (unix_flags' listen_unix), whose
  // local_endpoint() and clients' endpoints are empty.
  static result<std::unique_ptr<tcp_relay>> adopt(event_loop& loop, socket listener, const relay_settings& s);
  tcp_relay(event_loop& loop, const relay_settings& s) : loop_(loop), settings_(s) {}  // use create()
  ~tcp_relay() override;

  const endpoint& local_endpoint() const noexcept override { return local_; }
  relay_snapshot snapshot() const override;
  void begin_drain() override;
  std::size_t sweep_drained() override;
  void close_all() override;

 private:
  void accept(socket s, const endpoint& peer);
  void ended(relay_connection& c, relay_connection::outcome o, std::error_code ec);
  // Warnings that a flood could repeat thousands of times: at most one a second, with a count.

  event_loop& loop_;
  const relay_settings& settings_;
  std::unique_ptr<tcp_acceptor> acceptor_;
  endpoint local_;
  std::unordered_map<std::uint64_t, std::unique_ptr<relay_connection>> live_;  // ended ones until the turn ends
  std::size_t open_ = 0;  // not yet ended
  std::deque<relay_row> history_;  // the last connections that closed
  relay_totals totals_;            // of the connections that closed
  warning_limiter warnings_;
};

}  // namespace sockit::cli
