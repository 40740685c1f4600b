// The select(2) backend. fd_set is a fixed bitmap of FD_SETSIZE (1024) bits: a descriptor at or
// above it is refused with errc::fd_out_of_range instead of writing past the set (the chapter's
// select server had no such guard).
#include <cerrno>
#include <cstdint>
#include <sys/select.h>

#include "detail/net.hpp"
#include "poller/poller.hpp"
#include "sockit/error.hpp"

namespace sockit::detail {
namespace {

class select_poller final : public poller {
 public:
  select_poller() {
    FD_ZERO(&read_);
    FD_ZERO(&write_);
    FD_ZERO(&watched_);
  }

  std::string_view name() const noexcept override { return "select"; }

  std::error_code add(int fd, std::uint32_t events, std::uint32_t generation) override {
    // poll and select would silently accept a closed descriptor; refuse it as epoll does.
    if (!is_open_socket(fd)) return std::make_error_code(std::errc::bad_file_descriptor);
    if (fd >= FD_SETSIZE) return make_error_code(errc::fd_out_of_range);
    if (FD_ISSET(fd, &watched_)) return std::make_error_code(std::errc::file_exists);
    FD_SET(fd, &watched_);
    generation_[fd] = generation;
    if (fd > max_fd_) max_fd_ = fd;
    set(fd, events);
    return {};
  }

  std::error_code modify(int fd, std::uint32_t events) override {
    if (!is_watched(fd)) return std::make_error_code(std::errc::no_such_file_or_directory);
    set(fd, events);
    return {};
  }

  std::error_code remove(int fd) override {
    if (!is_watched(fd)) return std::make_error_code(std::errc::no_such_file_or_directory);
    FD_CLR(fd, &watched_);
    FD_CLR(fd, &read_);
    FD_CLR(fd, &write_);
    while (max_fd_ >= 0 && !FD_ISSET(max_fd_, &watched_)) --max_fd_;
    return {};
  }

  std::error_code wait(std::vector<ready_event>& out, int timeout_ms) override {
    out.clear();
    fd_set r = read_, w = write_;
    timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    int n = ::select(max_fd_ + 1, &r, &w, nullptr, timeout_ms < 0 ? nullptr : &tv);
    if (n < 0) return errno == EINTR ? std::error_code{} : last_error();
    // select has no error or hang-up bits: an fd in error is reported readable/writable and the
    // next I/O call says what happened.
    for (int fd = 0; fd <= max_fd_ && n > 0; ++fd) {
      std::uint32_t m = (FD_ISSET(fd, &r) ? io_readable : 0u) | (FD_ISSET(fd, &w) ? io_writable : 0u);
      if (m) {
        out.push_back({fd, generation_[fd], m});
        --n;
      }
    }
    return {};
  }

 private:
  bool is_watched(int fd) const noexcept { return fd >= 0 && fd < FD_SETSIZE && FD_ISSET(fd, &watched_); }

  void set(int fd, std::uint32_t events) {
    if (events & io_readable) FD_SET(fd, &read_); else FD_CLR(fd, &read_);
    if (events & io_writable) FD_SET(fd, &write_); else FD_CLR(fd, &write_);
  }

  fd_set read_, write_, watched_;
  int max_fd_ = -1;
  std::uint32_t generation_[FD_SETSIZE] = {};
};

}  // namespace

result<std::unique_ptr<poller>> make_select_poller() { return std::unique_ptr<poller>(new select_poller()); }

}  // namespace sockit::detail
