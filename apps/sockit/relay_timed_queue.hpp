// The relay's delay line: units of bytes (a read's worth on TCP, a datagram on UDP), each with the
// time it may leave, kept in that order (first in, first out among equal times). Impaired traffic
// waits here instead of in a pipe, since splice cannot hold bytes back; the owner bounds it by
// bytes() and count(). Private to the CLI.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <span>
#include <vector>

namespace sockit::cli {

class timed_queue {
 public:
  using clock = std::chrono::steady_clock;

  void push(clock::time_point due, std::span<const std::byte> data) {
    units_.emplace(due, unit{std::vector<std::byte>(data.begin(), data.end()), 0});
    bytes_ += data.size();
  }
  bool empty() const noexcept { return units_.empty(); }
  std::size_t bytes() const noexcept { return bytes_; }
  std::size_t count() const noexcept { return units_.size(); }
  clock::time_point head_due() const { return units_.begin()->first; }
  // What is left to send of the first unit.
  std::span<const std::byte> head() const {
    const auto& u = units_.begin()->second;
    return std::span<const std::byte>(u.data).subspan(u.sent);
  }
  // n bytes of the first unit have left; the unit goes when all of it has.
  void consume(std::size_t n) {
    auto it = units_.begin();
    it->second.sent += n;
    bytes_ -= n;
    if (it->second.sent >= it->second.data.size()) units_.erase(it);
  }
  // Drops the first unit whole (a datagram that could not be sent).
  void pop() { consume(head().size()); }
  void clear() noexcept {
    units_.clear();
    bytes_ = 0;
  }

 private:
  struct unit {
    std::vector<std::byte> data;
    std::size_t sent;
  };
  std::multimap<clock::time_point, unit> units_;  // equal keys keep insertion order
  std::size_t bytes_ = 0;
};

}  // namespace sockit::cli
