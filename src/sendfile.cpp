// sendfile(2) through the syscall layer.
#include "sockit/sendfile.hpp"

#include <algorithm>

#include <sys/sendfile.h>

#include "detail/syscall.hpp"
#include "sockit/error.hpp"
#include "sockit/io.hpp"

namespace sockit {

namespace {
// Linux moves at most 0x7ffff000 bytes per call whatever is asked.
constexpr std::uint64_t max_per_call = 0x7ffff000;
}  // namespace

result<std::size_t> try_sendfile(const socket& s, int file_fd, std::uint64_t& offset, std::size_t count) {
  auto off = static_cast<off_t>(offset);
  auto n = detail::check_size([&] { return ::sendfile(s.native_handle(), file_fd, &off, count); });
  if (!n) return n;
  if (*n == 0 && count > 0) return errc::end_of_stream;
  offset = static_cast<std::uint64_t>(off);
  return n;
}

transfer send_file(const socket& s, int file_fd, std::uint64_t& offset, std::uint64_t count, deadline by) {
  transfer t;
  while (t.bytes < count) {
    auto chunk = static_cast<std::size_t>(std::min<std::uint64_t>(count - t.bytes, max_per_call));
    auto n = try_sendfile(s, file_fd, offset, chunk);
    if (n) {
      t.bytes += *n;
      continue;
    }
    if (n.error() != errc::would_block) {
      t.ec = n.error();
      break;
    }
    if (auto ec = wait_writable(s.native_handle(), by)) {
      t.ec = ec;
      break;
    }
  }
  return t;
}

}  // namespace sockit
