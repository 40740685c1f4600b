// Stdin for the loops that wait on it beside sockets (connect, listen, udp, proto call): a
// descriptor their wait (poll(2), WSAPoll, the event loop) accepts, and a read that never waits.
// Linux: stdin itself. Windows: WSAPoll and select take sockets only, so a thread copies stdin
// into a loopback TCP connection and the loops wait on, and read, its far end.
#pragma once

#include <cstddef>
#include <span>

#include "sockit/result.hpp"

namespace sockit::cli {

// The descriptor to wait on for stdin's bytes (readable at EOF too); -1 if it cannot be made.
int stdin_wait_fd();

// What stdin has now, without waiting: errc::would_block when nothing, errc::end_of_stream at
// its end (or once it is closed), another error when it cannot be read.
result<std::size_t> read_stdin(std::span<std::byte> into);

}  // namespace sockit::cli
