// sockit/io_event.hpp: public. The readiness mask an event loop hands to a watcher's callback,
// the same whichever backend found it (each folds its native flags into these bits).
#pragma once

#include <cstdint>

namespace sockit {

enum io_event : std::uint32_t {
  io_readable = 1u << 0,
  io_writable = 1u << 1,
  io_error = 1u << 2,   // EPOLLERR and friends: the next I/O call reports the error
  io_hangup = 1u << 3,  // the peer hung up (both directions) or the fd is dead
};

}  // namespace sockit
