// Raising RLIMIT_NOFILE: see fd_limit.hpp.
#include "fd_limit.hpp"

#include <dirent.h>
#include <sys/resource.h>

#include <fstream>

namespace sockit::cli {

fd_limits raise_fd_limit(std::uint64_t wanted) {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0) return {};
  auto as_u64 = [](rlim_t v) { return v == RLIM_INFINITY ? UINT64_MAX : static_cast<std::uint64_t>(v); };
  if (wanted == 0) wanted = as_u64(rl.rlim_max);
  // An unlimited hard limit still stops at fs.nr_open: asking for more fails outright.
  std::uint64_t nr_open = 0;
  if (wanted == UINT64_MAX && (std::ifstream("/proc/sys/fs/nr_open") >> nr_open) && nr_open > 0) wanted = nr_open;
  if (as_u64(rl.rlim_cur) < wanted) {
    rlimit want = rl;
    want.rlim_cur = static_cast<rlim_t>(wanted);
    if (as_u64(want.rlim_max) < wanted) want.rlim_max = want.rlim_cur;
    // Raising the hard limit fails with EPERM without CAP_SYS_RESOURCE: then go as far as it allows.
    if (::setrlimit(RLIMIT_NOFILE, &want) != 0) {
      rl.rlim_cur = rl.rlim_max;
      (void)::setrlimit(RLIMIT_NOFILE, &rl);
    }
    (void)::getrlimit(RLIMIT_NOFILE, &rl);
  }
  return {as_u64(rl.rlim_cur), as_u64(rl.rlim_max)};
}

std::uint64_t open_fd_count() {
  DIR* d = ::opendir("/proc/self/fd");
  if (d == nullptr) return 0;
  std::uint64_t n = 0;
  while (auto* e = ::readdir(d)) {
    if (e->d_name[0] != '.') ++n;
  }
  ::closedir(d);
  return n > 0 ? n - 1 : 0;  // the directory's own descriptor
}

}  // namespace sockit::cli
