// Internal: the one small interface every readiness backend implements (epoll today; select, poll
// and io_uring plug in beside it). Each backend folds its native flags into sockit::io_event.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <system_error>
#include <vector>

#include "sockit/event_loop.hpp"
#include "sockit/result.hpp"

namespace sockit::detail {

struct ready_event {
  int fd;
  std::uint32_t events;  // io_event mask
};

class poller {
 public:
  virtual ~poller() = default;
  virtual std::string_view name() const noexcept = 0;
  // `events` is a mask of io_readable | io_writable; errors and hang-ups are always reported.
  virtual std::error_code add(int fd, std::uint32_t events) = 0;
  virtual std::error_code modify(int fd, std::uint32_t events) = 0;
  virtual std::error_code remove(int fd) = 0;
  // Waits up to timeout_ms (-1: forever) and replaces `out` with what is ready. An interrupted
  // wait (EINTR) is not an error: it returns with no events.
  virtual std::error_code wait(std::vector<ready_event>& out, int timeout_ms) = 0;
};

result<std::unique_ptr<poller>> make_epoll_poller();
result<std::unique_ptr<poller>> make_poll_poller();
// Refuses descriptors >= FD_SETSIZE with errc::fd_out_of_range.
result<std::unique_ptr<poller>> make_select_poller();

// The backend for an engine choice (engine::automatic picks the fastest available).
result<std::unique_ptr<poller>> make_poller(engine e);

}  // namespace sockit::detail
