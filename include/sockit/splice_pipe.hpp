// sockit/splice_pipe.hpp: a kernel pipe used as the buffer between two descriptors, filled and
// drained with splice(2), so bytes relayed from one socket to another never enter user space
// (zero-copy: the pipe holds references to the socket's pages). Public.
//
//   source fd --fill_from--> [ pipe: size() of capacity() bytes ] --drain_to--> sink fd
//
// Both ends of the pipe are non-blocking and the byte count is tracked here (a pipe cannot be
// asked how full it is), so a caller knows when to stop reading its source: that bound is the
// backpressure. splice needs a pipe on one side and a descriptor that supports it on the other;
// a socket that does not (or a kernel without it) gives EINVAL (or ENOSYS/EOPNOTSUPP) at the
// first call, and the caller falls back to read/write (see splice_unsupported).
#pragma once

#include <cstddef>
#include <span>
#include <system_error>

#include "sockit/result.hpp"

namespace sockit {

class splice_pipe {
 public:
  // A pipe with O_NONBLOCK and O_CLOEXEC on both ends. `capacity_hint` > 0 asks F_SETPIPE_SZ for
  // that many bytes (the kernel rounds up to a power-of-two number of pages); a refusal (over
  // /proc/sys/fs/pipe-max-size, or the user's pipe quota) keeps the default size, which
  // capacity() then reports.
  static result<splice_pipe> create(std::size_t capacity_hint = 0);
  splice_pipe() noexcept = default;
  splice_pipe(splice_pipe&& other) noexcept;
  splice_pipe& operator=(splice_pipe&& other) noexcept;
  splice_pipe(const splice_pipe&) = delete;
  splice_pipe& operator=(const splice_pipe&) = delete;
  ~splice_pipe();

  // One splice from `fd` into the pipe, at most min(max, space()) bytes (max 0: space()).
  // errc::end_of_stream when fd is at end of stream, errc::would_block when it has nothing now
  // (or the pipe is full), any other error as splice(2) gave it.
  result<std::size_t> fill_from(int fd, std::size_t max = 0);
  // One splice from the pipe into `fd`, at most min(max, size()) bytes (max 0: size()).
  // errc::would_block when fd takes nothing now; an empty pipe moves 0 bytes.
  result<std::size_t> drain_to(int fd, std::size_t max = 0);

  // One read(2) of what the pipe holds into `data`, for a caller falling back to read/write with
  // bytes already in the pipe. An empty pipe gives errc::would_block.
  result<std::size_t> read_into(std::span<std::byte> data);

  std::size_t size() const noexcept { return size_; }
  std::size_t capacity() const noexcept { return capacity_; }
  std::size_t space() const noexcept { return capacity_ > size_ ? capacity_ - size_ : 0; }
  bool empty() const noexcept { return size_ == 0; }
  bool is_open() const noexcept { return read_fd_ >= 0; }
  // Closes both ends; bytes still held are discarded.
  void close() noexcept;

 private:
  int read_fd_ = -1;
  int write_fd_ = -1;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
};

// Whether an error from fill_from/drain_to means "splice cannot be used with this descriptor"
// (EINVAL, ENOSYS, EOPNOTSUPP), as opposed to an error of the connection itself: the caller then
// moves the bytes with read/write instead.
bool splice_unsupported(std::error_code ec) noexcept;

}  // namespace sockit
