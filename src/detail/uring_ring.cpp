#include "detail/uring_ring.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <iterator>

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

ring_waker::~ring_waker() {
  if (fd_ >= 0) ::close(fd_);
}

std::error_code ring_waker::open() noexcept {
  fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  return fd_ < 0 ? std::error_code{errno, std::system_category()} : std::error_code{};
}

void ring_waker::arm(io_uring_sqe* sqe, std::uint64_t user_data) noexcept {
  io_uring_prep_read(sqe, fd_, &value_, sizeof value_, 0);
  io_uring_sqe_set_data64(sqe, user_data);
}

void ring_waker::wake() noexcept {
  std::uint64_t one = 1;
  (void)!::write(fd_, &one, sizeof one);
}

std::error_code open_thread_ring(io_uring& ring, unsigned entries, unsigned cq_entries) noexcept {
  if (auto ec = open_ring(ring, ring_setup{entries, cq_entries, ring_one_thread, std::size(ring_one_thread)})) return ec;
  (void)io_uring_register_ring_fd(&ring);  // an optimisation only: without it, waits name the descriptor
  return {};
}

io_uring_sqe* next_sqe(io_uring& ring, std::error_code& broken) noexcept {
  io_uring_sqe* s = io_uring_get_sqe(&ring);
  if (s == nullptr) {
    (void)io_uring_submit(&ring);
    s = io_uring_get_sqe(&ring);
  }
  if (s == nullptr) {
    if (!broken) broken = std::make_error_code(std::errc::no_buffer_space);
    thread_local io_uring_sqe scratch;  // written to and never submitted
    s = &scratch;
  }
  return s;
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
