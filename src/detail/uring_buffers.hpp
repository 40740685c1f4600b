// Internal: a ring of provided buffers (IORING_REGISTER_PBUF_RING), the pool a multishot receive
// picks from: `count` buffers of `size` bytes, registered as one group, handed back one by one
// and published to the kernel in batches. Used by uring_stream_server and uring_streams.
#pragma once

#include <liburing.h>

#include <cstddef>
#include <memory>
#include <system_error>

namespace sockit::detail {

class uring_buffers {
 public:
  uring_buffers() = default;
  uring_buffers(const uring_buffers&) = delete;
  uring_buffers& operator=(const uring_buffers&) = delete;
  ~uring_buffers();

  // Registers `count` (a power of two) buffers of `size` bytes with `ring` as group `group`, all
  // free. The bytes are left untouched: the kernel backs only the pages that ever held data.
  std::error_code open(io_uring& ring, unsigned count, std::size_t size, unsigned short group);

  std::byte* data(unsigned bid) const noexcept { return pool_.get() + std::size_t{bid} * size_; }
  std::size_t size() const noexcept { return size_; }
  unsigned count() const noexcept { return count_; }
  // Buffers the kernel may pick from now (after the last publish()).
  unsigned free() const noexcept { return free_; }

  // A completion took buffer `bid` (IORING_CQE_F_BUFFER): one fewer free.
  void taken() noexcept { --free_; }
  // Gives `bid` back; the kernel sees it at the next publish().
  void give_back(unsigned bid) noexcept {
    io_uring_buf_ring_add(br_, data(bid), static_cast<unsigned>(size_), static_cast<unsigned short>(bid),
                          io_uring_buf_ring_mask(count_), returned_++);
  }
  void publish() noexcept {
    if (returned_ == 0) return;
    io_uring_buf_ring_advance(br_, returned_);
    free_ += static_cast<unsigned>(returned_);
    returned_ = 0;
  }

 private:
  io_uring_buf_ring* br_ = nullptr;
  std::size_t br_bytes_ = 0;
  std::unique_ptr<std::byte[]> pool_;
  std::size_t size_ = 0;
  unsigned count_ = 0;
  unsigned free_ = 0;
  int returned_ = 0;
};

}  // namespace sockit::detail
