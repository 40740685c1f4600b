// The epoll backend (level-triggered: callers cap reads per wake-up for fairness, and a missed
// drain can never strand a connection the way it can with edge triggering).
#include <cerrno>
#include <sys/epoll.h>
#include <unistd.h>

#include "detail/syscall.hpp"
#include "poller/poller.hpp"
#include "sockit/error.hpp"

namespace sockit::detail {
namespace {

class epoll_poller final : public poller {
 public:
  explicit epoll_poller(int epfd) : epfd_(epfd) { native_.resize(256); }
  ~epoll_poller() override { ::close(epfd_); }

  std::string_view name() const noexcept override { return "epoll"; }

  std::error_code add(int fd, std::uint32_t events, std::uint32_t generation) override {
    if (fd >= 0 && static_cast<std::size_t>(fd) >= generation_.size()) generation_.resize(static_cast<std::size_t>(fd) + 1);
    auto ec = ctl(EPOLL_CTL_ADD, fd, events, generation);
    if (!ec) generation_[fd] = generation;
    return ec;
  }
  std::error_code modify(int fd, std::uint32_t events) override {
    if (fd < 0 || static_cast<std::size_t>(fd) >= generation_.size()) return ctl(EPOLL_CTL_MOD, fd, events, 0);
    return ctl(EPOLL_CTL_MOD, fd, events, generation_[fd]);
  }
  std::error_code remove(int fd) override { return ctl(EPOLL_CTL_DEL, fd, 0, 0); }

  std::error_code wait(std::vector<ready_event>& out, int timeout_ms) override {
    out.clear();
    int n = ::epoll_wait(epfd_, native_.data(), static_cast<int>(native_.size()), timeout_ms);
    if (n < 0) return errno == EINTR ? std::error_code{} : last_error();
    for (int i = 0; i < n; ++i) {
      std::uint32_t e = native_[i].events;
      std::uint32_t m = 0;
      if (e & (EPOLLIN | EPOLLPRI | EPOLLRDHUP)) m |= io_readable;
      if (e & EPOLLOUT) m |= io_writable;
      if (e & EPOLLERR) m |= io_error;
      if (e & EPOLLHUP) m |= io_hangup;
      std::uint64_t key = native_[i].data.u64;
      out.push_back({static_cast<int>(key & 0xffffffffu), static_cast<std::uint32_t>(key >> 32), m});
    }
    // A full batch suggests more are ready: grow so one wait can return them all.
    if (static_cast<std::size_t>(n) == native_.size() && native_.size() < 65536) native_.resize(native_.size() * 2);
    return no_error;
  }

 private:
  // The kernel hands data.u64 back with each event:
  //   63            32 31             0
  //   +---------------+---------------+
  //   |  generation   |      fd       |
  //   +---------------+---------------+
  std::error_code ctl(int op, int fd, std::uint32_t events, std::uint32_t generation) {
    epoll_event ev{};
    ev.events = ((events & io_readable) ? EPOLLIN : 0u) | ((events & io_writable) ? EPOLLOUT : 0u);
    ev.data.u64 = (std::uint64_t{generation} << 32) | static_cast<std::uint32_t>(fd);
    if (::epoll_ctl(epfd_, op, fd, &ev) != 0) return last_error();
    return {};
  }

  int epfd_;
  std::vector<epoll_event> native_;
  std::vector<std::uint32_t> generation_;  // by fd: EPOLL_CTL_MOD must write it again
};

}  // namespace

result<std::unique_ptr<poller>> make_epoll_poller() {
  int fd = ::epoll_create1(EPOLL_CLOEXEC);
  if (fd < 0) return last_error();
  return std::unique_ptr<poller>(new epoll_poller(fd));
}

}  // namespace sockit::detail
