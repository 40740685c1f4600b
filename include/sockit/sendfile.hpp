// sockit/sendfile.hpp: a file's bytes into a socket with sendfile(2), which copies from the page
// cache in the kernel without passing through user space (public).
#pragma once

#include <cstddef>
#include <cstdint>

#include "sockit/deadline.hpp"
#include "sockit/result.hpp"
#include "sockit/socket.hpp"

namespace sockit {

// One sendfile(2) of up to `count` bytes from `file_fd` at `offset`, which advances by what was
// sent. A signal is retried; on a non-blocking socket with a full send buffer the result is
// errc::would_block (on a blocking socket the call waits, as send(2) would). A file that ends
// before `count` gives errc::end_of_stream when nothing could be sent.
// On Windows it is TransmitFile, at most 256 KiB a call: a chunk the peer has not taken within
// 200 ms stays in flight and the call returns errc::would_block; the next call with the same
// socket, file and offset collects it (a call with others cancels it first).
result<std::size_t> try_sendfile(const socket& s, int file_fd, std::uint64_t& offset, std::size_t count);

// Sends `count` bytes of the file from `offset` (advanced as bytes go), waiting for room up to
// the deadline. The socket should be non-blocking for the deadline to hold (a blocking sendfile
// waits inside the kernel); SIGPIPE is not raised only if the caller ignores it, as sendfile has
// no MSG_NOSIGNAL. Reports the bytes sent with the error that stopped it.
transfer send_file(const socket& s, int file_fd, std::uint64_t& offset, std::uint64_t count, deadline by = {});

}  // namespace sockit
