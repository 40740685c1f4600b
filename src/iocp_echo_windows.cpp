// The completion-based echo server (sockit/iocp_echo.hpp): AcceptEx, overlapped WSARecv/WSASend,
// one I/O completion port, on the thread that calls run().
//
// A completion names what finished in two ways, and both are checked before it is acted on:
//
//   completion key (per socket, fixed when the socket joins the port)
//     63            32 31             0
//     +---------------+---------------+
//     |   slot + 1    |  generation   |    a connection; keys 1 (stop) and 2 (the listener's
//     +---------------+---------------+    accepts) have slot 0, which no connection uses
//
//   OVERLAPPED: the `ov` member at the start of the connection or accept record.
//
// Connection records live in slots that are reused; a slot's generation grows with each
// connection it holds, so a completion left over from an earlier tenant (its key carries the old
// generation) is dropped instead of being taken for the new one's. A record is never reused or
// freed while its operation is outstanding: the kernel writes into its OVERLAPPED until the
// completion is queued, so even a closed connection waits for that completion.
#include "sockit/iocp_echo.hpp"

#include <atomic>
#include <cstring>
#include <vector>

#include "detail/net.hpp"

#include <windows.h>

namespace sockit {
namespace {

constexpr ULONG_PTR stop_key = 1;
constexpr ULONG_PTR accept_key = 2;
constexpr ULONG batch = 256;  // completions collected per GetQueuedCompletionStatusEx
// AcceptEx wants room for each address plus 16 bytes.
constexpr DWORD accept_addr_bytes = sizeof(sockaddr_storage) + 16;

ULONG_PTR connection_key(std::size_t slot, std::uint32_t generation) {
  return (static_cast<ULONG_PTR>(slot + 1) << 32) | generation;
}

std::error_code win_error(DWORD err) { return {static_cast<int>(err), winsock_category()}; }

// An operation's NTSTATUS: success (or a warning) is >= 0. The per-connection error itself is not
// reported: a reset or an abort simply ends that connection.
bool succeeded(const OVERLAPPED& ov) { return static_cast<LONG>(ov.Internal) >= 0; }
bool cancelled(const OVERLAPPED& ov) { return static_cast<DWORD>(ov.Internal) == 0xC0000120; }  // STATUS_CANCELLED

struct connection {
  OVERLAPPED ov{};  // first: a completion's lpOverlapped is this record
  socket sock;
  std::uint32_t generation = 0;
  // discard: draining, after our FIN: what the peer still sends is read and dropped until its EOF,
  // so the close does not find unread bytes (a reset, which would destroy the echo still queued).
  enum class op { none, recv, send, discard } in_flight = op::none;
  std::unique_ptr<char[]> buf;  // the connection's one buffer (null when closed)
  std::size_t have = 0;         // bytes received into buf
  std::size_t sent = 0;         // of those, echoed so far
  bool open = false;
  bool fin_sent = false;  // draining: shutdown(SD_SEND) done
  bool aborting = false;  // closed at the drain deadline with an operation still outstanding
};

struct accept_op {
  OVERLAPPED ov{};  // first, as in connection
  socket sock;      // the socket AcceptEx turns into the connection
  char addrs[2 * accept_addr_bytes];
  bool pending = false;
};

}  // namespace

struct iocp_echo_server::state {
  HANDLE port = nullptr;
  socket listener;
  int family = AF_INET;
  LPFN_ACCEPTEX accept_ex = nullptr;
  iocp_echo_options opts;

  std::vector<std::unique_ptr<connection>> slots;
  std::vector<std::size_t> free_slots;
  std::vector<std::unique_ptr<accept_op>> accepts;
  std::size_t outstanding = 0;  // operations whose completion has not been collected
  bool ran = false;
  bool draining = false;
  bool aborted = false;  // the drain deadline passed
  std::chrono::steady_clock::time_point drain_end;

  std::atomic<std::uint64_t> accepted{0}, bytes_in{0}, bytes_out{0}, closed{0};
  std::atomic<std::size_t> open_count{0};

  ~state() {
    // Nothing is outstanding once run() returned; if run() gave up waiting for the kernel, the
    // records it still writes into are leaked rather than freed under it.
    if (outstanding > 0) {
      for (auto& c : slots) (void)c.release();
      for (auto& a : accepts) (void)a.release();
    }
    if (port != nullptr) ::CloseHandle(port);
  }

