// Internal: the engine table. One row per backend (name, factory, availability, limits); the
// public names (parse_engine, engine_name, available_engines), make_poller and the CLI's
// --engine choices all read these rows, so a new backend is one file plus one row.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string_view>

#include "poller/poller.hpp"

namespace sockit::detail {

struct engine_row {
  engine id;
  std::string_view name;
  std::size_t max_fds;                               // as engine_info::max_fds (0: none of its own)
  std::error_code (*status)() noexcept;              // why this process cannot run it ({}: it can)
  result<std::unique_ptr<poller>> (*make)();
};

// Fastest first: engine::automatic takes the first available row.
std::span<const engine_row> engine_table() noexcept;

}  // namespace sockit::detail
