// The growable I/O buffer.
#include "sockit/buffer.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#ifdef _WIN32
#include "detail/net.hpp"
#else
#include <sys/uio.h>
#endif

#include "detail/syscall.hpp"
#include "sockit/error.hpp"

namespace sockit {

void buffer::reserve_writable(std::size_t n) {
  if (capacity_ - write_index_ >= n) return;
  std::size_t used = size();
  if (capacity_ - used >= n && read_index_ > 0 && used <= capacity_ / 2) {
    // Enough room once the consumed front is reclaimed, and cheap to move.
    std::memmove(data_.get(), data_.get() + read_index_, used);
  } else {
    // As std::vector::reserve: a size no allocation could give throws rather than wrapping round
    // to a buffer smaller than asked for.
    if (n > max_size() - used) throw std::length_error("sockit::buffer: size too large");
    std::size_t cap = std::max({used + n, std::min(capacity_ * 2, max_size()), std::size_t{256}});
    auto fresh = std::make_unique_for_overwrite<std::byte[]>(cap);
    if (used) std::memcpy(fresh.get(), data_.get() + read_index_, used);
    data_ = std::move(fresh);
    capacity_ = cap;
  }
  read_index_ = 0;
  write_index_ = used;
}

void buffer::append(std::span<const std::byte> bytes) {
  if (bytes.empty()) return;
  reserve_writable(bytes.size());
  std::memcpy(data_.get() + write_index_, bytes.data(), bytes.size());
  write_index_ += bytes.size();
}

void buffer::append(std::string_view text) {
  append(std::span<const std::byte>(reinterpret_cast<const std::byte*>(text.data()), text.size()));
}

void buffer::consume(std::size_t n) noexcept {
  read_index_ += std::min(n, size());
  if (read_index_ == write_index_) {
    read_index_ = write_index_ = 0;
    if (capacity_ > shrink_threshold_) release_if_empty();
  }
}

std::span<std::byte> buffer::prepare(std::size_t n) {
  reserve_writable(n);
  return {data_.get() + write_index_, capacity_ - write_index_};
}

void buffer::release_if_empty() noexcept {
  if (!empty() || !data_) return;
  data_.reset();
  capacity_ = read_index_ = write_index_ = 0;
}

result<std::size_t> buffer::read_from(int fd, std::size_t max_bytes) {
  if (max_bytes == 0) return std::errc::invalid_argument;  // nothing to read into
  constexpr std::size_t spill_size = 64 * 1024;
  std::byte spill[spill_size];
  std::size_t room = std::min(capacity_ - write_index_, max_bytes);
#ifdef _WIN32
  // fd is a socket: one WSARecv into the free space and the spill area.
  WSABUF bufs[2];
  bufs[0].buf = data_ ? reinterpret_cast<char*>(data_.get() + write_index_) : nullptr;
  bufs[0].len = static_cast<ULONG>(room);
  bufs[1].buf = reinterpret_cast<char*>(spill);
  bufs[1].len = static_cast<ULONG>(std::min(spill_size, max_bytes - room));
  auto n = detail::check_size([&] {
    DWORD got = 0, flags = 0;
    WSABUF* first = room == 0 ? &bufs[1] : &bufs[0];
    DWORD count = room == 0 || bufs[1].len == 0 ? 1 : 2;
    int rc = ::WSARecv(detail::native(fd), first, count, &got, &flags, nullptr, nullptr);
    return rc == 0 ? static_cast<long long>(got) : -1LL;
  });
#else
  iovec iov[2];
  iov[0].iov_base = data_ ? data_.get() + write_index_ : nullptr;
  iov[0].iov_len = room;
  iov[1].iov_base = spill;
  iov[1].iov_len = std::min(spill_size, max_bytes - room);
  int iovcnt = iov[1].iov_len > 0 ? 2 : 1;
  // One region only (the free space covers max_bytes, or there is none): read(2), which spares the
  // kernel importing an iovec array.
  auto n = detail::check_size([&] {
    if (room == 0) return ::read(fd, spill, iov[1].iov_len);
    if (iovcnt == 1) return ::read(fd, iov[0].iov_base, room);
    return ::readv(fd, iov, iovcnt);
  });
#endif
  if (!n) return n.error();
  if (*n == 0) return errc::end_of_stream;
  auto got = *n;
  if (got <= room) {
    write_index_ += got;
  } else {
    write_index_ += room;
    append(std::span<const std::byte>(spill, got - room));
  }
  return got;
}

}  // namespace sockit
