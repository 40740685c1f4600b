// Binding 127.0.0.1 and ::1 on one port for the servers' default address.
#include "loopback_pair.hpp"

#include <string>
#include <system_error>

#include <fmt/core.h>

#include "args.hpp"
#include "cli.hpp"

namespace sockit::cli {

namespace {

// Port 0: how often to start over when ::1 already has the port the kernel gave 127.0.0.1.
constexpr int port_zero_attempts = 8;

// ::1 cannot exist here (the errors bind(2)/socket(2) give with IPv6 disabled), as opposed to a
// ::1 that exists but refuses this port.
bool no_ipv6_loopback(std::error_code ec) {
  return ec == std::errc::address_not_available || ec == std::errc::address_family_not_supported;
}

bound_socket bound(socket s, const endpoint& asked) {
  auto local = s.local_endpoint();
  endpoint at = local ? *local : asked;
  return {std::move(s), at};
}

}  // namespace

int bind_loopback_pair(std::uint16_t port, const bind_function& bind, std::string_view what, std::string_view proto,
                       std::vector<bound_socket>& out) {
  out.clear();
  std::string choose = "choose another, or 0";
  for (int attempt = 1;; ++attempt) {
    endpoint at4 = endpoint::loopback_v4(port);
    auto s4 = bind(at4);
    if (!s4) return bind_failure(std::string(what) + " " + at4.to_string(), s4.error(), choose);
    bound_socket b4 = bound(std::move(*s4), at4);

    endpoint at6 = endpoint::loopback_v6(b4.at.port());
    auto s6 = bind(at6);
    if (!s6 && no_ipv6_loopback(s6.error())) {
      announce_listening(b4.at, proto);
      notice(fmt::format("no IPv6 loopback here (bind {}: {}): listening on IPv4 only", at6.to_string(),
                         s6.error().message()));
      out.push_back(std::move(b4));
      return exit_ok;
    }
    if (!s6 && port == 0 && s6.error() == std::errc::address_in_use && attempt < port_zero_attempts) {
      continue;  // b4 closes here; the kernel picks another port
    }
    if (!s6) return bind_failure(std::string(what) + " " + at6.to_string(), s6.error(), choose);
    announce_listening(b4.at, proto);
    out.push_back(std::move(b4));
    bound_socket b6 = bound(std::move(*s6), at6);
    announce_listening(b6.at, proto);
    out.push_back(std::move(b6));
    return exit_ok;
  }
}

}  // namespace sockit::cli
