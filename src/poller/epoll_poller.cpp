// The epoll backend (level-triggered: callers cap reads per wake-up for fairness, and a missed
// drain can never strand a connection the way it can with edge triggering).
#include <cerrno>
#include <sys/epoll.h>
#include <unistd.h>

#include "poller/poller.hpp"
#include "sockit/error.hpp"

namespace sockit::detail {
namespace {

class epoll_poller final : public poller {
 public:
  explicit epoll_poller(int epfd) : epfd_(epfd) { native_.resize(256); }
  ~epoll_poller() override { ::close(epfd_); }

  std::string_view name() const noexcept override { return "epoll"; }

  std::error_code add(int fd, std::uint32_t events) override { return ctl(EPOLL_CTL_ADD, fd, events); }
  std::error_code modify(int fd, std::uint32_t events) override { return ctl(EPOLL_CTL_MOD, fd, events); }
  std::error_code remove(int fd) override { return ctl(EPOLL_CTL_DEL, fd, 0); }

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
      out.push_back({native_[i].data.fd, m});
    }
    // A full batch suggests more are ready: grow so one wait can return them all.
    if (static_cast<std::size_t>(n) == native_.size() && native_.size() < 65536) native_.resize(native_.size() * 2);
    return {};
  }

 private:
  std::error_code ctl(int op, int fd, std::uint32_t events) {
    epoll_event ev{};
    ev.events = ((events & io_readable) ? EPOLLIN : 0u) | ((events & io_writable) ? EPOLLOUT : 0u);
    ev.data.fd = fd;
    if (::epoll_ctl(epfd_, op, fd, &ev) != 0) return last_error();
    return {};
  }

  int epfd_;
  std::vector<epoll_event> native_;
};

}  // namespace

result<std::unique_ptr<poller>> make_epoll_poller() {
  int fd = ::epoll_create1(EPOLL_CLOEXEC);
  if (fd < 0) return last_error();
  return std::unique_ptr<poller>(new epoll_poller(fd));
}

}  // namespace sockit::detail
