#include "detail/uring_ring.hpp"

namespace sockit::detail {

std::error_code open_ring(io_uring& ring, const ring_setup& setup, unsigned* flags_used) noexcept {
  int rc = -EINVAL;
  for (std::size_t i = 0; i < setup.flag_set_count; ++i) {
    io_uring_params p{};
    p.flags = setup.flag_sets[i];
    if (setup.cq_entries != 0) {
      p.flags |= IORING_SETUP_CQSIZE;
      p.cq_entries = setup.cq_entries;
    }
    rc = io_uring_queue_init_params(setup.entries, &ring, &p);
    if (rc == 0) {
      if (flags_used != nullptr) *flags_used = setup.flag_sets[i];
      return {};
    }
    if (rc != -EINVAL) break;
  }
  return {-rc, std::system_category()};
}

std::error_code uring_status() noexcept {
  static const std::error_code status = [] {
    io_uring ring;
    static constexpr unsigned plain[] = {0u};
    auto ec = open_ring(ring, 2, plain);
    if (!ec) io_uring_queue_exit(&ring);
    return ec;
  }();
  return status;
}

}  // namespace sockit::detail
