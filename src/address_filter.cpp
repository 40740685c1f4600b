// Address prefixes and the allow/deny filter (see address_filter.hpp).
#include "sockit/address_filter.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>

#include "detail/net.hpp"
#include "sockit/error.hpp"

namespace sockit {

namespace {

// The address of `e` as (family, bytes), an IPv4-mapped IPv6 address folded to IPv4.
bool address_of(const endpoint& e, int& family, std::array<std::uint8_t, 16>& out) {
  out.fill(0);
  if (e.is_v4()) {
    const auto* sin = reinterpret_cast<const sockaddr_in*>(e.data());
    std::memcpy(out.data(), &sin->sin_addr, 4);
    family = AF_INET;
    return true;
  }
  if (!e.is_v6()) return false;
  const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(e.data());
  if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
    std::memcpy(out.data(), &sin6->sin6_addr.s6_addr[12], 4);
    family = AF_INET;
    return true;
  }
  std::memcpy(out.data(), &sin6->sin6_addr, 16);
  family = AF_INET6;
  return true;
}

template <typename F>
std::error_code for_each_item(std::string_view list, F&& f) {
  for (;;) {
    auto comma = list.find(',');
    auto item = list.substr(0, comma);
    if (auto ec = f(item)) return ec;
    if (comma == std::string_view::npos) return {};
    list.remove_prefix(comma + 1);
  }
}

std::error_code add_all(std::string_view list, std::vector<address_prefix>& to) {
  std::vector<address_prefix> got;
  auto ec = for_each_item(list, [&](std::string_view item) -> std::error_code {
    auto p = address_prefix::parse(item);
    if (!p) return p.error();
    got.push_back(*p);
    return {};
  });
  if (ec) return ec;
  to.insert(to.end(), got.begin(), got.end());
  return {};
}

// Clears the bits past the length, so contains() and to_string() see the network.
void clear_host_bits(address_prefix& p) noexcept {
  const int max = p.family == AF_INET ? 32 : 128;
  for (int bit = p.length; bit < max; ++bit) {
    p.bytes[static_cast<std::size_t>(bit / 8)] &= static_cast<std::uint8_t>(~(0x80u >> (bit % 8)));
  }
}

bool matches(const std::vector<address_prefix>& list, const endpoint& e) {
  for (const auto& p : list) {
    if (p.contains(e)) return true;
  }
  return false;
}

}  // namespace

result<address_prefix> address_prefix::parse(std::string_view text) {
  address_prefix p;
  auto slash = text.find('/');
  std::string host(text.substr(0, slash));
  if (host.empty()) return make_error_code(errc::bad_host);
  if (::inet_pton(AF_INET, host.c_str(), p.bytes.data()) == 1) {
    p.family = AF_INET;
  } else if (::inet_pton(AF_INET6, host.c_str(), p.bytes.data()) == 1) {
    p.family = AF_INET6;
  } else {
    return make_error_code(errc::bad_host);
  }
  const int max = p.family == AF_INET ? 32 : 128;
  p.length = max;
  if (slash != std::string_view::npos) {
    auto len = text.substr(slash + 1);
    int n = -1;
    auto [end, ec] = std::from_chars(len.data(), len.data() + len.size(), n);
    if (len.empty() || len.size() > 3 || ec != std::errc() || end != len.data() + len.size() || n < 0 || n > max) {
      return make_error_code(errc::bad_address);
    }
    p.length = n;
  }
  // An IPv4-mapped rule (::ffff:10.0.0.0/104) is the IPv4 one (10.0.0.0/8): clients are matched
  // as IPv4 (address_of), so kept as IPv6 it would never match. Shorter than /96 it would also
  // name IPv6 addresses that are not mapped: refused, as ambiguous.
  if (p.family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(reinterpret_cast<const in6_addr*>(p.bytes.data()))) {
    if (p.length < 96) return make_error_code(errc::bad_address);
    std::memmove(p.bytes.data(), p.bytes.data() + 12, 4);
    std::fill(p.bytes.begin() + 4, p.bytes.end(), std::uint8_t{0});
    p.family = AF_INET;
    p.length -= 96;
  }
  clear_host_bits(p);
  return p;
}

bool address_prefix::contains(const endpoint& e) const noexcept {
  int fam = 0;
  std::array<std::uint8_t, 16> a{};
  if (!address_of(e, fam, a) || fam != family) return false;
  const int whole = length / 8, rest = length % 8;
  if (std::memcmp(a.data(), bytes.data(), static_cast<std::size_t>(whole)) != 0) return false;
  if (rest == 0) return true;
  const auto mask = static_cast<std::uint8_t>(0xffu << (8 - rest));
  return (a[static_cast<std::size_t>(whole)] & mask) == bytes[static_cast<std::size_t>(whole)];
}

std::string address_prefix::to_string() const {
  char text[INET6_ADDRSTRLEN] = {};
  ::inet_ntop(family, bytes.data(), text, sizeof text);
  return std::string(text) + "/" + std::to_string(length);
}

std::error_code address_filter::allow(std::string_view list) { return add_all(list, allow_); }
std::error_code address_filter::deny(std::string_view list) { return add_all(list, deny_); }

bool address_filter::permits(const endpoint& peer) const noexcept {
  if (!allow_.empty() && !matches(allow_, peer)) return false;
  return !matches(deny_, peer);
}

std::string address_filter::first_bad(std::string_view list) {
  std::string bad;
  (void)for_each_item(list, [&](std::string_view item) -> std::error_code {
    if (address_prefix::parse(item)) return {};
    bad = item;
    return make_error_code(errc::bad_host);
  });
  return bad;
}

}  // namespace sockit
