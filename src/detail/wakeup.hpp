// Internal: the event loop's two descriptors that are not the caller's sockets. A wakeup is a
// descriptor another thread makes readable (Linux: an eventfd; Windows: a UDP socket connected to
// itself on 127.0.0.1). A signal_source turns signals into readable data (Linux: a signalfd with
// the signals blocked; Windows: a console control handler writing to such a socket).
#pragma once

#include <functional>
#include <initializer_list>
#include <system_error>

#include "sockit/result.hpp"

namespace sockit::detail {

class wakeup {
 public:
  static result<wakeup> create();
  wakeup() = default;
  wakeup(wakeup&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  wakeup& operator=(wakeup&& o) noexcept;
  ~wakeup();
  int fd() const noexcept { return fd_; }
  // Any thread: makes fd() readable. A full counter or buffer still means "awake".
  void notify() const noexcept;
  // The loop thread, when fd() is readable: empties it.
  void drain() const noexcept;

 private:
  int fd_ = -1;
};

class signal_source {
 public:
  // Starts delivering `signals` (SIGINT, SIGTERM...) through fd() instead of asynchronously.
  static result<signal_source> create(std::initializer_list<int> signals);
  signal_source() = default;
  signal_source(signal_source&& o) noexcept { take(o); }
  signal_source& operator=(signal_source&& o) noexcept {
    if (this != &o) {
      release();
      take(o);
    }
    return *this;
  }
  ~signal_source();  // restores the previous delivery
  int fd() const noexcept { return fd_; }
  // When fd() is readable: calls fn with each signal that arrived.
  void drain(const std::function<void(int)>& fn) const;

 private:
  void release() noexcept;
  void take(signal_source& o) noexcept {
    fd_ = o.fd_;
    armed_ = o.armed_;
    old_ = o.old_;
    o.fd_ = -1;
    o.armed_ = false;
    o.old_ = nullptr;
  }
  int fd_ = -1;
  bool armed_ = false;
  struct saved;  // the platform's previous state (Linux: the old signal mask)
  saved* old_ = nullptr;
};

}  // namespace sockit::detail
