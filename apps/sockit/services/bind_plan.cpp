// The bind plan: which sockets, on which ports, probed once for all the loops.
#include "bind_plan.hpp"

#include <fmt/core.h>

#include "../cli.hpp"
#include "sockit/error.hpp"
#include "sockit/tcp.hpp"
#include "sockit/udp.hpp"

namespace sockit::cli {

namespace {

// The port a just-opened socket (a tcp_listen or udp_bind result) is bound to, or why not.
template <class Opened>
result<std::uint16_t> bound_port(const Opened& s) {
  if (!s) return s.error();
  auto l = s->local_endpoint();
  if (!l) return l.error();
  return l->port();
}

// Binds `at` once without SO_REUSEPORT first: a port someone else holds must fail as usual
// (with SO_REUSEPORT another process of the same user could silently share it), and port 0 is
// resolved to the one real port every loop then shares.
result<std::uint16_t> probe_port(const endpoint& at, bool tcp) {
  if (tcp) {
    listen_options lo;
    lo.v6_only = false;
    return bound_port(tcp_listen(at, lo));
  }
  udp_bind_options bo;
  bo.v6_only = false;
  return bound_port(udp_bind(at, bo));
}

}  // namespace

std::string bind_plan::port_clash(const std::vector<service_spec>& specs) {
  for (std::size_t i = 0; i < specs.size(); ++i) {
    for (std::size_t j = i + 1; j < specs.size(); ++j) {
      const auto &a = specs[i], &b = specs[j];
      if (a.port == 0 || a.port != b.port || !((a.tcp && b.tcp) || (a.udp && b.udp))) continue;
      return fmt::format("{} and {} both ask for port {}: give each service its own (0: any free port)",
                         a.port_flag, b.port_flag, a.port);
    }
  }
  return {};
}

bind_plan::bind_plan(const endpoint& bind, bool loopback_pair, const std::vector<service_spec>& specs, bool shared)
    : shared_(shared) {
  // Each socket, then its ::1 twin right after it: the IPv4 line comes first in the table.
  auto add = [&](planned_socket ps) {
    std::size_t index = sockets_.size();
    sockets_.push_back(ps);
    if (loopback_pair) sockets_.push_back({ps.spec, ps.tcp, endpoint::loopback_v6(ps.at.port()), std::nullopt, index});
    return index;
  };
  for (std::size_t k = 0; k < specs.size(); ++k) {
    const auto& s = specs[k];
    endpoint at = bind;
    at.set_port(s.port);
    std::optional<std::size_t> tcp_index;
    if (s.tcp) tcp_index = add({k, true, at, std::nullopt, std::nullopt});
    if (s.udp) add({k, false, at, s.port == 0 ? tcp_index : std::nullopt, std::nullopt});
  }
  fixed_.resize(sockets_.size());
  skipped_.resize(sockets_.size());
}

std::error_code bind_plan::open(std::size_t loop, std::size_t i, const opener& open_at, endpoint& tried) {
  const auto& ps = sockets_[i];
  if (skipped_[i]) return {};
  if (ps.twin_of && no_ipv6_) {
    skipped_[i] = true;
    return {};
  }
  if (loop > 0) {
    tried = fixed_[i];
    auto r = open_at(tried);
    return r ? std::error_code{} : r.error();
  }
  endpoint at = ps.at;
  if (ps.follows) at.set_port(fixed_[*ps.follows].port());
  if (ps.twin_of) at.set_port(fixed_[*ps.twin_of].port());
  // Port 0 asked: a twin or a follower whose port is taken on its side takes any free one.
  const bool may_move = ps.follows || (ps.twin_of && ps.at.port() == 0);
  if (shared_) {
    auto p = probe_port(at, ps.tcp);
    if (!p && may_move && p.error() == std::errc::address_in_use) {
      at.set_port(0);  // the TCP port is taken for UDP: any free one
      p = probe_port(at, ps.tcp);
    }
    if (!p) {
      tried = at;
      return twin_unusable(i, at, p.error()) ? std::error_code{} : p.error();
    }
    at.set_port(*p);
  }
  tried = at;
  auto r = open_at(at);
  if (!r && may_move && !shared_ && r.error() == std::errc::address_in_use) {
    at.set_port(0);
    tried = at;
    r = open_at(at);
  }
  if (!r) return twin_unusable(i, at, r.error()) ? std::error_code{} : r.error();
  fixed_[i] = *r;
  return {};
}

bool bind_plan::twin_unusable(std::size_t i, const endpoint& at, std::error_code ec) {
  if (!sockets_[i].twin_of) return false;
  if (ec != std::errc::address_not_available && ec != std::errc::address_family_not_supported) return false;
  if (!no_ipv6_) notice(describe("no IPv6 loopback here (bind " + at.to_string() + ")", ec) + ": listening on IPv4 only");
  no_ipv6_ = true;
  skipped_[i] = true;
  return true;
}

}  // namespace sockit::cli
