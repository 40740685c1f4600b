// The receiver's temporary file and its atomic rename.
#include "sockit/part_file.hpp"

#include <utility>

#include <fcntl.h>
#include <stdio.h>  // renameat2
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "detail/syscall.hpp"
#include "sockit/error.hpp"
#include "sockit/transfer_name.hpp"

namespace sockit {

result<part_file> part_file::open_directory(std::string_view dir) {
  std::string d(dir.empty() ? "." : dir);
  auto fd = detail::check_res([&] { return ::open(d.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); });
  if (!fd) return fd.error();
  return part_file(*fd, d);
}

part_file::part_file(part_file&& o) noexcept
    : dir_fd_(std::exchange(o.dir_fd_, -1)),
      dir_(std::move(o.dir_)),
      fd_(std::exchange(o.fd_, -1)),
      name_(std::move(o.name_)),
      part_name_(std::move(o.part_name_)),
      size_at_open_(o.size_at_open_) {}

part_file& part_file::operator=(part_file&& o) noexcept {
  if (this != &o) {
    close_part();
    if (dir_fd_ >= 0) ::close(dir_fd_);
    dir_fd_ = std::exchange(o.dir_fd_, -1);
    dir_ = std::move(o.dir_);
    fd_ = std::exchange(o.fd_, -1);
    name_ = std::move(o.name_);
    part_name_ = std::move(o.part_name_);
    size_at_open_ = o.size_at_open_;
  }
  return *this;
}

part_file::~part_file() {
  close_part();
  if (dir_fd_ >= 0) ::close(dir_fd_);
}

result<bool> part_file::target_exists(std::string_view name) const {
  std::string n(name);
  struct stat st {};
  auto ec = detail::check_ec([&] { return ::fstatat(dir_fd_, n.c_str(), &st, AT_SYMLINK_NOFOLLOW); });
  if (!ec) return true;
  if (ec == std::errc::no_such_file_or_directory) return false;
  return ec;
}

std::error_code part_file::open_part(std::string_view name, bool keep) {
  close_part();
  name_ = std::string(name);
  part_name_ = partial_name(name);
  auto fd = detail::check_res([&] {
    return ::openat(dir_fd_, part_name_.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  });
  if (!fd) return fd.error();
  fd_ = *fd;
  struct stat st {};
  if (auto ec = detail::check_ec([&] { return ::fstat(fd_, &st); })) {
    close_part();
    return ec;
  }
  if (!S_ISREG(st.st_mode)) {  // a FIFO or device someone left under our name
    close_part();
    return std::make_error_code(std::errc::invalid_argument);
  }
  if (auto ec = detail::check_ec([&] { return ::flock(fd_, LOCK_EX | LOCK_NB); })) {
    close_part();
    return ec == errc::would_block ? std::make_error_code(std::errc::device_or_resource_busy) : ec;
  }
  // Ours now: 0600 whatever an earlier run or umask left.
  (void)::fchmod(fd_, 0600);
  if (!keep) {
    if (auto ec = truncate()) return ec;
  }
  auto end = detail::check_res([&] { return ::lseek(fd_, 0, SEEK_END); });
  if (!end) return end.error();
  size_at_open_ = static_cast<std::uint64_t>(*end);
  return {};
}

std::error_code part_file::truncate() {
  if (auto ec = detail::check_ec([&] { return ::ftruncate(fd_, 0); })) return ec;
  auto pos = detail::check_res([&] { return ::lseek(fd_, 0, SEEK_SET); });
  return pos ? std::error_code{} : pos.error();
}

std::error_code part_file::reserve(std::uint64_t total) {
  if (total == 0) return {};
  auto ec = detail::check_ec([&] { return ::fallocate(fd_, FALLOC_FL_KEEP_SIZE, 0, static_cast<off_t>(total)); });
  if (ec == std::errc::operation_not_supported || ec == std::errc::function_not_supported) return {};
  return ec;
}

std::error_code part_file::start_writeback(std::uint64_t offset, std::uint64_t length) {
  return detail::check_ec([&] {
    return ::sync_file_range(fd_, static_cast<off_t>(offset), static_cast<off_t>(length), SYNC_FILE_RANGE_WRITE);
  });
}

std::error_code part_file::commit(std::uint32_t mode, bool replace) {
  if (auto ec = detail::check_ec([&] { return ::fsync(fd_); })) return ec;
  if (auto ec = detail::check_ec([&] { return ::fchmod(fd_, static_cast<mode_t>(mode)); })) return ec;
  unsigned flags = replace ? 0 : RENAME_NOREPLACE;
  auto ec = detail::check_ec(
      [&] { return ::renameat2(dir_fd_, part_name_.c_str(), dir_fd_, name_.c_str(), flags); });
  if (ec == std::errc::invalid_argument && !replace) {
    // A file system without RENAME_NOREPLACE: link (fails on an existing name) then unlink.
    ec = detail::check_ec([&] { return ::linkat(dir_fd_, part_name_.c_str(), dir_fd_, name_.c_str(), 0); });
    if (!ec) (void)::unlinkat(dir_fd_, part_name_.c_str(), 0);
  }
  if (ec) return ec;
  close_part();
  // The rename is durable once the directory is.
  return detail::check_ec([&] { return ::fsync(dir_fd_); });
}

std::error_code part_file::discard() {
  if (fd_ < 0) return {};
  close_part();
  return detail::check_ec([&] { return ::unlinkat(dir_fd_, part_name_.c_str(), 0); });
}

void part_file::close_part() noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

}  // namespace sockit
