// sockit/buffer.hpp: a growable byte buffer with a read and a write region (after muduo's Buffer):
//
//   +-------------------+------------------+------------------+
//   |  consumed (free)  |  readable bytes  |  writable bytes  |
//   +-------------------+------------------+------------------+
//   0             read_index_        write_index_         capacity
//
// Consumed space is reclaimed by moving the readable bytes down before growing. When it empties,
// a buffer larger than its shrink threshold gives its memory back, so an idle connection holds no
// buffer memory at all.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <utility>

#include "sockit/result.hpp"

namespace sockit {

class buffer {
 public:
  static constexpr std::size_t default_shrink_threshold = 64 * 1024;

  explicit buffer(std::size_t shrink_threshold = default_shrink_threshold) noexcept
      : shrink_threshold_(shrink_threshold) {}
  // A moved-from buffer is empty and usable.
  buffer(buffer&& other) noexcept { *this = std::move(other); }
  buffer& operator=(buffer&& other) noexcept {
    if (this != &other) {
      data_ = std::move(other.data_);
      capacity_ = std::exchange(other.capacity_, 0);
      read_index_ = std::exchange(other.read_index_, 0);
      write_index_ = std::exchange(other.write_index_, 0);
      shrink_threshold_ = other.shrink_threshold_;
    }
    return *this;
  }

  std::size_t size() const noexcept { return write_index_ - read_index_; }
  bool empty() const noexcept { return size() == 0; }
  std::size_t capacity() const noexcept { return capacity_; }
  // The most it can hold, as for std::vector; growing past it throws std::length_error.
  static constexpr std::size_t max_size() noexcept { return static_cast<std::size_t>(PTRDIFF_MAX); }

  std::span<const std::byte> readable() const noexcept { return {data_.get() + read_index_, size()}; }
  std::string_view view() const noexcept {
    return {reinterpret_cast<const char*>(data_.get()) + read_index_, size()};
  }

  void append(std::span<const std::byte> bytes);
  void append(std::string_view text);
  // Drops n readable bytes from the front (n <= size()).
  void consume(std::size_t n) noexcept;
  void clear() noexcept { consume(size()); }

  // Room to write at least n bytes; the caller then calls commit(k) for k <= n. Memory is
  // allocated as by std::vector (std::bad_alloc, std::length_error past max_size()).
  std::span<std::byte> prepare(std::size_t n);
  void commit(std::size_t n) noexcept { write_index_ += n; }

  // One readv(2) into the free space plus a 64 KiB stack spill area (a plain read(2) when one of
  // the two covers it), so a burst is read in one call without FIONREAD; at most max_bytes (which must be > 0: std::errc::invalid_argument
  // otherwise). Never 0 bytes: end of stream is errc::end_of_stream, nothing to read on a
  // non-blocking descriptor errc::would_block.
  result<std::size_t> read_from(int fd, std::size_t max_bytes = 1 << 20);

  // Frees the storage if empty (whatever its size).
  void release_if_empty() noexcept;

 private:
  void reserve_writable(std::size_t n);

  std::unique_ptr<std::byte[]> data_;
  std::size_t capacity_ = 0;
  std::size_t read_index_ = 0;
  std::size_t write_index_ = 0;
  std::size_t shrink_threshold_;
};

}  // namespace sockit
