// sockit/engine.hpp: public. The readiness backends an event_loop can run on. Every name, limit
// and factory comes from one table (src/poller/engine_table.cpp); this header only names them.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

#include "sockit/io_event.hpp"
#include "sockit/result.hpp"

namespace sockit {

// automatic picks the first available row of the table (the fastest backend).
enum class engine { automatic, epoll, poll, select };

struct engine_info {
  engine id;
  std::string_view name;
  // Descriptors must be below this (select: FD_SETSIZE); 0 when the backend has no limit of its
  // own beyond RLIMIT_NOFILE.
  std::size_t max_fds;
};

// "auto" or a backend's name from the table; anything else gives std::errc::invalid_argument.
result<engine> parse_engine(std::string_view name);
// "auto" for engine::automatic, else the backend's name.
std::string_view engine_name(engine e) noexcept;
// The backends this machine can run, fastest first (the first is what automatic picks).
std::vector<engine_info> available_engines();

}  // namespace sockit
