// The io_uring readiness backend: POLL_ADD behind the same poller interface as epoll, so every
// service runs on it unchanged.
//
// Why one-shot polls, re-armed, rather than multishot: a multishot poll posts a completion on each
// wake-up of the socket's wait queue, which is edge-triggered (data left unread after a capped read
// never fires again), while the loop's contract is level-triggered (callers cap reads per wake-up
// for fairness). A one-shot poll re-armed after its event is queued and goes to the kernel with
// the next wait, in the same io_uring_enter, after the callbacks ran: the kernel checks readiness
// as it arms, which is exactly level triggering, at no extra system call.
//
// Completion user data carries the registration's generation next to the descriptor, as epoll's
// data.u64 does: a completion that arrives after remove() (or after the number was reused) is
// recognised as stale and dropped, never delivered to the wrong watcher.
//
// Why a side epoll: io_uring always reports POLLRDHUP, whatever was asked (the kernel's
// IO_POLL_UNMASK). Once the peer has half-closed, a registration that is not reading (paused, or
// watching only for writability) would see its poll fire at once on every re-arm: a busy loop.
// Such a registration moves to an epoll set that reports only what was asked (plus errors and
// hang-ups, as everywhere), and one poll on that set's descriptor stands for all of them in the
// ring. It comes back to the ring when it asks to read again.
#include <poll.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>

#include "detail/uring_ring.hpp"
#include "poller/poller.hpp"

namespace sockit::detail {
namespace {

// user_data of the ring's own operations (poll updates and removals): their completions carry
// nothing for the loop. No registration has generation 0xffffffff paired with this fd value.
constexpr std::uint64_t internal_op = ~std::uint64_t{0};
// user_data of the poll on the side epoll's descriptor.
constexpr std::uint64_t side_op = ~std::uint64_t{0} - 1;

std::uint64_t key(int fd, std::uint32_t generation) noexcept {
  return (std::uint64_t{generation} << 32) | static_cast<std::uint32_t>(fd);
}

unsigned native_mask(std::uint32_t events) noexcept {
  return ((events & io_readable) ? unsigned{POLLIN} : 0u) | ((events & io_writable) ? unsigned{POLLOUT} : 0u);
}

class uring_poller final : public poller {
 public:
  uring_poller() = default;
  ~uring_poller() override {
    if (open_) io_uring_queue_exit(&ring_);
    if (side_ >= 0) ::close(side_);
  }

  std::error_code open() noexcept {
    auto ec = open_ring(ring_, 4096, ring_any_thread);
    open_ = !ec;
    return ec;
  }

  std::string_view name() const noexcept override { return "uring"; }

  std::error_code add(int fd, std::uint32_t events, std::uint32_t generation) override {
    if (fd < 0) return std::make_error_code(std::errc::bad_file_descriptor);
    if (static_cast<std::size_t>(fd) >= regs_.size()) regs_.resize(static_cast<std::size_t>(fd) + 1);
    registration& r = regs_[fd];
    if (r.live) return std::make_error_code(std::errc::file_exists);
    // epoll_ctl refuses a closed descriptor at once; POLL_ADD would only say so later, in a
    // completion. Ask the kernel now, so watch() fails where it does on the other engines.
    pollfd probe{fd, 0, 0};
    if (::poll(&probe, 1, 0) < 0) return {errno, std::system_category()};
    if (probe.revents & POLLNVAL) return std::make_error_code(std::errc::bad_file_descriptor);
    r = registration{generation, events, true, false};
    return arm(fd, r);
  }

  std::error_code modify(int fd, std::uint32_t events) override {
    registration* r = find(fd);
    if (r == nullptr) return std::make_error_code(std::errc::no_such_file_or_directory);
    if (r->mask == events) return {};
    r->mask = events;
    if (r->aside) {
      if (!(events & io_readable)) return side_ctl(EPOLL_CTL_MOD, fd, *r);
      // Reading again: back to the ring (where the poll fires at once, the peer's EOF is readable).
      r->aside = false;
      --aside_count_;
      if (auto ec = side_ctl(EPOLL_CTL_DEL, fd, *r)) return ec;
      return arm(fd, *r);
    }
    if (!r->armed) return {};  // its completion is being delivered: the re-arm takes the new mask
    io_uring_sqe* sqe = next_sqe();
    if (sqe == nullptr) return std::make_error_code(std::errc::resource_unavailable_try_again);
    // ENOENT in its completion means the poll fired first; that event is filtered by the new mask
    // when it is reaped and the re-arm uses the new mask, so nothing is lost either way.
    // new_user_data must be 0 unless IORING_POLL_UPDATE_USER_DATA is set (else EINVAL).
    io_uring_prep_poll_update(sqe, key(fd, r->generation), 0, native_mask(events), IORING_POLL_UPDATE_EVENTS);
    io_uring_sqe_set_data64(sqe, internal_op);
    return {};
  }

