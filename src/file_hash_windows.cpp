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
      ec = detail::last_file_error();  // ERROR_HANDLE_EOF: the file shrank
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
