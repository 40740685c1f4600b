// The engine table and everything that reads it: choosing a backend at run time (muduo's
// DefaultPoller) and naming the engines.
#include "poller/engine_table.hpp"

#include <array>
#ifdef _WIN32
#include "detail/net.hpp"
#else
#include <sys/select.h>

#include "detail/uring_ring.hpp"
#endif

namespace sockit::detail {
namespace {

std::error_code always() noexcept { return {}; }

// To add a backend: write src/poller/<name>_poller.cpp with its factory, add its enumerator to
// sockit::engine, and add its row here (in speed order; automatic takes the first available).
#ifdef _WIN32
// select's limit is a count of sockets on Windows (its fd_set is an array), a value on Linux.
constexpr std::array rows{
    engine_row{engine::iocp, "iocp", 0, always, make_iocp_poller},
    engine_row{engine::wsapoll, "wsapoll", 0, always, make_poll_poller},
    engine_row{engine::select, "select", FD_SETSIZE, always, make_select_poller},
};
#else
constexpr std::array rows{
    engine_row{engine::uring, "uring", 0, uring_status, make_uring_poller},
    engine_row{engine::epoll, "epoll", 0, always, make_epoll_poller},
    engine_row{engine::poll, "poll", 0, always, make_poll_poller},
    engine_row{engine::select, "select", FD_SETSIZE, always, make_select_poller},
};
#endif

const engine_row* find(engine e) noexcept {
  for (const auto& r : rows) {
    if (r.id == e) return &r;
  }
  return nullptr;
}

}  // namespace

std::span<const engine_row> engine_table() noexcept { return rows; }

result<std::unique_ptr<poller>> make_poller(engine e) {
  if (e == engine::automatic) {
    // A row that is available but still fails to open (a ring the kernel will not allocate now)
    // hands over to the next: automatic must always give a working backend when one exists.
    std::error_code first_error = std::make_error_code(std::errc::function_not_supported);
    for (const auto& r : rows) {
      if (r.status()) continue;
      auto p = r.make();
      if (p) return p;
      first_error = p.error();
    }
    return first_error;
  }
  const engine_row* r = find(e);
  if (r == nullptr) return std::errc::invalid_argument;
  if (auto ec = r->status()) return ec;
  return r->make();
}

}  // namespace sockit::detail

namespace sockit {

result<engine> parse_engine(std::string_view name) {
  if (name == "auto") return engine::automatic;
  for (const auto& r : detail::engine_table()) {
    if (r.name == name) return r.id;
  }
  return std::errc::invalid_argument;
}

std::string_view engine_name(engine e) noexcept {
  if (e == engine::automatic) return "auto";
  const detail::engine_row* r = detail::find(e);
  return r != nullptr ? r->name : "?";
}

std::vector<engine_info> available_engines() {
  std::vector<engine_info> out;
  for (const auto& r : detail::engine_table()) {
    if (!r.status()) out.push_back({r.id, r.name, r.max_fds});
  }
  return out;
}

std::error_code engine_status(engine e) {
  const detail::engine_row* r = detail::find(e);
  if (r == nullptr) return std::make_error_code(std::errc::invalid_argument);
  return r->status();
}

}  // namespace sockit
