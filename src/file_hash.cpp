// Hashing a range of a file: pread into a cache-sized buffer, or a mapping of the page cache.
#include "sockit/file_hash.hpp"

#include <algorithm>
#include <array>
#include <span>

#include <sys/mman.h>
#include <unistd.h>

#include "detail/syscall.hpp"
#include "sockit/error.hpp"

namespace sockit {

std::error_code hash_file_range(int fd, std::uint64_t offset, std::uint64_t length, xxh3_128& h) {
  // 256 KiB: small enough to stay in L2 between the copy and the hash.
  static thread_local std::array<std::byte, 256 * 1024> buf;
  while (length > 0) {
    auto want = static_cast<std::size_t>(std::min<std::uint64_t>(length, buf.size()));
    auto n = detail::check_size([&] { return ::pread(fd, buf.data(), want, static_cast<off_t>(offset)); });
    if (!n) return n.error();
    if (*n == 0) return errc::end_of_stream;
    h.update(std::span<const std::byte>(buf.data(), *n));
    offset += *n;
    length -= *n;
  }
  return {};
}

std::error_code hash_mapped_range(int fd, std::uint64_t offset, std::uint64_t length, xxh3_128& h) {
  constexpr std::uint64_t window = 16u << 20;
  static const auto page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
  while (length > 0) {
    std::uint64_t base = offset & ~(page - 1);
    std::uint64_t skip = offset - base;
    std::uint64_t take = std::min(length, window - skip);
    auto map_len = static_cast<std::size_t>(skip + take);
    void* p = ::mmap(nullptr, map_len, PROT_READ, MAP_SHARED | MAP_POPULATE, fd, static_cast<off_t>(base));
    if (p == MAP_FAILED) return last_error();
    (void)::madvise(p, map_len, MADV_SEQUENTIAL);
    h.update(std::span<const std::byte>(static_cast<const std::byte*>(p) + skip, static_cast<std::size_t>(take)));
    ::munmap(p, map_len);
    offset += take;
    length -= take;
  }
  return {};
}

}  // namespace sockit
