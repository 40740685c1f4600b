// Hashing a range of a file on Windows: ReadFile at an offset given in the OVERLAPPED (Windows'
// pread). On a handle opened for synchronous I/O such a read also moves the file pointer, which
// the C runtime's _write then writes at, so the pointer is put back afterwards. There is no
// mapping variant: hash_mapped_range reads the same way.
#include "sockit/file_hash.hpp"

#include <algorithm>
#include <array>
#include <span>

#include <io.h>

#include "detail/win_file.hpp"
#include "sockit/error.hpp"

namespace sockit {

std::error_code hash_file_range(int fd, std::uint64_t offset, std::uint64_t length, xxh3_128& h) {
  auto file = reinterpret_cast<HANDLE>(::_get_osfhandle(fd));
  if (file == INVALID_HANDLE_VALUE) return std::make_error_code(std::errc::bad_file_descriptor);
  LARGE_INTEGER here{};
  LARGE_INTEGER zero{};
  if (!::SetFilePointerEx(file, zero, &here, FILE_CURRENT)) return detail::last_file_error();
  static thread_local std::array<std::byte, 256 * 1024> buf;
  std::error_code ec;
  while (length > 0) {
    auto want = static_cast<DWORD>(std::min<std::uint64_t>(length, buf.size()));
    OVERLAPPED ov{};
    ov.Offset = static_cast<DWORD>(offset & 0xffffffffu);
    ov.OffsetHigh = static_cast<DWORD>(offset >> 32);
    DWORD n = 0;
    if (!::ReadFile(file, buf.data(), want, &n, &ov)) {
      // A read at or past the end fails with ERROR_HANDLE_EOF on an overlapped offset: the file
      // is shorter than the range, which callers know as end_of_stream (as on Linux).
      ec = ::GetLastError() == ERROR_HANDLE_EOF ? make_error_code(errc::end_of_stream) : detail::last_file_error();
      break;
    }
    if (n == 0) {
      ec = make_error_code(errc::end_of_stream);
      break;
    }
    h.update(std::span<const std::byte>(buf.data(), n));
    offset += n;
    length -= n;
  }
  (void)::SetFilePointerEx(file, here, nullptr, FILE_BEGIN);
  return ec;
}

std::error_code hash_mapped_range(int fd, std::uint64_t offset, std::uint64_t length, xxh3_128& h) {
  return hash_file_range(fd, offset, length, h);
}

}  // namespace sockit

namespace sockit {

// No thread here: advance() hashes at once, with the caller's descriptor, which it needs only
// during the call.
struct file_hash_follower::impl {
  int fd;
  std::uint64_t hashed;
  xxh3_128 h;
  std::error_code ec;
};

result<std::unique_ptr<file_hash_follower>> file_hash_follower::start(int fd, std::uint64_t from, xxh3_128 h) {
  return std::unique_ptr<file_hash_follower>(
      new file_hash_follower(std::make_unique<impl>(impl{fd, from, std::move(h), {}})));
}

file_hash_follower::file_hash_follower(std::unique_ptr<impl> p) noexcept : impl_(std::move(p)) {}

file_hash_follower::~file_hash_follower() = default;

void file_hash_follower::advance(std::uint64_t to) {
  if (impl_->ec || to <= impl_->hashed) return;
  impl_->ec = hash_file_range(impl_->fd, impl_->hashed, to - impl_->hashed, impl_->h);
  if (!impl_->ec) impl_->hashed = to;
}

std::error_code file_hash_follower::finish(xxh3_128& out) {
  if (impl_->ec) return impl_->ec;
  out = std::move(impl_->h);
  return {};
}

}  // namespace sockit
