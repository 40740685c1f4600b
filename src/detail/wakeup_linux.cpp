// Linux: the loop's wake-up is an eventfd, and its signals come through a signalfd.
#include "detail/wakeup.hpp"

#include <csignal>
#include <cstdint>

#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "sockit/error.hpp"

namespace sockit::detail {

result<wakeup> wakeup::create() {
  int fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (fd < 0) return last_error();
  wakeup w;
  w.fd_ = fd;
  return w;
}

wakeup& wakeup::operator=(wakeup&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.fd_;
    o.fd_ = -1;
  }
  return *this;
}

wakeup::~wakeup() {
  if (fd_ >= 0) ::close(fd_);
}

void wakeup::notify() const noexcept {
  std::uint64_t one = 1;
  // A full counter (EAGAIN) still means "awake"; nothing else can fail on an eventfd.
  [[maybe_unused]] auto n = ::write(fd_, &one, sizeof one);
}

void wakeup::drain() const noexcept {
  std::uint64_t v;
  [[maybe_unused]] auto n = ::read(fd_, &v, sizeof v);
}

struct signal_source::saved {
  sigset_t mask;
};

result<signal_source> signal_source::create(std::initializer_list<int> signals) {
  sigset_t mask;
  sigemptyset(&mask);
  for (int s : signals) sigaddset(&mask, s);
  signal_source src;
  src.old_ = new saved{};
  if (int rc = ::pthread_sigmask(SIG_BLOCK, &mask, &src.old_->mask); rc != 0) return std::error_code{rc, std::system_category()};
  src.armed_ = true;
  src.fd_ = ::signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
  if (src.fd_ < 0) return last_error();  // src's destructor restores the mask
  return src;
}

signal_source::~signal_source() { release(); }

void signal_source::release() noexcept {
  if (fd_ >= 0) ::close(fd_);
  if (armed_) ::pthread_sigmask(SIG_SETMASK, &old_->mask, nullptr);
  delete old_;
  fd_ = -1;
  armed_ = false;
  old_ = nullptr;
}

void signal_source::drain(const std::function<void(int)>& fn) const {
  signalfd_siginfo info;
  while (::read(fd_, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) fn(static_cast<int>(info.ssi_signo));
}

}  // namespace sockit::detail
