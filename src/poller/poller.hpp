// Internal: the one small interface every readiness backend implements (io_uring, epoll, poll and
// select; iocp and WSAPoll on Windows; one file each, listed in engine_table.cpp). Each backend folds its native flags into
// sockit::io_event.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <system_error>
#include <vector>

#include "sockit/engine.hpp"
#include "sockit/io_event.hpp"
#include "sockit/result.hpp"

namespace sockit::detail {

// A ready event names its registration, not just its descriptor: the loop gives every watch() a
// new generation and drops an event whose generation is not the current watcher's. An event
// collected for a descriptor that was closed and whose number was reused (in the same turn with a
// readiness backend; any time later with a completion backend such as io_uring, whose user_data
// can outlive the registration) can never reach the new watcher.
struct ready_event {
  int fd;
  std::uint32_t generation;
  std::uint32_t events;  // io_event mask
};

class poller {
 public:
  virtual ~poller() = default;
  virtual std::string_view name() const noexcept = 0;
  // `events` is a mask of io_readable | io_writable; errors and hang-ups are always reported
  // (except by select, which has no set for them: it sees them as readable or writable, if asked).
  // Every event for this registration carries `generation` until remove().
  virtual std::error_code add(int fd, std::uint32_t events, std::uint32_t generation) = 0;
  virtual std::error_code modify(int fd, std::uint32_t events) = 0;
  virtual std::error_code remove(int fd) = 0;
  // Waits up to timeout_ms (-1: forever) and replaces `out` with what is ready. An interrupted
  // wait (EINTR) is not an error: it returns with no events.
  virtual std::error_code wait(std::vector<ready_event>& out, int timeout_ms) = 0;
};

// One factory per backend file.
result<std::unique_ptr<poller>> make_uring_poller();
result<std::unique_ptr<poller>> make_epoll_poller();
result<std::unique_ptr<poller>> make_poll_poller();
// Refuses descriptors >= FD_SETSIZE with errc::fd_out_of_range.
result<std::unique_ptr<poller>> make_select_poller();
#ifdef _WIN32
// Windows: IOCTL_AFD_POLL per socket through an I/O completion port (iocp_poller_windows.cpp).
result<std::unique_ptr<poller>> make_iocp_poller();
#endif

// The backend for an engine choice (engine::automatic: the first available row of the table).
result<std::unique_ptr<poller>> make_poller(engine e);

}  // namespace sockit::detail
