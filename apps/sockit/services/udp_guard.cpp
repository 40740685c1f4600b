// The UDP reflection guard (see udp_guard.hpp).
#include "udp_guard.hpp"

#include <algorithm>

#include "../sys_socket.hpp"

namespace sockit::cli {

namespace {
std::string address_key(const endpoint& e) {
  if (e.is_v4()) {
    auto* sin = reinterpret_cast<const sockaddr_in*>(e.data());
    return std::string(reinterpret_cast<const char*>(&sin->sin_addr), sizeof sin->sin_addr);
  }
  auto* sin6 = reinterpret_cast<const sockaddr_in6*>(e.data());
  return std::string(reinterpret_cast<const char*>(&sin6->sin6_addr), sizeof sin6->sin6_addr);
}
}  // namespace

bool udp_guard::is_own(const endpoint& from) const noexcept {
  for (const auto& o : own_) {
    if (o.port() != from.port()) continue;
    // A wildcard-bound service may answer from any local address: compare the port only.
    if (o.is_unspecified() || o.address() == from.address()) return true;
  }
  return false;
}

void udp_guard::evict_idle(clock::time_point now) {
  // A bucket that has refilled completely carries no information: forget it. Sweeping is O(n),
  // so a flood of new sources triggers it at most ten times a second.
  if (now - last_sweep_ < std::chrono::milliseconds(100)) return;
  last_sweep_ = now;
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    double elapsed = std::chrono::duration<double>(now - it->second.last).count();
    if (it->second.tokens + elapsed * opts_.rate >= opts_.burst) {
      it = buckets_.erase(it);
    } else {
      ++it;
    }
  }
}

udp_guard::verdict udp_guard::check(const endpoint& from, clock::time_point now) {
  std::lock_guard lock(mu_);
  return check_locked(from, now);
}

void udp_guard::check(std::span<const endpoint> from, std::span<verdict> out, clock::time_point now) {
  std::lock_guard lock(mu_);
  for (std::size_t i = 0; i < from.size() && i < out.size(); ++i) out[i] = check_locked(from[i], now);
}

udp_guard::verdict udp_guard::check_locked(const endpoint& from, clock::time_point now) {
  if (from.port() < opts_.min_source_port) return verdict::privileged_port;
  if (is_own(from)) return verdict::own_port;
  // Rule 1 above held for every source; rule 2 only for those that can come from outside.
  if (opts_.rate <= 0 || from.is_loopback()) return verdict::allow;
  auto key = address_key(from);
  auto it = buckets_.find(key);
  if (it == buckets_.end()) {
    if (buckets_.size() >= opts_.max_sources) evict_idle(now);
    if (buckets_.size() >= opts_.max_sources) return verdict::table_full;
    it = buckets_.emplace(std::move(key), bucket{opts_.burst, now}).first;
  }
  auto& b = it->second;
  double elapsed = std::chrono::duration<double>(now - b.last).count();
  b.tokens = std::min(opts_.burst, b.tokens + elapsed * opts_.rate);
  b.last = now;
  if (b.tokens < 1.0) return verdict::rate_limited;
  b.tokens -= 1.0;
  return verdict::allow;
}

}  // namespace sockit::cli
