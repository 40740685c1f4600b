// Hashing a range of a file: pread into a cache-sized buffer, or a mapping of the page cache.
#include "sockit/file_hash.hpp"

#include <algorithm>
#include <array>
#include <condition_variable>
#include <mutex>
#include <span>
#include <system_error>
#include <thread>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
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
    // Past the end a mapping's pages raise SIGBUS when read: a range the file does not hold (yet,
    // or any more) is an error here instead.
    struct stat st {};
    if (::fstat(fd, &st) != 0) return last_error();
    if (static_cast<std::uint64_t>(st.st_size) < offset + take) return errc::end_of_stream;
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

namespace sockit {

struct file_hash_follower::impl {
  impl(int own_fd, std::uint64_t from, xxh3_128 hash) : fd(own_fd), hashed(from), target(from), h(std::move(hash)) {}
  ~impl() { ::close(fd); }

  void run() noexcept {
    constexpr std::uint64_t chunk = 8u << 20;
    std::unique_lock lock(m);
    for (;;) {
      cv.wait(lock, [&] { return stop || closing || target > hashed; });
      if (stop || (target == hashed && closing)) return;
      std::uint64_t at = hashed;
      std::uint64_t n = std::min(chunk, target - at);
      lock.unlock();
      auto err = hash_mapped_range(fd, at, n, h);
      lock.lock();
      if (err) {
        ec = err;
        return;
      }
      hashed = at + n;
    }
  }

  int fd;
  std::mutex m;
  std::condition_variable cv;
  std::uint64_t hashed;
  std::uint64_t target;
  bool closing = false;
  bool stop = false;
  std::error_code ec;
  xxh3_128 h;
  std::thread thread;
};

result<std::unique_ptr<file_hash_follower>> file_hash_follower::start(int fd, std::uint64_t from, xxh3_128 h) {
  int own = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (own < 0) return last_error();
  auto p = std::make_unique<impl>(own, from, std::move(h));
  auto* raw = p.get();
  // The owner first: should the thread not start, its destructor still closes the descriptor.
  std::unique_ptr<file_hash_follower> f(new file_hash_follower(std::move(p)));
  try {
    raw->thread = std::thread([raw] { raw->run(); });
  } catch (const std::system_error& e) {  // no thread to be had (EAGAIN)
    return e.code();
  }
  return f;
}

file_hash_follower::file_hash_follower(std::unique_ptr<impl> p) noexcept : impl_(std::move(p)) {}

file_hash_follower::~file_hash_follower() {
  {
    std::lock_guard lock(impl_->m);
    impl_->stop = true;
  }
  impl_->cv.notify_one();
  if (impl_->thread.joinable()) impl_->thread.join();
}

void file_hash_follower::advance(std::uint64_t to) {
  {
    std::lock_guard lock(impl_->m);
    if (to <= impl_->target) return;
    impl_->target = to;
  }
  impl_->cv.notify_one();
}

std::error_code file_hash_follower::finish(xxh3_128& out) {
  {
    std::lock_guard lock(impl_->m);
    impl_->closing = true;
  }
  impl_->cv.notify_one();
  if (impl_->thread.joinable()) impl_->thread.join();
  if (impl_->ec) return impl_->ec;
  out = std::move(impl_->h);
  return {};
}

}  // namespace sockit
