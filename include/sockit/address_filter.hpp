// sockit/address_filter.hpp: who may connect, by address prefix (ncat's --allow/--deny). A prefix
// is "ADDR" or "ADDR/LEN" in either family; IPv4-mapped IPv6 peers (::ffff:a.b.c.d, what a dual
// stack socket reports for an IPv4 client) are matched as the IPv4 address they carry. Public.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "sockit/endpoint.hpp"
#include "sockit/result.hpp"

namespace sockit {

struct address_prefix {
  int family = 0;  // AF_INET or AF_INET6
  std::array<std::uint8_t, 16> bytes{};  // network order; IPv4 in the first 4
  int length = 0;                        // bits that must match: 0..32 or 0..128

  // "10.0.0.0/8", "::1", "fe80::/10". Bits past the length may be set ("10.1.2.3/8" is 10.0.0.0/8,
  // as ncat and iptables read it). Errors: errc::bad_host (not a numeric address: names are never
  // resolved) or errc::bad_address (a prefix length that is not 0..32 / 0..128).
  static result<address_prefix> parse(std::string_view text);
  bool contains(const endpoint& e) const noexcept;
  std::string to_string() const;  // "10.0.0.0/8"
};

// An allow list and a deny list. With no allow entry everyone is allowed; with some, only those;
// a deny entry removes, whatever the allow list says.
class address_filter {
 public:
  // A comma-separated list of prefixes ("127.0.0.1,::1,10.0.0.0/8"); empty items are refused.
  // On error nothing is added and the error names no item: use first_bad() for the message.
  std::error_code allow(std::string_view list);
  std::error_code deny(std::string_view list);
  bool permits(const endpoint& peer) const noexcept;
  bool empty() const noexcept { return allow_.empty() && deny_.empty(); }
  const std::vector<address_prefix>& allowed() const noexcept { return allow_; }
  const std::vector<address_prefix>& denied() const noexcept { return deny_; }

  // The first item of `list` that parse() refuses ("" if none): what an error line should quote.
  static std::string first_bad(std::string_view list);

 private:
  std::vector<address_prefix> allow_;
  std::vector<address_prefix> deny_;
};

}  // namespace sockit
