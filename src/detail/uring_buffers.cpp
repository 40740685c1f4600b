#include "detail/uring_buffers.hpp"

#include <sys/mman.h>

#include <cerrno>
#include <cstdint>

namespace sockit::detail {

uring_buffers::~uring_buffers() {
  // The ring that registered it is gone first (its owner exits it before destroying this), so
  // the kernel no longer reads the entries.
  if (br_ != nullptr) ::munmap(br_, br_bytes_);
}

std::error_code uring_buffers::open(io_uring& ring, unsigned count, std::size_t size, unsigned short group) {
  br_bytes_ = sizeof(io_uring_buf) * count;
  void* mem = ::mmap(nullptr, br_bytes_, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
  if (mem == MAP_FAILED) return {errno, std::system_category()};
  br_ = static_cast<io_uring_buf_ring*>(mem);
  io_uring_buf_ring_init(br_);
  io_uring_buf_reg reg{};
  reg.ring_addr = reinterpret_cast<std::uintptr_t>(mem);
  reg.ring_entries = count;
  reg.bgid = group;
  if (int rc = io_uring_register_buf_ring(&ring, &reg, 0); rc < 0) return {-rc, std::system_category()};
  size_ = size;
  count_ = count;
  pool_ = std::make_unique_for_overwrite<std::byte[]>(std::size_t{count} * size);
  for (unsigned i = 0; i < count; ++i) give_back(i);
  publish();
  return {};
}

}  // namespace sockit::detail