  std::error_code remove(int fd) override {
    registration* r = find(fd);
    if (r == nullptr) return std::make_error_code(std::errc::no_such_file_or_directory);
    r->live = false;
    if (r->aside) {
      r->aside = false;
      --aside_count_;
      return side_ctl(EPOLL_CTL_DEL, fd, *r);
    }
    if (!r->armed) return {};
    r->armed = false;
    io_uring_sqe* sqe = next_sqe();
    if (sqe == nullptr) return std::make_error_code(std::errc::resource_unavailable_try_again);
    io_uring_prep_poll_remove(sqe, key(fd, r->generation));
    io_uring_sqe_set_data64(sqe, internal_op);
    // An armed poll holds a reference to the file: the caller is about to close the descriptor and
    // expects the socket to close with it (a FIN now, not at the next wait), so cancel now.
    int rc = io_uring_submit(&ring_);
    if (rc < 0 && rc != -EINTR && rc != -EBUSY) return {-rc, std::system_category()};
    return {};
  }

  std::error_code wait(std::vector<ready_event>& out, int timeout_ms) override {
    out.clear();
    io_uring_cqe* cqe = nullptr;
    int rc;
    if (timeout_ms == 0) {
      rc = io_uring_submit(&ring_);
    } else if (timeout_ms < 0) {
      rc = io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, nullptr, nullptr);
    } else {
      __kernel_timespec ts{timeout_ms / 1000, static_cast<long long>(timeout_ms % 1000) * 1000000};
      rc = io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, &ts, nullptr);
    }
    if (rc < 0 && rc != -ETIME && rc != -EINTR && rc != -EBUSY) return {-rc, std::system_category()};

    unsigned head;
    unsigned seen = 0;
    io_uring_for_each_cqe(&ring_, head, cqe) {
      ++seen;
      reap(*cqe, out);
    }
    io_uring_cq_advance(&ring_, seen);
    return {};
  }

 private:
  struct registration {
    std::uint32_t generation = 0;
    std::uint32_t mask = 0;
    bool live = false;   // between add() and remove()
    bool armed = false;  // a poll for it is in the kernel (or queued for it)
    bool aside = false;  // in the side epoll set, not in the ring
  };

  registration* find(int fd) noexcept {
    if (fd < 0 || static_cast<std::size_t>(fd) >= regs_.size() || !regs_[fd].live) return nullptr;
    return &regs_[fd];
  }

  // A free submission slot; when the queue is full, what is queued goes to the kernel first.
  io_uring_sqe* next_sqe() noexcept {
    io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
    if (sqe == nullptr) {
      io_uring_submit(&ring_);
      sqe = io_uring_get_sqe(&ring_);
    }
    return sqe;
  }

  std::error_code arm(int fd, registration& r) {
    io_uring_sqe* sqe = next_sqe();
    if (sqe == nullptr) {
      r.live = false;
      return std::make_error_code(std::errc::resource_unavailable_try_again);
    }
    io_uring_prep_poll_add(sqe, fd, native_mask(r.mask));
    io_uring_sqe_set_data64(sqe, key(fd, r.generation));
    r.armed = true;
    return {};
  }