  std::error_code post_accept(accept_op& a) {
    auto s = socket::open(family, SOCK_STREAM, IPPROTO_TCP);
    if (!s) return s.error();
    a.sock = std::move(*s);
    std::memset(&a.ov, 0, sizeof a.ov);
    DWORD got = 0;
    if (!accept_ex(detail::native(listener.native_handle()), detail::native(a.sock.native_handle()), a.addrs, 0,
                   accept_addr_bytes, accept_addr_bytes, &got, &a.ov)) {
      int err = ::WSAGetLastError();
      if (err != ERROR_IO_PENDING) {
        a.sock.reset();
        return win_error(static_cast<DWORD>(err));
      }
    }
    // Done at once or not, the result comes through the port (no FILE_SKIP_COMPLETION_PORT_ON_SUCCESS).
    a.pending = true;
    ++outstanding;
    return {};
  }

  void on_accept(accept_op& a) {
    a.pending = false;
    --outstanding;
    if (!succeeded(a.ov)) {
      a.sock.reset();
      // Cancelled by the drain, or a client that reset before it was taken: post again unless
      // draining (a listener that is gone fails at the call, which ends this accept slot).
      if (!draining) (void)post_accept(a);
      return;
    }
    socket s = std::move(a.sock);
    if (!draining) (void)post_accept(a);
    SOCKET ls = detail::native(listener.native_handle());
    // Without it the accepted socket has no addresses and shutdown() fails.
    ::setsockopt(detail::native(s.native_handle()), SOL_SOCKET, SO_UPDATE_ACCEPT_CONTEXT,
                 reinterpret_cast<const char*>(&ls), sizeof ls);
    ++accepted;
    if (draining) {
      s.reset();
      ++closed;
      return;
    }
    std::size_t slot;
    if (!free_slots.empty()) {
      slot = free_slots.back();
      free_slots.pop_back();
    } else {
      slot = slots.size();
      slots.push_back(std::make_unique<connection>());
    }
    connection& c = *slots[slot];
    ++c.generation;
    c.sock = std::move(s);
    c.open = true;
    c.fin_sent = false;
    c.aborting = false;
    ++open_count;
    if (::CreateIoCompletionPort(reinterpret_cast<HANDLE>(detail::native(c.sock.native_handle())), port,
                                 connection_key(slot, c.generation), 0) == nullptr) {
      close(slot);
      return;
    }
    c.buf = std::make_unique<char[]>(opts.buffer_bytes);
    post_recv(slot);
  }

  void post_recv(std::size_t slot) { post_read(slot, connection::op::recv); }

  // Draining and nothing left to echo: FIN now, then read (and drop) until the peer's EOF.
  void post_discard(std::size_t slot) {
    connection& c = *slots[slot];
    if (!c.fin_sent) {
      (void)c.sock.shutdown(shutdown_how::write);
      c.fin_sent = true;
    }
    post_read(slot, connection::op::discard);
  }

  // One overlapped WSARecv into the connection's whole buffer; `what` says what its completion means.
  void post_read(std::size_t slot, connection::op what) {
    connection& c = *slots[slot];
    c.have = c.sent = 0;
    WSABUF b{static_cast<ULONG>(opts.buffer_bytes), c.buf.get()};
    DWORD flags = 0;
    std::memset(&c.ov, 0, sizeof c.ov);
    if (::WSARecv(detail::native(c.sock.native_handle()), &b, 1, nullptr, &flags, &c.ov, nullptr) != 0 &&
        ::WSAGetLastError() != WSA_IO_PENDING) {
      close(slot);
      return;
    }
    c.in_flight = what;
    ++outstanding;
  }

  void post_send(std::size_t slot) {
    connection& c = *slots[slot];
    WSABUF b{static_cast<ULONG>(c.have - c.sent), c.buf.get() + c.sent};
    std::memset(&c.ov, 0, sizeof c.ov);
    if (::WSASend(detail::native(c.sock.native_handle()), &b, 1, nullptr, 0, &c.ov, nullptr) != 0 &&
        ::WSAGetLastError() != WSA_IO_PENDING) {
      close(slot);
      return;
    }
    c.in_flight = connection::op::send;
    ++outstanding;
  }

