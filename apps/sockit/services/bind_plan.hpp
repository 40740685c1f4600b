// Where every socket of a set of services binds, on every loop: the sockets the services ask for
// (per service, TCP then UDP), each port fixed once by loop 0 so that all loops share it (port 0
// becomes one real port), and a UDP socket on port 0 following its TCP sibling's port.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "service_spec.hpp"
#include "sockit/endpoint.hpp"
#include "sockit/result.hpp"

namespace sockit::cli {

struct planned_socket {
  std::size_t spec = 0;  // index into the services
  bool tcp = true;       // false: UDP
  endpoint at;           // as asked: the bind address with the service's port
  // UDP of a service on port 0 that also has TCP: the index of that TCP socket, whose port it
  // takes when that port is free for UDP too ("--port 0" still means one port per service).
  std::optional<std::size_t> follows;
  // The ::1 twin of an IPv4 loopback socket (the default binding: loopback in both families):
  // the index of that socket, whose port it takes.
  std::optional<std::size_t> twin_of;
};

class bind_plan {
 public:
  // `shared`: several loops bind every socket (SO_REUSEPORT), so loop 0 probes each port first.
  // `loopback_pair`: each socket at `bind` (127.0.0.1) gets a twin on ::1, on the port it got;
  // where ::1 cannot be bound (IPv6 disabled) the twins are left out, with one notice line.
  bind_plan(const endpoint& bind, bool loopback_pair, const std::vector<service_spec>& specs, bool shared);

  // Two services given the same non-zero port on a protocol both serve: a usage error line naming
  // both options (they could only fail on each other); empty when every port is its own. Port 0
  // may repeat: each socket gets a free port of its own.
  static std::string port_clash(const std::vector<service_spec>& specs);

  const std::vector<planned_socket>& sockets() const noexcept { return sockets_; }

  // Opens one socket at an address and returns where it really listens.
  using opener = std::function<result<endpoint>(const endpoint& at)>;
  // Opens socket `i` for loop `loop` (loop 0 first, every socket, then the others) through
  // `open`. On failure, `tried` is the address that failed, for the error line.
  std::error_code open(std::size_t loop, std::size_t i, const opener& open, endpoint& tried);

 private:
  // A ::1 twin that this host cannot bind (IPv6 disabled): leaves out every twin, says so once.
  bool twin_unusable(std::size_t i, const endpoint& at, std::error_code ec);

  std::vector<planned_socket> sockets_;
  std::vector<endpoint> fixed_;  // where loop 0 bound each socket: where every other loop binds
  std::vector<bool> skipped_;    // twins left out because this host has no usable ::1
  bool no_ipv6_ = false;
  bool shared_;
};

}  // namespace sockit::cli
