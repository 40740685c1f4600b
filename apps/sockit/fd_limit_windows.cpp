// Windows has no RLIMIT_NOFILE: a process may hold about 16 million handles. The servers size
// their connection caps from this figure, so it is the one Linux gives by default (fs.nr_open),
// which keeps their memory bounded the same way on both platforms. See fd_limit.hpp.
#include "fd_limit.hpp"

namespace sockit::cli {

fd_limits raise_fd_limit(std::uint64_t wanted) {
  constexpr std::uint64_t handles = 1u << 20;
  (void)wanted;
  return {handles, handles};
}

std::uint64_t open_fd_count() { return 0; }

}  // namespace sockit::cli