  void on_connection(std::size_t slot, DWORD bytes) {
    connection& c = *slots[slot];
    auto op = c.in_flight;
    c.in_flight = connection::op::none;
    --outstanding;
    if (c.aborting) {  // its socket is already closed; the record may go now
      finish_close(slot);
      return;
    }
    if (draining && op == connection::op::recv && cancelled(c.ov)) {
      post_discard(slot);  // the drain took its receive back: nothing to echo, FIN
      return;
    }
    if (!succeeded(c.ov)) {  // a reset
      close(slot);
      return;
    }
    if (op == connection::op::discard) {
      if (bytes == 0) {
        close(slot);
      } else {
        post_discard(slot);
      }
      return;
    }
    if (op == connection::op::recv) {
      if (bytes == 0) {  // the peer's FIN; all it sent was echoed before this receive was posted
        close(slot);
        return;
      }
      bytes_in += bytes;
      c.have = bytes;
      c.sent = 0;
      post_send(slot);
      return;
    }
    bytes_out += bytes;
    c.sent += bytes;
    if (c.sent < c.have) {
      post_send(slot);  // a partial send: the rest, from where it stopped
    } else if (draining) {
      post_discard(slot);
    } else {
      post_recv(slot);  // only now: one buffer, one operation per connection
    }
  }

  // With no operation outstanding: closesocket sends what the kernel holds, then FIN.
  void close(std::size_t slot) {
    connection& c = *slots[slot];
    (void)c.sock.close();
    finish_close(slot);
  }

  void finish_close(std::size_t slot) {
    connection& c = *slots[slot];
    c.buf.reset();
    c.open = false;
    c.aborting = false;
    --open_count;
    ++closed;
    free_slots.push_back(slot);
  }

  void begin_drain() {
    if (draining) return;
    draining = true;
    ::CancelIoEx(reinterpret_cast<HANDLE>(detail::native(listener.native_handle())), nullptr);
    for (auto& c : slots) {
      if (c->open && c->in_flight == connection::op::recv) {
        ::CancelIoEx(reinterpret_cast<HANDLE>(detail::native(c->sock.native_handle())), &c->ov);
      }
    }
  }

  // The drain deadline: what is left is reset (SO_LINGER 0), its operation aborted by closesocket;
  // each record is freed when that aborted operation's completion arrives.
  void abort_all() {
    aborted = true;
    ::CancelIoEx(reinterpret_cast<HANDLE>(detail::native(listener.native_handle())), nullptr);
    for (std::size_t i = 0; i < slots.size(); ++i) {
      connection& c = *slots[i];
      if (!c.open || c.aborting) continue;
      ::linger l{1, 0};
      ::setsockopt(detail::native(c.sock.native_handle()), SOL_SOCKET, SO_LINGER, reinterpret_cast<const char*>(&l), sizeof l);
      ::CancelIoEx(reinterpret_cast<HANDLE>(detail::native(c.sock.native_handle())), nullptr);
      (void)c.sock.close();
      if (c.in_flight == connection::op::none) {
        finish_close(i);
      } else {
        c.aborting = true;
      }
    }
  }

  void dispatch(const OVERLAPPED_ENTRY& e) {
    if (e.lpCompletionKey == stop_key) {
      begin_drain();
      return;
    }
    if (e.lpCompletionKey == accept_key) {
      on_accept(*reinterpret_cast<accept_op*>(e.lpOverlapped));
      return;
    }
    std::size_t slot = static_cast<std::size_t>(e.lpCompletionKey >> 32) - 1;
    auto generation = static_cast<std::uint32_t>(e.lpCompletionKey);
    if (slot >= slots.size()) return;
    connection& c = *slots[slot];
    // A completion from an earlier tenant of the slot, or for no operation we know of: not ours.
    if (c.generation != generation || &c.ov != e.lpOverlapped || c.in_flight == connection::op::none) return;
    on_connection(slot, e.dwNumberOfBytesTransferred);
  }

