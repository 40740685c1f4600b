// The files `sockit send` reads, on Linux (see source_file.hpp).
#include "source_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sockit/error.hpp"

namespace sockit::cli {

result<int> open_source(const std::string& path) {
  // O_NONBLOCK: opening a FIFO would otherwise wait for a writer, before stat_source can say it is
  // not a regular file. Taken off again; it means nothing to a regular file's reads anyway.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) return last_error();
  if (int fl = ::fcntl(fd, F_GETFL); fl >= 0) (void)::fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
  return fd;
}

result<source_info> stat_source(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return last_error();
  source_info info{static_cast<std::uint64_t>(st.st_size), static_cast<std::uint32_t>(st.st_mode & 07777),
                    S_ISREG(st.st_mode)};
  if (info.regular && info.size == 0) {
    char probe;
    info.size_unknown = ::pread(fd, &probe, 1, 0) == 1;
  }
  return info;
}

void close_source(int fd) noexcept { ::close(fd); }

std::string source_base_name(const std::string& path) {
  std::string p = path;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  auto slash = p.rfind('/');
  return slash == std::string::npos ? p : p.substr(slash + 1);
}

}  // namespace sockit::cli
