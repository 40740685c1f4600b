// The files `sockit send` reads, on Windows (see source_file.hpp): the C runtime's _open in
// binary mode, not inherited by children, and _fstat64 for sizes past 2 GiB. Windows has no Unix
// mode: the header carries what the C runtime's _fstat64 reports of a descriptor (0666, or 0444
// for a read-only file), and the C runtime's errno is reported, as open(2)'s would be.
#include "source_file.hpp"

#include <cerrno>

#include <fcntl.h>
#include <io.h>
#include <sys/stat.h>

namespace sockit::cli {

result<int> open_source(const std::string& path) {
  int fd = ::_open(path.c_str(), _O_RDONLY | _O_BINARY | _O_NOINHERIT);
  if (fd < 0) return std::error_code(errno, std::generic_category());
  return fd;
}

result<source_info> stat_source(int fd) {
  struct _stat64 st {};
  if (::_fstat64(fd, &st) != 0) return std::error_code(errno, std::generic_category());
  return source_info{static_cast<std::uint64_t>(st.st_size), static_cast<std::uint32_t>(st.st_mode & 07777),
                     (st.st_mode & _S_IFMT) == _S_IFREG};
}

void close_source(int fd) noexcept { ::_close(fd); }

std::string source_base_name(const std::string& path) {
  std::string p = path;
  auto separator = [](char c) { return c == '/' || c == '\\'; };
  while (p.size() > 1 && separator(p.back())) p.pop_back();
  auto cut = p.find_last_of("/\\:");
  return cut == std::string::npos ? p : p.substr(cut + 1);
}

}  // namespace sockit::cli
