// One UDP service on the event loop: a non-blocking socket, a responder that turns a datagram
// into an optional reply, and the reflection guard consulted before any reply goes out. Replies
// leave from the socket the datagram came in on, so from the service's own port. Datagrams are
// read and answered in batches (recvmmsg/sendmmsg); the guard still judges each one.
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "service_stats.hpp"
#include "sockit/datagram_batch.hpp"
#include "sockit/event_loop.hpp"
#include "sockit/socket.hpp"
#include "udp_guard.hpp"

namespace sockit::cli {

class udp_service {
 public:
  // Fills `reply` for the datagram `in`; returns false to send nothing.
  using responder = std::function<bool(std::span<const std::byte> in, std::string& reply)>;

  // A null responder never replies (discard). `guard` must outlive the service. `prepare`: the
  // socket's options, set before it binds.
  static result<std::unique_ptr<udp_service>> create(event_loop& loop, std::string name, const endpoint& at,
                                                     udp_guard& guard, responder respond,
                                                     bool reuse_port = false, const socket_prepare& prepare = {});
  // A service on a bound Unix datagram socket (unix_flags' listen_unix), named `unix_at` in the
  // report. Replies go to each sender's address, one datagram at a time; the guard is not asked
  // (a Unix sender's address cannot be forged, and nothing outside this host can send). A sender
  // that never bound has no address: its datagrams are counted as dropped, with one warning.
  static result<std::unique_ptr<udp_service>> adopt_unix(event_loop& loop, std::string name, socket s,
                                                         std::string unix_at, udp_guard& guard, responder respond);
  ~udp_service();

  const endpoint& local_endpoint() const noexcept { return stats_.local; }
  const service_stats& totals() const noexcept { return stats_; }
  void close();

  udp_service(event_loop& loop, std::string name, socket s, udp_guard& guard, responder respond);  // use create()

 private:
  void handle_readable();
  void send_replies(std::size_t count);
  void handle_unix_readable();

  event_loop& loop_;
  socket socket_;
  udp_guard& guard_;
  responder respond_;
  datagram_batch in_;                  // what one wake-up reads: 64 datagrams of up to 64 KiB
  datagram_batch out_;                 // the replies, pointing into replies_
  std::vector<std::string> replies_;
  std::vector<udp_guard::verdict> verdicts_;
  service_stats stats_;
  std::vector<std::byte> unix_buffer_;  // a Unix socket's datagram (adopt_unix only)
  bool warned_unnamed_ = false;
};

}  // namespace sockit::cli
