// One TCP service on the event loop: an acceptor plus the connections it owns. The service's
// behaviour (echo, discard...) is an open handler that installs the connection's callbacks; this
// class owns lifetimes, caps the number of connections and keeps the totals.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

#include "service_stats.hpp"
#include "sockit/event_loop.hpp"
#include "sockit/tcp_acceptor.hpp"
#include "sockit/tcp_connection.hpp"

namespace sockit::cli {

class tcp_service {
 public:
  // Runs once per connection, after it is started (so sends and closes are allowed).
  using open_handler = std::function<void(tcp_connection&)>;

  static result<std::unique_ptr<tcp_service>> create(event_loop& loop, std::string name, const endpoint& at,
                                                     open_handler on_open, std::size_t max_connections);
  ~tcp_service();

  const endpoint& local_endpoint() const noexcept { return stats_.local; }
  // Totals so far, live connections included.
  service_stats totals() const;
  // Stops accepting and closes every connection (their bytes are counted).
  void close_all();

  tcp_service(event_loop& loop, std::string name, open_handler on_open, std::size_t max_connections);  // use create()

 private:
  void accept(socket s, const endpoint& peer);

  event_loop& loop_;
  open_handler on_open_;
  std::size_t max_connections_;
  std::unique_ptr<tcp_acceptor> acceptor_;
  std::unordered_map<tcp_connection*, std::shared_ptr<tcp_connection>> live_;
  service_stats stats_;
};

}  // namespace sockit::cli
