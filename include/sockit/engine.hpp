// sockit/engine.hpp: public. The readiness backends an event_loop can run on. Every name, limit
// and factory comes from one table (src/poller/engine_table.cpp); this header only names them.
#pragma once

#include <cstddef>
#include <string_view>
#include <system_error>
#include <vector>

#include "sockit/io_event.hpp"
#include "sockit/result.hpp"

namespace sockit {

// automatic picks the first available row of the table (the fastest backend): uring when the
// kernel lets this process open a ring, otherwise epoll; on Windows, iocp (AFD polls through an
// I/O completion port), then wsapoll (WSAPoll) and select. Linux's table has no iocp or wsapoll
// row, Windows' none of uring, epoll or poll: parse_engine refuses those names there.
enum class engine { automatic, uring, epoll, poll, select, wsapoll, iocp };

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
// Why a backend cannot run here ({} when it can): for uring, the error io_uring_setup gave
// (ENOSYS: kernel too old or a seccomp filter; EPERM: kernel.io_uring_disabled or a policy).
// invalid_argument for engine::automatic, which always resolves to something.
std::error_code engine_status(engine e);

}  // namespace sockit
