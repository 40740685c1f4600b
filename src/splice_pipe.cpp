// The splice wrapper: a non-blocking pipe and the byte count it holds.
#include "sockit/splice_pipe.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <utility>

#include "detail/syscall.hpp"
#include "sockit/error.hpp"

namespace sockit {

result<splice_pipe> splice_pipe::create(std::size_t capacity_hint) {
  int fds[2];
  if (auto ec = detail::check_ec([&] { return ::pipe2(fds, O_NONBLOCK | O_CLOEXEC); })) return ec;
  splice_pipe p;
  p.read_fd_ = fds[0];
  p.write_fd_ = fds[1];
  if (capacity_hint > 0 && capacity_hint <= (1u << 30)) {
    // Refused when over pipe-max-size or the user's pipe quota: the default size serves as well.
    (void)::fcntl(p.write_fd_, F_SETPIPE_SZ, static_cast<int>(capacity_hint));
  }
  auto sz = detail::check_res([&] { return ::fcntl(p.write_fd_, F_GETPIPE_SZ); });
  if (!sz) return sz.error();
  p.capacity_ = static_cast<std::size_t>(*sz);
  return p;
}

splice_pipe::splice_pipe(splice_pipe&& other) noexcept
    : read_fd_(std::exchange(other.read_fd_, -1)),
      write_fd_(std::exchange(other.write_fd_, -1)),
      size_(std::exchange(other.size_, 0)),
      capacity_(std::exchange(other.capacity_, 0)) {}

splice_pipe& splice_pipe::operator=(splice_pipe&& other) noexcept {
  if (this != &other) {
    close();
    read_fd_ = std::exchange(other.read_fd_, -1);
    write_fd_ = std::exchange(other.write_fd_, -1);
    size_ = std::exchange(other.size_, 0);
    capacity_ = std::exchange(other.capacity_, 0);
  }
  return *this;
}

splice_pipe::~splice_pipe() { close(); }

void splice_pipe::close() noexcept {
  if (read_fd_ >= 0) ::close(read_fd_);
  if (write_fd_ >= 0) ::close(write_fd_);
  read_fd_ = write_fd_ = -1;
  size_ = 0;
}

result<std::size_t> splice_pipe::fill_from(int fd, std::size_t max) {
  std::size_t want = space();
  if (max > 0 && max < want) want = max;
  if (want == 0) return errc::would_block;
  auto n = detail::check_size(
      [&] { return ::splice(fd, nullptr, write_fd_, nullptr, want, SPLICE_F_MOVE | SPLICE_F_NONBLOCK); });
  if (!n) return n.error();
  if (*n == 0) return errc::end_of_stream;  // a socket at EOF: splice of a positive length gave 0
  size_ += *n;
  return n;
}

result<std::size_t> splice_pipe::drain_to(int fd, std::size_t max) {
  std::size_t want = size_;
  if (max > 0 && max < want) want = max;
  if (want == 0) return std::size_t{0};
  auto n = detail::check_size(
      [&] { return ::splice(read_fd_, nullptr, fd, nullptr, want, SPLICE_F_MOVE | SPLICE_F_NONBLOCK); });
  if (!n) return n.error();
  size_ -= *n;
  return n;
}

result<std::size_t> splice_pipe::read_into(std::span<std::byte> data) {
  if (size_ == 0 || data.empty()) return errc::would_block;
  auto n = detail::check_size([&] { return ::read(read_fd_, data.data(), data.size()); });
  if (!n) return n.error();
  size_ -= *n;
  return n;
}

bool splice_unsupported(std::error_code ec) noexcept {
  return ec == std::errc::invalid_argument || ec == std::errc::function_not_supported ||
         ec == std::errc::operation_not_supported;
}

}  // namespace sockit