  void reap(const io_uring_cqe& cqe, std::vector<ready_event>& out) {
    std::uint64_t k = io_uring_cqe_get_data64(&cqe);
    // Updates and removals: ENOENT (the poll had fired first) is expected and harmless.
    if (k == internal_op) return;
    if (k == side_op) return reap_side(out);
    int fd = static_cast<int>(k & 0xffffffffu);
    auto generation = static_cast<std::uint32_t>(k >> 32);
    if (static_cast<std::size_t>(fd) >= regs_.size()) return;
    registration& r = regs_[fd];
    // Removed, or a completion for an earlier registration of a reused number: stale.
    if (!r.live || r.generation != generation) return;
    r.armed = false;
    if (cqe.res == -ECANCELED) {
      arm(fd, r);  // cancelled by the kernel, not by us (remove() clears live first): poll again
      return;
    }
    std::uint32_t m = 0;
    if (cqe.res < 0) {
      m = io_error;
    } else {
      auto e = static_cast<unsigned>(cqe.res);
      // The peer half-closed and this registration is not reading: only the unmasked POLLRDHUP
      // woke it, and would again on every re-arm.
      if ((e & POLLRDHUP) && !(r.mask & io_readable) && !(e & (POLLERR | POLLHUP)) && move_aside(fd, r)) {
        if ((e & POLLOUT) && (r.mask & io_writable)) out.push_back({fd, generation, io_writable});
        return;
      }
      if (e & (POLLIN | POLLPRI | POLLRDHUP)) m |= io_readable;
      if (e & POLLOUT) m |= io_writable;
      if (e & POLLERR) m |= io_error;
      if (e & POLLHUP) m |= io_hangup;
      // A poll that fired before a modify() reached it reports the old interest.
      m &= r.mask | io_error | io_hangup;
    }
    // Re-armed now, submitted with the next wait: after this turn's callbacks, so the kernel sees
    // whether they drained the descriptor (level triggering). A callback that removes or modifies
    // the registration queues its request behind this one.
    arm(fd, r);
    if (m != 0) out.push_back({fd, generation, m});
  }

  // Moves a registration to the side epoll set (made on first use); false if that failed, and the
  // registration stays in the ring (a busy wait, but nothing lost).
  bool move_aside(int fd, registration& r) {
    if (side_ < 0) {
      side_ = ::epoll_create1(EPOLL_CLOEXEC);
      if (side_ < 0) return false;
    }
    if (side_ctl(EPOLL_CTL_ADD, fd, r)) return false;
    r.aside = true;
    ++aside_count_;
    arm_side();
    return true;
  }

  std::error_code side_ctl(int op, int fd, const registration& r) {
    epoll_event ev{};
    ev.events = ((r.mask & io_readable) ? EPOLLIN : 0u) | ((r.mask & io_writable) ? EPOLLOUT : 0u);
    ev.data.u64 = key(fd, r.generation);
    if (::epoll_ctl(side_, op, fd, &ev) != 0) return {errno, std::system_category()};
    return {};
  }

  void arm_side() {
    if (side_armed_) return;
    io_uring_sqe* sqe = next_sqe();
    if (sqe == nullptr) return;  // tried again at the next move or side event
    io_uring_prep_poll_add(sqe, side_, POLLIN);
    io_uring_sqe_set_data64(sqe, side_op);
    side_armed_ = true;
  }

  // The side set has something ready: its events, as epoll reports them (level-triggered, so the
  // poll re-armed after this turn's callbacks fires again only if something is still ready).
  void reap_side(std::vector<ready_event>& out) {
    side_armed_ = false;
    epoll_event ready[64];
    int n = ::epoll_wait(side_, ready, 64, 0);
    for (int i = 0; i < n; ++i) {
      int fd = static_cast<int>(ready[i].data.u64 & 0xffffffffu);
      auto generation = static_cast<std::uint32_t>(ready[i].data.u64 >> 32);
      if (static_cast<std::size_t>(fd) >= regs_.size()) continue;
      const registration& r = regs_[fd];
      if (!r.live || !r.aside || r.generation != generation) continue;
      std::uint32_t e = ready[i].events;
      std::uint32_t m = ((e & EPOLLOUT) ? io_writable : 0u) | ((e & EPOLLERR) ? io_error : 0u) |
                        ((e & EPOLLHUP) ? io_hangup : 0u);
      if (m != 0) out.push_back({fd, generation, m});
    }
    if (aside_count_ > 0) arm_side();
  }

  io_uring ring_{};
  bool open_ = false;
  int side_ = -1;  // the side epoll set, made on first use
  bool side_armed_ = false;
  std::size_t aside_count_ = 0;
  std::vector<registration> regs_;  // by fd
};

}  // namespace

result<std::unique_ptr<poller>> make_uring_poller() {
  auto p = std::make_unique<uring_poller>();
  if (auto ec = p->open()) return ec;
  return std::unique_ptr<poller>(std::move(p));
}

}  // namespace sockit::detail
