// RLIMIT_NOFILE for the CLI: one place that raises the soft limit, used by the servers (to the
// hard limit at start, as Go's runtime and nginx's worker_rlimit_nofile do, so a stock soft limit
// of 1024 does not cap connections) and by bench (to what its connections need). Internal.
#pragma once

#include <cstdint>

namespace sockit::cli {

struct fd_limits {
  std::uint64_t soft = 0;  // in force after the call
  std::uint64_t hard = 0;
};

// Raises the soft limit to `wanted` (0: to the hard limit). Only root (CAP_SYS_RESOURCE) may also
// raise the hard limit; for everyone else the soft limit stops at the hard one. Never lowers.
// Harmless for the select engine: it refuses descriptors >= FD_SETSIZE on its own.
fd_limits raise_fd_limit(std::uint64_t wanted = 0);

// The descriptors this process holds now (inherited ones included), from /proc/self/fd; 0 where
// that cannot be read, and on Windows.
std::uint64_t open_fd_count();

}  // namespace sockit::cli
