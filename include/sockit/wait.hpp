// sockit/wait.hpp: waits on a handful of descriptors at once (poll(2) of a few fds), for small
// single-purpose loops (the CLI's netcat relay, port probe, proto client) that need no event_loop.
#pragma once

#include <csignal>
#include <cstddef>
#include <span>

#include "sockit/deadline.hpp"
#include "sockit/result.hpp"

namespace sockit {

#ifdef _WIN32
using sigset_t = ::_sigset_t;  // accepted and ignored: Winsock's WSAPoll takes no signal mask
#endif

struct wait_entry {
  // What to wait for (`want`) and what happened (`ready`, set by wait_any).
  static constexpr unsigned readable = 1u << 0;
  static constexpr unsigned writable = 1u << 1;
  static constexpr unsigned error = 1u << 2;    // the next I/O call on fd reports it
  static constexpr unsigned hangup = 1u << 3;   // the peer hung up, or the pipe's writer left
  static constexpr unsigned invalid = 1u << 4;  // fd is not an open descriptor

  int fd = -1;  // negative: skipped (its ready stays 0)
  unsigned want = 0;
  unsigned ready = 0;
};

// Waits until at least one entry is ready or the deadline passes, and returns how many are ready
// (0: the deadline passed). error, hangup and invalid are reported whatever `want` says.
// A signal does not end the wait, unless `mask` is given: then the wait runs with that signal
// mask (ppoll(2)), so a signal blocked outside it can only arrive while waiting, and its arrival
// returns std::errc::interrupted for the caller to look at what its handler recorded.
result<std::size_t> wait_any(std::span<wait_entry> entries, deadline by, const sigset_t* mask = nullptr);

}  // namespace sockit
