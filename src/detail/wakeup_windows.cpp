// Windows: no eventfd or signalfd. The loop's wake-up is a UDP socket bound to 127.0.0.1 and
// connected to itself (a datagram sent to it makes it readable for any engine, select included),
// and signals come from a console control handler, which Windows runs on a thread of its own and
// which writes the signal's number to another such socket.
#include "detail/wakeup.hpp"

#include <atomic>
#include <csignal>
#include <cstdint>

#include "detail/net.hpp"
#include "detail/syscall.hpp"
#include "sockit/endpoint.hpp"
#include "sockit/socket.hpp"

namespace sockit::detail {
namespace {

// A non-blocking UDP socket on 127.0.0.1 whose peer is itself.
result<int> self_socket() {
  auto s = socket::open(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK);
  if (!s) return s.error();
  auto at = endpoint::loopback_v4(0);
  if (auto ec = bind(*s, at)) return ec;
  auto me = s->local_endpoint();
  if (!me) return me.error();
  if (auto ec = check_ec([&] { return ::connect(static_cast<SOCKET>(s->native_handle()), me->data(), me->size()); })) {
    return ec;
  }
  return s->release();
}

void send_byte(int fd, char c) noexcept { ::send(static_cast<SOCKET>(fd), &c, 1, 0); }

// The console handler has no argument to carry state: the one signal_source alive owns these.
std::atomic<int> signal_fd{-1};
std::atomic<bool> want_int{false}, want_term{false};

BOOL WINAPI on_console_event(DWORD type) {
  int fd = signal_fd.load();
  if (fd < 0) return FALSE;
  if (type == CTRL_C_EVENT && want_int) {
    send_byte(fd, static_cast<char>(SIGINT));
    return TRUE;
  }
  if ((type == CTRL_BREAK_EVENT || type == CTRL_CLOSE_EVENT || type == CTRL_SHUTDOWN_EVENT) && want_term) {
    send_byte(fd, static_cast<char>(SIGTERM));
    return TRUE;
  }
  return FALSE;
}

}  // namespace

result<wakeup> wakeup::create() {
  auto fd = self_socket();
  if (!fd) return fd.error();
  wakeup w;
  w.fd_ = *fd;
  return w;
}

wakeup& wakeup::operator=(wakeup&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) close_socket(fd_);
    fd_ = o.fd_;
    o.fd_ = -1;
  }
  return *this;
}

wakeup::~wakeup() {
  if (fd_ >= 0) close_socket(fd_);
}

void wakeup::notify() const noexcept { send_byte(fd_, 1); }

void wakeup::drain() const noexcept {
  char buf[64];
  while (::recv(static_cast<SOCKET>(fd_), buf, sizeof buf, 0) > 0) {
  }
}

struct signal_source::saved {};

result<signal_source> signal_source::create(std::initializer_list<int> signals) {
  if (signal_fd.load() >= 0) return std::make_error_code(std::errc::device_or_resource_busy);
  auto fd = self_socket();
  if (!fd) return fd.error();
  signal_source src;
  src.fd_ = *fd;
  for (int s : signals) {
    if (s == SIGINT) want_int = true;
    if (s == SIGTERM) want_term = true;
  }
  signal_fd = *fd;
  if (!::SetConsoleCtrlHandler(on_console_event, TRUE)) {
    signal_fd = -1;
    return std::error_code(static_cast<int>(::GetLastError()), std::system_category());
  }
  src.armed_ = true;
  return src;
}

signal_source::~signal_source() { release(); }

void signal_source::release() noexcept {
  if (armed_) {
    ::SetConsoleCtrlHandler(on_console_event, FALSE);
    signal_fd = -1;
    want_int = false;
    want_term = false;
  }
  if (fd_ >= 0) close_socket(fd_);
  fd_ = -1;
  armed_ = false;
}

void signal_source::drain(const std::function<void(int)>& fn) const {
  char buf[16];
  for (;;) {
    int n = ::recv(static_cast<SOCKET>(fd_), buf, sizeof buf, 0);
    if (n <= 0) return;
    for (int i = 0; i < n; ++i) fn(buf[i]);
  }
}

}  // namespace sockit::detail
