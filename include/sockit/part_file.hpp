// sockit/part_file.hpp: a file received under a temporary name in its target directory
// (DIR/.NAME.sockit-part, mode 0600) and renamed to DIR/NAME only once it is complete and on disk,
// so no reader ever sees a partial file under the final name (public).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>

#include "sockit/result.hpp"

namespace sockit {

class part_file {
 public:
  // Opens DIR (to create, rename and sync entries in it by descriptor). Errors as open(2):
  // ENOENT, ENOTDIR, EACCES.
  static result<part_file> open_directory(std::string_view dir);

  part_file(part_file&& other) noexcept;
  part_file& operator=(part_file&& other) noexcept;
  part_file(const part_file&) = delete;
  part_file& operator=(const part_file&) = delete;
  ~part_file();  // closes; the partial file stays (discard() removes it)

  // Whether DIR/name exists (any kind of entry, a dangling symlink too).
  result<bool> target_exists(std::string_view name) const;

  // Opens the partial file for `name`, creating it with mode 0600, never through a symlink, and
  // locks it (flock) so a second receiver of the same name fails with
  // std::errc::device_or_resource_busy. keep = true keeps what it holds (to resume); otherwise it
  // is emptied. The file position is at its end. One file at a time per part_file.
  std::error_code open_part(std::string_view name, bool keep);

  int fd() const noexcept { return fd_; }
  const std::string& part_name() const noexcept { return part_name_; }
  std::uint64_t size_at_open() const noexcept { return size_at_open_; }

  // Empties the partial file (the sender's prefix differs from what it holds).
  std::error_code truncate();
  // Reserves room for `total` bytes without changing the size (fallocate KEEP_SIZE), so a full
  // disk shows now rather than half-way; file systems without fallocate are not an error.
  std::error_code reserve(std::uint64_t total);
  // Starts writing [offset, offset + length) to disk without waiting (sync_file_range), so the
  // final fsync finds little left to do.
  std::error_code start_writeback(std::uint64_t offset, std::uint64_t length);

  // fsync, chmod to `mode`, rename to DIR/name (RENAME_NOREPLACE unless `replace`: an entry that
  // appeared meanwhile gives EEXIST), fsync DIR; closes the file.
  std::error_code commit(std::uint32_t mode, bool replace);
  // Closes and removes the partial file.
  std::error_code discard();
  // Closes the partial file, keeping it for a later resume.
  void close_part() noexcept;

 private:
  explicit part_file(int dir_fd, std::string dir) noexcept : dir_fd_(dir_fd), dir_(std::move(dir)) {}
  int dir_fd_ = -1;
  std::string dir_;
  int fd_ = -1;
  std::string name_;
  std::string part_name_;
  std::uint64_t size_at_open_ = 0;
};

}  // namespace sockit