  result<iocp_echo_stats> run(std::chrono::milliseconds drain_timeout) {
    if (ran || !listener) return std::errc::bad_file_descriptor;
    ran = true;
    std::error_code failure;
    for (auto& a : accepts) {
      if (auto ec = post_accept(*a)) {
        failure = ec;
        break;
      }
    }
    if (failure) begin_drain();
    OVERLAPPED_ENTRY entries[batch];
    // After the deadline closed everything, aborted operations complete at once; waiting longer
    // than this for them means the kernel never will.
    std::chrono::steady_clock::time_point give_up{};
    for (;;) {
      auto now = std::chrono::steady_clock::now();
      if (draining && drain_end == std::chrono::steady_clock::time_point{}) drain_end = now + drain_timeout;
      if (draining && outstanding == 0 && open_count == 0) break;
      if (draining && !aborted && now >= drain_end) {
        abort_all();
        give_up = now + std::chrono::seconds(2);
        continue;
      }
      if (aborted && now >= give_up) break;
      DWORD wait_ms = INFINITE;
      if (draining) {
        auto until = aborted ? give_up : drain_end;
        wait_ms = static_cast<DWORD>(std::chrono::ceil<std::chrono::milliseconds>(until - now).count());
      }
      ULONG n = 0;
      if (!::GetQueuedCompletionStatusEx(port, entries, batch, &n, wait_ms, FALSE)) {
        DWORD err = ::GetLastError();
        if (err == WAIT_TIMEOUT) continue;
        if (!failure) failure = win_error(err);
        if (!aborted) {
          begin_drain();
          abort_all();
          give_up = std::chrono::steady_clock::now() + std::chrono::seconds(2);
        }
        continue;
      }
      for (ULONG i = 0; i < n; ++i) dispatch(entries[i]);
    }
    (void)listener.close();
    if (failure) return failure;
    return stats();
  }

  iocp_echo_stats stats() const noexcept { return {accepted.load(), bytes_in.load(), bytes_out.load(), closed.load()}; }
};

result<iocp_echo_server> iocp_echo_server::open(socket listener, const iocp_echo_options& opts) {
  if (!listener) return std::errc::bad_file_descriptor;
  if (opts.accepts_posted < 1 || opts.buffer_bytes < 1 || opts.buffer_bytes > 0x7fffffff) return std::errc::invalid_argument;
  auto at = listener.local_endpoint();
  if (!at) return at.error();
  auto s = std::make_unique<state>();
  s->family = at->family();
  s->opts = opts;
  SOCKET ls = detail::native(listener.native_handle());
  GUID guid = WSAID_ACCEPTEX;
  DWORD got = 0;
  if (::WSAIoctl(ls, SIO_GET_EXTENSION_FUNCTION_POINTER, &guid, sizeof guid, &s->accept_ex, sizeof s->accept_ex, &got,
                 nullptr, nullptr) != 0) {
    return std::error_code(::WSAGetLastError(), winsock_category());
  }
  s->port = ::CreateIoCompletionPort(INVALID_HANDLE_VALUE, nullptr, 0, 1);
  if (s->port == nullptr) return win_error(::GetLastError());
  if (::CreateIoCompletionPort(reinterpret_cast<HANDLE>(ls), s->port, accept_key, 0) == nullptr) {
    return win_error(::GetLastError());
  }
  s->listener = std::move(listener);
  for (int i = 0; i < opts.accepts_posted; ++i) s->accepts.push_back(std::make_unique<accept_op>());
  return iocp_echo_server(std::move(s));
}

iocp_echo_server::iocp_echo_server(std::unique_ptr<state> s) noexcept : s_(std::move(s)) {}
iocp_echo_server::iocp_echo_server(iocp_echo_server&&) noexcept = default;
iocp_echo_server& iocp_echo_server::operator=(iocp_echo_server&&) noexcept = default;
iocp_echo_server::~iocp_echo_server() = default;

result<iocp_echo_stats> iocp_echo_server::run(std::chrono::milliseconds drain_timeout) {
  return s_->run(drain_timeout);
}

void iocp_echo_server::stop() noexcept {
  if (s_ && s_->port != nullptr) ::PostQueuedCompletionStatus(s_->port, 0, stop_key, nullptr);
}

iocp_echo_stats iocp_echo_server::stats() const noexcept { return s_ ? s_->stats() : iocp_echo_stats{}; }

std::size_t iocp_echo_server::open_connections() const noexcept { return s_ ? s_->open_count.load() : 0; }

}  // namespace sockit
