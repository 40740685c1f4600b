// Internal: opening an io_uring with the best setup flags this kernel takes, and the probe behind
// the engine table's "can this process run io_uring at all" (kernel, kernel.io_uring_disabled,
// a seccomp filter).
#pragma once

#include <liburing.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <system_error>

namespace sockit::detail {

// Setup flag sets, best first. A ring used from any thread (an event_loop may be built on one
// thread and run on another) cannot take SINGLE_ISSUER or DEFER_TASKRUN; a ring confined to the
// thread that made it can.
inline constexpr unsigned ring_any_thread[] = {IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG, 0};
inline constexpr unsigned ring_one_thread[] = {
    IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
    IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG,
    0,
};

struct ring_setup {
  unsigned entries;                // submission queue size (the kernel rounds up to a power of 2)
  unsigned cq_entries;             // 0: the kernel's default (twice entries)
  const unsigned* flag_sets;       // tried in order; EINVAL (a flag this kernel lacks) moves on
  std::size_t flag_set_count;
};

// Opens `ring`, trying each flag set in turn. Returns the flags it got in *flags_used. Errors other
// than EINVAL (ENOSYS, EPERM, ENOMEM...) end the search: no flag set would change them.
std::error_code open_ring(io_uring& ring, const ring_setup& setup, unsigned* flags_used = nullptr) noexcept;

template <std::size_t N>
std::error_code open_ring(io_uring& ring, unsigned entries, const unsigned (&flag_sets)[N],
                          unsigned* flags_used = nullptr) noexcept {
  return open_ring(ring, ring_setup{entries, 0, flag_sets, N}, flags_used);
}

// A ring for the calling thread only (SINGLE_ISSUER and DEFER_TASKRUN where the kernel takes them),
// its descriptor registered so the thread's waits name the ring by index: no lookup per enter.
// `cq_entries` 0: the kernel's default.
std::error_code open_thread_ring(io_uring& ring, unsigned entries, unsigned cq_entries) noexcept;

// The next free submission entry; a full queue is handed to the kernel first. Never null: when the
// kernel refuses every submission, `broken` is set (once) and a scratch entry that is never
// submitted comes back, so callers go on without checks and the wait loop reports the error.
io_uring_sqe* next_sqe(io_uring& ring, std::error_code& broken) noexcept;

// Submits what is queued, waits for one completion or `timeout` (nullptr: no limit), then hands
// every completion ready to `f` and retires them. Errors: io_uring_enter's, except a timeout and
// the transient ones (EINTR, EAGAIN, EBUSY), which simply end the wait.
template <class F>
std::error_code submit_wait_reap(io_uring& ring, __kernel_timespec* timeout, F&& f) {
  io_uring_cqe* first = nullptr;
  int rc = io_uring_submit_and_wait_timeout(&ring, &first, 1, timeout, nullptr);
  if (rc < 0 && rc != -ETIME && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY) return {-rc, std::system_category()};
  unsigned head = 0, seen = 0;
  io_uring_cqe* cqe = nullptr;
  io_uring_for_each_cqe(&ring, head, cqe) {
    f(*cqe);
    ++seen;
  }
  io_uring_cq_advance(&ring, seen);
  return {};
}

// A completion's user_data: the operation (an enum of the user's, in the low byte), the slot's
// generation (24 bits) above it, the slot in the high half. A completion for a slot that was closed
// and reused since is recognised by its generation and dropped, never applied to what now has the slot.
template <class Op>
constexpr std::uint64_t op_tag(Op o, std::uint32_t slot = 0, std::uint32_t gen = 0) noexcept {
  return std::uint64_t{slot} << 32 | std::uint64_t{gen & 0xffffffu} << 8 | static_cast<std::uint8_t>(o);
}
template <class Op>
constexpr Op tag_op(std::uint64_t t) noexcept {
  return static_cast<Op>(t & 0xffu);
}
constexpr std::uint32_t tag_gen(std::uint64_t t) noexcept { return static_cast<std::uint32_t>(t >> 8) & 0xffffffu; }
constexpr std::uint32_t tag_slot(std::uint64_t t) noexcept { return static_cast<std::uint32_t>(t >> 32); }

// How another thread wakes a ring's thread: an eventfd whose read the ring keeps armed (arm()
// after each of its completions, tagged by the caller), written by wake(). Thread-safe wake().
class ring_waker {
 public:
  ring_waker() = default;
  ring_waker(const ring_waker&) = delete;
  ring_waker& operator=(const ring_waker&) = delete;
  ~ring_waker();
  std::error_code open() noexcept;
  void arm(io_uring_sqe* sqe, std::uint64_t user_data) noexcept;
  void wake() noexcept;

 private:
  int fd_ = -1;
  std::uint64_t value_ = 0;  // where the armed read lands
};

// The provided-buffer pool both completion servers take: a power-of-two count up to 32768 of
// buffers of at most 1 MiB, and a per-connection hold of at least one buffer.
constexpr bool valid_pool(unsigned buffers, std::size_t buffer_bytes, std::size_t hold_bytes) noexcept {
  return buffers != 0 && buffers <= 32768 && (buffers & (buffers - 1)) == 0 && buffer_bytes != 0 &&
         buffer_bytes <= (std::size_t{1} << 20) && hold_bytes >= buffer_bytes;
}

// {} when this process can open a ring; otherwise io_uring_setup's error. Probed once per process
// (a seccomp filter or the sysctl cannot be lifted from inside it).
std::error_code uring_status() noexcept;

}  // namespace sockit::detail
