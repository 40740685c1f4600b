// Internal: opening an io_uring with the best setup flags this kernel takes, and the probe behind
// the engine table's "can this process run io_uring at all" (kernel, kernel.io_uring_disabled,
// a seccomp filter).
#pragma once

#include <liburing.h>

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

// {} when this process can open a ring; otherwise io_uring_setup's error. Probed once per process
// (a seccomp filter or the sysctl cannot be lifted from inside it).
std::error_code uring_status() noexcept;

}  // namespace sockit::detail
