// sockit/tcp_acceptor.hpp: accepts connections on an event loop and hands each one over. It
// survives descriptor exhaustion (EMFILE/ENFILE) without spinning: a reserved descriptor is freed
// to accept and shed the excess connection, so the listener's backlog keeps draining.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include "sockit/endpoint.hpp"
#include "sockit/event_loop.hpp"
#include "sockit/socket.hpp"
#include "sockit/tcp.hpp"

namespace sockit {

class tcp_acceptor {
 public:
  // Runs on the loop thread for each accepted connection. It must not destroy the acceptor
  // (call close() instead, or destroy it from a posted task).
  using connection_handler = std::function<void(socket s, const endpoint& peer)>;

  static result<std::unique_ptr<tcp_acceptor>> create(event_loop& loop, const endpoint& at,
                                                       const listen_options& opts,
                                                       connection_handler on_connection);
  // Takes over a socket that already listens (bound and announced by the caller, as the CLI's
  // listen does for 127.0.0.1 and ::1 on one port); it is made non-blocking. A Unix stream
  // listener (unix_listen) works too: its local_endpoint() and its peers' endpoints are empty.
  // A socket that does not listen is refused (std::errc::invalid_argument).
  static result<std::unique_ptr<tcp_acceptor>> adopt(event_loop& loop, socket listener,
                                                      connection_handler on_connection);
  ~tcp_acceptor();

  const endpoint& local_endpoint() const noexcept { return local_; }
  // Stops accepting and closes the listening socket.
  void close();

  std::uint64_t accepted() const noexcept { return accepted_; }
  std::uint64_t shed() const noexcept { return shed_; }

  tcp_acceptor(event_loop& loop, socket listener, endpoint local, connection_handler h);  // use create()

 private:
  void handle_readable();

  event_loop& loop_;
  socket listener_;
  endpoint local_;
  connection_handler on_connection_;
  int reserve_fd_ = -1;
  event_loop::timer_id retry_timer_ = 0;  // pending re-arm after a resource error
  std::uint64_t accepted_ = 0;
  std::uint64_t shed_ = 0;
};

}  // namespace sockit
