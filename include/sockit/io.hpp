// sockit/io.hpp: blocking I/O that never lies. Partial transfers are looped, EINTR retried, EAGAIN
// waited out up to a deadline, SIGPIPE never raised (MSG_NOSIGNAL); transfers report the bytes that
// moved together with the error that stopped them. Works on blocking and non-blocking sockets.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

#include "sockit/deadline.hpp"
#include "sockit/result.hpp"
#include "sockit/socket.hpp"

namespace sockit {

// Sends every byte or says why not, and how many went.
transfer send_all(const socket& s, std::span<const std::byte> data, deadline by = {});
transfer send_all(const socket& s, std::string_view text, deadline by = {});

// Receives exactly data.size() bytes. An orderly close before that yields errc::end_of_stream
// with bytes = what arrived.
transfer recv_exact(const socket& s, std::span<std::byte> data, deadline by = {});

// One send/recv of at least one byte. recv_some reports an orderly close as errc::end_of_stream,
// never as 0 bytes (on a datagram socket 0 bytes is an empty datagram); a deadline that passes
// gives std::errc::timed_out.
result<std::size_t> send_some(const socket& s, std::span<const std::byte> data, deadline by = {});
result<std::size_t> recv_some(const socket& s, std::span<std::byte> data, deadline by = {});

// The non-blocking calls: one send/recv that never waits. Nothing to do now is
// errc::would_block (on a blocking socket too: MSG_DONTWAIT), a signal is retried, and try_recv
// on a stream socket reports an orderly close as errc::end_of_stream, never as 0 bytes (on a
// datagram socket, 0 bytes is an empty datagram).
result<std::size_t> try_send(const socket& s, std::span<const std::byte> data);
result<std::size_t> try_recv(const socket& s, std::span<std::byte> data);

// The same for any descriptor (stdin, a pipe): one read(2), errc::end_of_stream at end of file,
// errc::would_block when a non-blocking descriptor has nothing.
result<std::size_t> try_read(int fd, std::span<std::byte> data);
// Writes all of data to any descriptor (stdout, a pipe) with write(2), looping over partial
// writes; it waits only as the descriptor's own blocking mode makes it.
transfer write_all(int fd, std::span<const std::byte> data);
// One write(2) of what fd takes now (blocking as its mode makes it). Unlike write_all, a signal
// that interrupts it before anything is written is not retried but reported,
// std::errc::interrupted, for a caller that must look at what its handler recorded.
result<std::size_t> write_once(int fd, std::span<const std::byte> data);

// Waits until fd is readable / writable (or in error, which the next call will report); a
// negative fd is std::errc::bad_file_descriptor at once.
std::error_code wait_readable(int fd, deadline by);
std::error_code wait_writable(int fd, deadline by);

inline std::span<const std::byte> as_bytes(std::string_view s) noexcept {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

}  // namespace sockit
