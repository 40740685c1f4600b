// Stdin on Windows (see stdin_port.hpp): a console or pipe handle cannot be in a WSAPoll set, so
// on first use a thread reads stdin with blocking _read calls and sends what it gets into one end
// of a loopback TCP connection; the loops wait on and read the other end. Stdin's end (or a read
// error) becomes a half-close, seen as EOF. The copy is bounded by the connection's buffers: when
// the loop stops reading, the thread's send blocks, and stdin is read no further than needed.
// The thread never ends before stdin does; the process's exit ends it.
#include "stdin_port.hpp"

#include <io.h>

#include <mutex>
#include <thread>
#include <vector>

#include "sockit/error.hpp"
#include "sockit/io.hpp"
#include "sockit/tcp.hpp"

namespace sockit::cli {

namespace {

socket reader;  // the loops' end

void copy_stdin(socket writer) {
  std::vector<char> buf(64 * 1024);
  for (;;) {
    int n = ::_read(0, buf.data(), static_cast<unsigned>(buf.size()));
    if (n <= 0) break;  // end of stdin, or it is closed or cannot be read: an end all the same
    if (send_all(writer, std::as_bytes(std::span(buf.data(), static_cast<std::size_t>(n)))).ec) return;
  }
  (void)writer.shutdown(shutdown_how::write);
  // `writer` closes on return: after the FIN, so the reader sees EOF, not a reset.
}

void start() {
  auto listener = tcp_listen(endpoint::loopback_v4(0));
  if (!listener) return;
  auto at = listener->local_endpoint();
  if (!at) return;
  auto writer = tcp_connect(*at, deadline::after_seconds(5));
  if (!writer) return;
  auto accepted = tcp_accept(*listener);
  if (!accepted) return;
  reader = std::move(*accepted);
  std::thread(copy_stdin, std::move(*writer)).detach();
}

void ensure_started() {
  static std::once_flag once;
  std::call_once(once, start);
}

}  // namespace

int stdin_wait_fd() {
  ensure_started();
  return reader.is_open() ? reader.native_handle() : -1;
}

result<std::size_t> read_stdin(std::span<std::byte> into) {
  ensure_started();
  if (!reader.is_open()) return errc::end_of_stream;
  return try_recv(reader, into);
}

}  // namespace sockit::cli
