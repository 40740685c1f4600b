// The reflection guard every UDP service consults before it replies. UDP sources are trivially
// spoofed, so an answering service can be aimed at a victim, or at another answering service
// (echo <-> chargen) to loop forever. Two rules stop that:
//   1. never answer a datagram from a source port below 1024 (7, 9, 13, 19 and every other
//      well-known service port; normal clients use ephemeral ports), nor one from our own ports;
//   2. a token bucket per source address (the port is ignored: spoofers vary it) caps the replies
//      any one address can draw. The table of buckets is bounded; when it is full and no idle
//      entry can be evicted, new sources get no reply (fail closed) rather than more memory.
//      Loopback sources (127.0.0.0/8, ::1, ::ffff:127.0.0.0/104) are exempt: nobody outside this
//      host can forge them, since the kernel drops packets carrying them that arrive on any
//      interface but lo (IPv4 martian filtering unless route_localnet is set; RFC 4291 for ::1).
//      Only a local process can send from them, and it could flood this host directly anyway;
//      limiting them only made local benchmarks measure the limiter.
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "sockit/endpoint.hpp"

namespace sockit::cli {

struct udp_guard_options {
  double rate = 50;     // replies per second per non-loopback source address; 0 = no rate limit
  double burst = 100;   // bucket size: replies a quiet source may draw at once
  std::size_t max_sources = 4096;
  std::uint16_t min_source_port = 1024;
};

class udp_guard {
 public:
  enum class verdict { allow, privileged_port, own_port, rate_limited, table_full };
  using clock = std::chrono::steady_clock;

  explicit udp_guard(udp_guard_options o = {}) : opts_(o) {}

  // One of our own UDP endpoints: a datagram from it is never answered.
  void add_own(const endpoint& e) {
    std::lock_guard lock(mu_);
    own_.push_back(e);
  }
  // Decides whether `from` may get one reply now, and takes its token if so.
  verdict check(const endpoint& from, clock::time_point now = clock::now());
  // The same for a batch of sources (one recvmmsg's worth), out[i] for from[i]: one lock and one
  // clock reading for all of them. A loopback source (exempt from the rate) costs two compares.
  void check(std::span<const endpoint> from, std::span<verdict> out, clock::time_point now = clock::now());
  std::size_t sources() const {
    std::lock_guard lock(mu_);
    return buckets_.size();
  }

 private:
  struct bucket {
    double tokens;
    clock::time_point last;
  };
  bool is_own(const endpoint& from) const noexcept;
  verdict check_locked(const endpoint& from, clock::time_point now);
  void evict_idle(clock::time_point now);

  // With --threads N every loop's UDP sockets share one guard, so a source's budget is the same
  // whichever loop its datagrams land on: a short, rarely contended lock per datagram.
  mutable std::mutex mu_;
  udp_guard_options opts_;
  std::vector<endpoint> own_;
  std::unordered_map<std::string, bucket> buckets_;  // key: the raw address bytes
  clock::time_point last_sweep_{};
};

}  // namespace sockit::cli
