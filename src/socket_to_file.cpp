// socket -> pipe -> file with splice(2).
#include "sockit/socket_to_file.hpp"

#include <algorithm>
#include <utility>

#include <fcntl.h>
#include <unistd.h>

#include "detail/syscall.hpp"
#include "sockit/error.hpp"
#include "sockit/io.hpp"

namespace sockit {

result<socket_to_file> socket_to_file::open(std::size_t pipe_bytes) {
  int fds[2];
  if (auto ec = detail::check_ec([&] { return ::pipe2(fds, O_CLOEXEC | O_NONBLOCK); })) return ec;
  // A larger pipe means fewer splice calls per megabyte; an unprivileged process may be refused
  // more than /proc/sys/fs/pipe-max-size, and then keeps the default (64 KiB).
  int asked = static_cast<int>(std::min<std::size_t>(pipe_bytes, 1u << 30));
  auto got = detail::check_res([&] { return ::fcntl(fds[1], F_SETPIPE_SZ, asked); });
  if (!got) got = detail::check_res([&] { return ::fcntl(fds[1], F_GETPIPE_SZ); });
  if (!got) {
    ::close(fds[0]);
    ::close(fds[1]);
    return got.error();
  }
  return socket_to_file(fds[0], fds[1], static_cast<std::size_t>(*got));
}

socket_to_file::socket_to_file(socket_to_file&& other) noexcept
    : copy_(std::move(other.copy_)),
      read_fd_(std::exchange(other.read_fd_, -1)),
      write_fd_(std::exchange(other.write_fd_, -1)),
      pipe_bytes_(other.pipe_bytes_) {}

socket_to_file& socket_to_file::operator=(socket_to_file&& other) noexcept {
  if (this != &other) {
    close_pipe();
    copy_ = std::move(other.copy_);
    read_fd_ = std::exchange(other.read_fd_, -1);
    write_fd_ = std::exchange(other.write_fd_, -1);
    pipe_bytes_ = other.pipe_bytes_;
  }
  return *this;
}

socket_to_file::~socket_to_file() { close_pipe(); }

void socket_to_file::close_pipe() noexcept {
  if (read_fd_ >= 0) ::close(read_fd_);
  if (write_fd_ >= 0) ::close(write_fd_);
  read_fd_ = write_fd_ = -1;
}

// Whatever a failed call left in the pipe must not reach the next file: read it out and drop it.
std::error_code socket_to_file::drain_pipe() noexcept {
  char sink[4096];
  for (;;) {
    auto n = detail::check_size([&] { return ::read(read_fd_, sink, sizeof sink); });
    if (!n) return n.error() == errc::would_block ? std::error_code{} : n.error();
    if (*n == 0) return {};
  }
}

result<std::size_t> socket_to_file::pipe_to_file_by_copy(int file_fd, std::size_t left) {
  if (copy_.empty()) copy_.resize(std::max<std::size_t>(pipe_bytes_, 64 << 10));
  const std::size_t total = left;
  while (left > 0) {
    auto n = detail::check_size([&] { return ::read(read_fd_, copy_.data(), std::min(left, copy_.size())); });
    if (!n || *n == 0) return n ? std::make_error_code(std::errc::io_error) : n.error();  // bytes the pipe said it held
    auto w = write_all(file_fd, std::span<const std::byte>(copy_.data(), *n));
    if (w.ec) {
      (void)drain_pipe();
      return w.ec;
    }
    left -= *n;
  }
  return total;
}

result<std::size_t> socket_to_file::socket_to_file_by_copy(const socket& s, int file_fd, std::size_t max) {
  auto n = try_recv(s, std::span<std::byte>(copy_.data(), std::min(max, copy_.size())));
  if (!n) return n;
  auto w = write_all(file_fd, std::span<const std::byte>(copy_.data(), *n));
  if (w.ec) return w.ec;
  return n;
}

result<std::size_t> socket_to_file::try_move(const socket& s, int file_fd, std::size_t max) {
  if (!copy_.empty()) return socket_to_file_by_copy(s, file_fd, max);
  std::size_t want = std::min(max, pipe_bytes_);
  auto in = detail::check_size(
      [&] { return ::splice(s.native_handle(), nullptr, write_fd_, nullptr, want, SPLICE_F_MOVE | SPLICE_F_NONBLOCK); });
  if (!in) return in;
  if (*in == 0) return want == 0 ? in : result<std::size_t>(errc::end_of_stream);
  // The pipe now holds *in bytes: all of them go to the file before we return, so a count
  // returned is a count written. The pipe end is non-blocking but a file write never waits for
  // room, so would_block cannot come from here.
  std::size_t left = *in;
  while (left > 0) {
    auto out = detail::check_size(
        [&] { return ::splice(read_fd_, nullptr, file_fd, nullptr, left, SPLICE_F_MOVE); });
    if (!out && out.error() == std::errc::invalid_argument) {
      // This file takes no splice (O_APPEND, or no splice_write in its file system): the bytes
      // already in the pipe go by read and write, and so does everything after them.
      auto copied = pipe_to_file_by_copy(file_fd, left);
      if (!copied) return copied.error();
      return *in;
    }
    if (!out || *out == 0) {
      (void)drain_pipe();
      if (!out) return out.error();
      return std::make_error_code(std::errc::io_error);  // a file that takes nothing
    }
    left -= *out;
  }
  return *in;
}

}  // namespace sockit
