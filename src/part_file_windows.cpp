// The receiver's temporary file and its rename on Windows (see part_file.hpp). How the Linux
// calls map:
//   flock(LOCK_EX)      the part file is opened sharing read access only, so a second receiver
//                       opening it to write gets ERROR_SHARING_VIOLATION (device_or_resource_busy);
//   O_NOFOLLOW          FILE_FLAG_OPEN_REPARSE_POINT, and anything but a plain file is refused;
//   renameat2           MoveFileExW (MOVEFILE_REPLACE_EXISTING only when `replace`; without it an
//                       existing name fails, as RENAME_NOREPLACE), MOVEFILE_WRITE_THROUGH in place
//                       of the directory's fsync. Windows cannot rename a file this process holds
//                       open without delete sharing, so commit closes it first and reopens it if
//                       the rename fails (discard then still finds it);
//   0600, fchmod(mode)  no counterpart in Windows' ACLs: the file gets what the directory gives
//                       new files (inherited ACL), and `mode` is not applied;
//   fallocate, sync_file_range: nothing (both are hints on Linux too).
// The directory is a path (no directory handle to work relative to); names from the wire are
// UTF-8, the directory from the command line is in the ANSI code page.
#include "sockit/part_file.hpp"

#include <cerrno>
#include <utility>

#include <fcntl.h>
#include <io.h>

#include "detail/win_file.hpp"
#include "sockit/error.hpp"
#include "sockit/transfer_name.hpp"

namespace sockit {

namespace {

std::wstring path_of(const std::string& dir, const std::string& name) {
  std::wstring p = detail::widen(dir, CP_ACP);
  if (!p.empty() && p.back() != L'\\' && p.back() != L'/') p += L'\\';
  return p + detail::widen(name, CP_UTF8);
}

HANDLE open_handle(const std::wstring& path, DWORD disposition) {
  return ::CreateFileW(path.c_str(), GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ, nullptr, disposition,
                       FILE_ATTRIBUTE_NORMAL | FILE_FLAG_OPEN_REPARSE_POINT, nullptr);
}

}  // namespace

result<part_file> part_file::open_directory(std::string_view dir) {
  std::string d(dir.empty() ? "." : dir);
  DWORD attrs = ::GetFileAttributesW(detail::widen(d, CP_ACP).c_str());
  if (attrs == INVALID_FILE_ATTRIBUTES) return detail::last_file_error();
  if (!(attrs & FILE_ATTRIBUTE_DIRECTORY)) return std::make_error_code(std::errc::not_a_directory);
  return part_file(-1, d);
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
    dir_fd_ = std::exchange(o.dir_fd_, -1);
    dir_ = std::move(o.dir_);
    fd_ = std::exchange(o.fd_, -1);
    name_ = std::move(o.name_);
    part_name_ = std::move(o.part_name_);
    size_at_open_ = o.size_at_open_;
  }
  return *this;
}

part_file::~part_file() { close_part(); }

result<bool> part_file::target_exists(std::string_view name) const {
  DWORD attrs = ::GetFileAttributesW(path_of(dir_, std::string(name)).c_str());
  if (attrs != INVALID_FILE_ATTRIBUTES) return true;
  auto ec = detail::last_file_error();
  if (ec == std::errc::no_such_file_or_directory) return false;
  return ec;
}

std::error_code part_file::open_part(std::string_view name, bool keep) {
  close_part();
  name_ = std::string(name);
  part_name_ = partial_name(name);
  HANDLE h = open_handle(path_of(dir_, part_name_), OPEN_ALWAYS);
  if (h == INVALID_HANDLE_VALUE) return detail::last_file_error();
  BY_HANDLE_FILE_INFORMATION info{};
  if (!::GetFileInformationByHandle(h, &info) ||
      (info.dwFileAttributes & (FILE_ATTRIBUTE_DIRECTORY | FILE_ATTRIBUTE_REPARSE_POINT)) ||
      ::GetFileType(h) != FILE_TYPE_DISK) {
    ::CloseHandle(h);  // a directory, link or device someone left under our name
    return std::make_error_code(std::errc::invalid_argument);
  }
  // From here the C runtime descriptor owns the handle (_close closes both). Binary: no CRLF.
  fd_ = ::_open_osfhandle(reinterpret_cast<intptr_t>(h), _O_BINARY);
  if (fd_ < 0) {
    ::CloseHandle(h);
    return std::make_error_code(std::errc::too_many_files_open);
  }
  if (!keep) {
    if (auto ec = truncate()) return ec;
  }
  auto end = ::_lseeki64(fd_, 0, SEEK_END);
  if (end < 0) return {errno, std::generic_category()};
  size_at_open_ = static_cast<std::uint64_t>(end);
  return {};
}

std::error_code part_file::truncate() {
  if (int err = ::_chsize_s(fd_, 0); err != 0) return std::make_error_code(static_cast<std::errc>(err));
  if (::_lseeki64(fd_, 0, SEEK_SET) < 0) return {errno, std::generic_category()};
  return {};
}

std::error_code part_file::reserve(std::uint64_t) { return {}; }

std::error_code part_file::start_writeback(std::uint64_t, std::uint64_t) { return {}; }

std::error_code part_file::commit(std::uint32_t, bool replace) {
  auto h = reinterpret_cast<HANDLE>(::_get_osfhandle(fd_));
  if (!::FlushFileBuffers(h)) return detail::last_file_error();
  close_part();
  std::wstring from = path_of(dir_, part_name_);
  DWORD flags = MOVEFILE_WRITE_THROUGH | (replace ? MOVEFILE_REPLACE_EXISTING : 0);
  if (::MoveFileExW(from.c_str(), path_of(dir_, name_).c_str(), flags)) return {};
  auto ec = detail::last_file_error();
  HANDLE again = open_handle(from, OPEN_EXISTING);
  if (again != INVALID_HANDLE_VALUE) {
    fd_ = ::_open_osfhandle(reinterpret_cast<intptr_t>(again), _O_BINARY);
    if (fd_ < 0) ::CloseHandle(again);
  }
  return ec;
}

std::error_code part_file::discard() {
  if (fd_ < 0) return {};
  close_part();
  if (::DeleteFileW(path_of(dir_, part_name_).c_str())) return {};
  return detail::last_file_error();
}

void part_file::close_part() noexcept {
  if (fd_ >= 0) ::_close(fd_);
  fd_ = -1;
}

}  // namespace sockit
