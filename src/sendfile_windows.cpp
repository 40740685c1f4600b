// The body of `sockit send` on Windows: TransmitFile (mswsock), the Winsock call that sends a
// file's bytes from the system cache without copying them through user space, as sendfile(2)
// does on Linux. One call moves one chunk at an offset given in the OVERLAPPED and waits for it
// a bounded time, so the caller regains control between chunks (progress, Ctrl+C, the idle
// limit, the receiver's messages) even when the peer stops taking bytes.
#include "sockit/sendfile.hpp"

#include <algorithm>

#include <io.h>

#include "detail/net.hpp"
#include "detail/win_file.hpp"
#include "sockit/error.hpp"
#include "sockit/io.hpp"
#include "sockit/wait.hpp"

namespace sockit {

namespace {

// At most this much per call: enough that the per-call cost (a poll, the call, a completion)
// stays small against the bytes moved, small enough that the progress bar moves.
constexpr DWORD max_per_call = 256 * 1024;
// How long one call waits for its chunk to go. A chunk can wait on the peer (a writable socket
// need not have room for all of it); past this the call returns would_block and leaves the chunk
// in flight, so the caller's loop keeps looking at Ctrl+C and its idle limit.
constexpr DWORD completion_slice_ms = 200;

// The one TransmitFile a thread may have in flight, with its OVERLAPPED and event, which must
// outlive the call that started it. A call with the same socket, file and offset collects it.
struct in_flight {
  HANDLE event = ::CreateEventW(nullptr, TRUE, FALSE, nullptr);
  OVERLAPPED ov{};
  SOCKET sock = INVALID_SOCKET;
  HANDLE file = INVALID_HANDLE_VALUE;
  std::uint64_t offset = 0;
  bool active = false;
  ~in_flight() {
    if (event != nullptr) ::CloseHandle(event);
  }
  // A chunk whose caller gave up on it (the connection failed, or another file comes): cancelled,
  // and waited for, so the kernel is done with `ov` before it is reused. A closed socket's
  // operations end at its close.
  void abandon() noexcept {
    ::CancelIoEx(reinterpret_cast<HANDLE>(sock), &ov);
    ::WaitForSingleObject(event, 5000);
    active = false;
  }
};

}  // namespace

result<std::size_t> try_sendfile(const socket& s, int file_fd, std::uint64_t& offset, std::size_t count) {
  if (count == 0) return std::size_t{0};
  auto file = reinterpret_cast<HANDLE>(::_get_osfhandle(file_fd));
  if (file == INVALID_HANDLE_VALUE) return std::make_error_code(std::errc::bad_file_descriptor);
  static thread_local in_flight op;
  if (op.event == nullptr) return detail::last_file_error();
  SOCKET sock = detail::native(s.native_handle());
  if (op.active && (op.sock != sock || op.file != file || op.offset != offset)) op.abandon();
  if (!op.active) {
    if (auto ec = detail::would_wait(s.native_handle(), wait_entry::writable)) return ec;
    auto want = static_cast<DWORD>(std::min<std::uint64_t>(count, max_per_call));
    ::ResetEvent(op.event);
    op.ov = OVERLAPPED{};
    op.ov.Offset = static_cast<DWORD>(offset & 0xffffffffu);
    op.ov.OffsetHigh = static_cast<DWORD>(offset >> 32);
    op.ov.hEvent = op.event;
    // Sockets are made overlapped (socket() sets WSA_FLAG_OVERLAPPED), and an overlapped
    // TransmitFile is what takes the offset; on a non-blocking socket it pends all the same.
    if (!::TransmitFile(sock, file, want, 0, &op.ov, nullptr, 0)) {
      int err = ::WSAGetLastError();
      if (err != WSA_IO_PENDING && err != ERROR_IO_PENDING) {
        if (err == WSAEWOULDBLOCK) return make_error_code(errc::would_block);
        return std::error_code(err, winsock_category());
      }
    }
    op.sock = sock;
    op.file = file;
    op.offset = offset;
    op.active = true;
  }
  if (::WaitForSingleObject(op.event, completion_slice_ms) == WAIT_TIMEOUT) return make_error_code(errc::would_block);
  op.active = false;
  DWORD sent = 0;
  DWORD flags = 0;
  if (!::WSAGetOverlappedResult(sock, &op.ov, &sent, FALSE, &flags)) {
    return std::error_code(::WSAGetLastError(), winsock_category());
  }
  if (sent == 0) return errc::end_of_stream;  // the file ends before `offset`
  offset += sent;
  return static_cast<std::size_t>(sent);
}

transfer send_file(const socket& s, int file_fd, std::uint64_t& offset, std::uint64_t count, deadline by) {
  transfer t;
  while (t.bytes < count) {
    auto n = try_sendfile(s, file_fd, offset, static_cast<std::size_t>(std::min<std::uint64_t>(count - t.bytes, max_per_call)));
    if (n) {
      t.bytes += *n;
      continue;
    }
    if (n.error() != errc::would_block) {
      t.ec = n.error();
      break;
    }
    if (by.expired()) {  // a chunk still in flight keeps the socket writable: the deadline is ours to check
      t.ec = std::make_error_code(std::errc::timed_out);
      break;
    }
    if (auto ec = wait_writable(s.native_handle(), by)) {
      t.ec = ec;
      break;
    }
  }
  return t;
}

}  // namespace sockit
