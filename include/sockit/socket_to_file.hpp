// sockit/socket_to_file.hpp: a socket's bytes into a file with splice(2) through a pipe (socket ->
// pipe -> file), so they are copied once, into the page cache, instead of into a user buffer and
// out again (public). `sockit recv` measured it faster than recv+write (docs/commands/send.md).
#pragma once

#include <cstddef>
#include <vector>

#include "sockit/result.hpp"
#include "sockit/socket.hpp"

namespace sockit {

class socket_to_file {
 public:
  // A pipe of about `pipe_bytes` (rounded by the kernel; the default size where it refuses more).
  static result<socket_to_file> open(std::size_t pipe_bytes = 1 << 20);

  socket_to_file(socket_to_file&& other) noexcept;
  socket_to_file& operator=(socket_to_file&& other) noexcept;
  socket_to_file(const socket_to_file&) = delete;
  socket_to_file& operator=(const socket_to_file&) = delete;
  ~socket_to_file();

  // Moves up to `max` bytes that are waiting on `s` to `file_fd` at its file position (which
  // advances), and returns how many. Never waits for the socket, which must be non-blocking:
  // nothing there yet is errc::would_block, an orderly close errc::end_of_stream. Whatever left
  // the socket has reached the file when it returns a count; a failed write to the file (ENOSPC,
  // EIO) is returned as that error, the bytes still in the pipe dropped.
  // A file that refuses splice (EINVAL: opened with O_APPEND, or a file system without
  // splice_write) gets the bytes by read and write instead, from then on: no byte is lost to it.
  result<std::size_t> try_move(const socket& s, int file_fd, std::size_t max);

  std::size_t pipe_bytes() const noexcept { return pipe_bytes_; }
  // True once a file refused splice and the copy went through a buffer.
  bool copying() const noexcept { return !copy_.empty(); }

 private:
  socket_to_file(int read_fd, int write_fd, std::size_t bytes) noexcept
      : read_fd_(read_fd), write_fd_(write_fd), pipe_bytes_(bytes) {}
  void close_pipe() noexcept;
  std::error_code drain_pipe() noexcept;
  // The pipe's `left` bytes, then the socket's, by read/write through copy_.
  result<std::size_t> pipe_to_file_by_copy(int file_fd, std::size_t left);
  result<std::size_t> socket_to_file_by_copy(const socket& s, int file_fd, std::size_t max);
  std::vector<std::byte> copy_;  // empty until a file refuses splice
  int read_fd_ = -1;
  int write_fd_ = -1;
  std::size_t pipe_bytes_ = 0;
};

}  // namespace sockit
