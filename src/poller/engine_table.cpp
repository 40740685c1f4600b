// The engine table and everything that reads it: choosing a backend at run time (muduo's
// DefaultPoller) and naming the engines.
#include "poller/engine_table.hpp"

#include <array>
#include <sys/select.h>

namespace sockit::detail {
namespace {

bool always() noexcept { return true; }

// To add a backend: write src/poller/<name>_poller.cpp with its factory, add its enumerator to
// sockit::engine, and add its row here (in speed order; automatic takes the first available).
constexpr std::array rows{
    engine_row{engine::epoll, "epoll", 0, always, make_epoll_poller},
    engine_row{engine::poll, "poll", 0, always, make_poll_poller},
    engine_row{engine::select, "select", FD_SETSIZE, always, make_select_poller},
};

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
    for (const auto& r : rows) {
      if (r.available()) return r.make();
    }
    return std::errc::function_not_supported;
  }
  const engine_row* r = find(e);
  if (r == nullptr) return std::errc::invalid_argument;
  if (!r->available()) return std::errc::function_not_supported;
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
    if (r.available()) out.push_back({r.id, r.name, r.max_fds});
  }
  return out;
}

}  // namespace sockit
