// The I/O completion port backend (engine "iocp", Windows only): readiness, not completions, so the
// loop, tcp_connection and the acceptor run on it unchanged. Each registered socket has one
// outstanding IOCTL_AFD_POLL, the request WSAPoll and select are built on inside Windows, issued with
// NtDeviceIoControlFile on one \Device\Afd handle associated with the port, and the results are
// collected in batches with GetQueuedCompletionStatusEx. The mechanism is wepoll's (BSD-2) and
// mio's; the AFD structures and constants below are declared here as they do (Windows' SDK does
// not publish them). Wine 8 implements the same ioctl, completion port included.
#include <chrono>
#include <cstdint>
#include <limits>
#include <vector>

#include "detail/net.hpp"

#include <windows.h>
#include <winternl.h>

#include "poller/poller.hpp"
#include "sockit/error.hpp"

namespace sockit::detail {
namespace {

// From wepoll's afd.h (ReactOS and Wine's afd.h name the same bits).
constexpr ULONG ioctl_afd_poll = 0x00012024;
constexpr ULONG afd_poll_receive = 0x0001;
constexpr ULONG afd_poll_receive_expedited = 0x0002;
constexpr ULONG afd_poll_send = 0x0004;
constexpr ULONG afd_poll_disconnect = 0x0008;  // the peer's FIN
constexpr ULONG afd_poll_abort = 0x0010;       // a reset
constexpr ULONG afd_poll_local_close = 0x0020;
constexpr ULONG afd_poll_accept = 0x0080;
constexpr ULONG afd_poll_connect_fail = 0x0100;

struct afd_poll_handle_info {
  HANDLE handle;
  ULONG events;
  NTSTATUS status;
};
struct afd_poll_info {
  LARGE_INTEGER timeout;
  ULONG number_of_handles;
  ULONG exclusive;
  afd_poll_handle_info handles[1];
};

constexpr NTSTATUS status_pending = 0x00000103;
constexpr NTSTATUS status_cancelled = static_cast<NTSTATUS>(0xC0000120);

// Results collected per GetQueuedCompletionStatusEx call.
constexpr ULONG batch = 256;

// ntdll's calls, looked up once (as wepoll does) rather than linked: the import library is not
// part of every toolchain's default set, and a lookup that fails is one clear error.
struct nt_calls {
  decltype(&::NtDeviceIoControlFile) device_io_control = nullptr;
  decltype(&::NtCreateFile) create_file = nullptr;
  decltype(&::RtlNtStatusToDosError) status_to_dos_error = nullptr;
};

const nt_calls& nt() {
  static const nt_calls calls = [] {
    nt_calls c;
    if (HMODULE m = ::GetModuleHandleW(L"ntdll.dll")) {
      c.device_io_control = reinterpret_cast<decltype(c.device_io_control)>(
          reinterpret_cast<void*>(::GetProcAddress(m, "NtDeviceIoControlFile")));
      c.create_file = reinterpret_cast<decltype(c.create_file)>(reinterpret_cast<void*>(::GetProcAddress(m, "NtCreateFile")));
      c.status_to_dos_error = reinterpret_cast<decltype(c.status_to_dos_error)>(
          reinterpret_cast<void*>(::GetProcAddress(m, "RtlNtStatusToDosError")));
    }
    return c;
  }();
  return calls;
}

std::error_code win_error(DWORD err) { return {static_cast<int>(err), winsock_category()}; }
std::error_code nt_error(NTSTATUS st) { return win_error(nt().status_to_dos_error(st)); }

// One registration. Its address is the poll's ApcContext, so a completion names the record, never
// a bare socket: the record carries the generation, and a record removed while its poll was
// outstanding stays allocated (retired) until the cancelled poll's completion arrives, because the
// kernel still writes into iosb and info. Only then is it freed, and that completion is dropped.
struct record {
  IO_STATUS_BLOCK iosb{};
  afd_poll_info info{};
  int fd = -1;
  HANDLE base = nullptr;  // SIO_BASE_HANDLE: AFD polls the base provider's socket, not a layered one
  std::uint32_t generation = 0;
  std::uint32_t interest = 0;  // io_readable | io_writable
  bool pending = false;        // a poll is outstanding
  bool queued = false;         // in arm_ (to be armed before the next wait)
  bool removed = false;        // retired: freed when the outstanding poll completes
  bool dead = false;           // the socket was closed under us: never armed again
};

ULONG to_afd(std::uint32_t interest) {
  // Errors are always asked for, like epoll's EPOLLERR. The peer's FIN only by a reader: it stays
  // true for good, so a registration that is not reading would fire on every re-arm.
  ULONG m = afd_poll_abort | afd_poll_connect_fail | afd_poll_local_close;
  if (interest & io_readable) m |= afd_poll_receive | afd_poll_receive_expedited | afd_poll_accept | afd_poll_disconnect;
  if (interest & io_writable) m |= afd_poll_send;
  return m;
}

std::uint32_t from_afd(ULONG ev, std::uint32_t interest) {
  std::uint32_t m = 0;
  if (ev & (afd_poll_receive | afd_poll_receive_expedited | afd_poll_accept | afd_poll_disconnect)) m |= io_readable;
  if (ev & afd_poll_send) m |= io_writable;
  // A reset is what epoll says as EPOLLIN|EPOLLERR|EPOLLHUP, a failed connect EPOLLOUT|EPOLLERR|EPOLLHUP:
  // the watcher's next call reads the error.
  if (ev & (afd_poll_abort | afd_poll_connect_fail)) m |= io_error | io_hangup | (interest & (io_readable | io_writable));
  if (ev & afd_poll_local_close) m |= io_hangup;
  // A poll cancelled by modify() may have completed first with what the old interest asked.
  return m & (interest | io_error | io_hangup);
}

class iocp_poller final : public poller {
 public:
  iocp_poller(HANDLE port, HANDLE afd) : port_(port), afd_(afd) {}

  ~iocp_poller() override {
    // Cancel every outstanding poll and wait (bounded) for the completions, so the kernel is done
    // with each record before it is freed.
    std::size_t pending = 0;
    for (record* r : by_fd_) {
      if (r != nullptr && r->pending) ++pending;
    }
    for (record* r : retired_) {
      if (r->pending) ++pending;
    }
    if (pending > 0) ::CancelIoEx(afd_, nullptr);
    auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    OVERLAPPED_ENTRY entries[batch];
    while (pending > 0 && std::chrono::steady_clock::now() < give_up) {
      ULONG n = 0;
      if (!::GetQueuedCompletionStatusEx(port_, entries, batch, &n, 100, FALSE)) continue;
      for (ULONG i = 0; i < n; ++i) {
        if (entries[i].lpOverlapped == nullptr) continue;
        reinterpret_cast<record*>(entries[i].lpOverlapped)->pending = false;
        --pending;
      }
    }
    ::CloseHandle(afd_);
    ::CloseHandle(port_);
    if (pending > 0) return;  // leak rather than free memory the kernel may still write
    for (record* r : by_fd_) delete r;
    for (record* r : retired_) delete r;
    for (record* r : arm_) {
      if (r->removed) delete r;
    }
  }

  std::string_view name() const noexcept override { return "iocp"; }

  std::error_code add(int fd, std::uint32_t events, std::uint32_t generation) override {
    if (!is_open_socket(fd)) return std::make_error_code(std::errc::bad_file_descriptor);
    if (find(fd) != nullptr) return std::make_error_code(std::errc::file_exists);
    SOCKET base = INVALID_SOCKET;
    DWORD got = 0;
    if (::WSAIoctl(native(fd), SIO_BASE_HANDLE, nullptr, 0, &base, sizeof base, &got, nullptr, nullptr) != 0) {
      return {last_socket_error(), winsock_category()};
    }
    if (static_cast<std::size_t>(fd) >= by_fd_.size()) by_fd_.resize(static_cast<std::size_t>(fd) + 1, nullptr);
    auto* r = new record;
    r->fd = fd;
    r->base = reinterpret_cast<HANDLE>(base);
    r->generation = generation;
    r->interest = events & (io_readable | io_writable);
    by_fd_[fd] = r;
    queue(r);
    return {};
  }

  std::error_code modify(int fd, std::uint32_t events) override {
    record* r = find(fd);
    if (r == nullptr) return std::make_error_code(std::errc::no_such_file_or_directory);
    events &= io_readable | io_writable;
    if (events == r->interest) return {};
    r->interest = events;
    // The outstanding poll asks for the old set: cancel it, and the new poll is armed when the
    // cancellation completes. Waiting for the old one to fire would delay a wider interest, and
    // a narrower one would wake the loop for what nobody wants any more.
    if (r->pending) {
      cancel(r);
    } else {
      queue(r);
    }
    return {};
  }

  std::error_code remove(int fd) override {
    record* r = find(fd);
    if (r == nullptr) return std::make_error_code(std::errc::no_such_file_or_directory);
    by_fd_[fd] = nullptr;
    r->removed = true;
    if (r->pending) {
      // The caller may close the socket next; the poll must not outlive the registration.
      cancel(r);
      retired_.push_back(r);
    } else if (!r->queued) {
      delete r;
    }  // else arm() frees it
    return {};
  }

  std::error_code wait(std::vector<ready_event>& out, int timeout_ms) override {
    out.clear();
    // Completions that bring nothing to deliver (a cancellation for modify, a retired record) must
    // not end the wait early: collect again, re-armed, until something is ready or time is up.
    auto start = std::chrono::steady_clock::now();
    for (;;) {
      if (auto ec = arm()) return ec;
      if (!failed_.empty()) {
        out.swap(failed_);
        return {};
      }
      DWORD wait_ms = INFINITE;
      if (timeout_ms >= 0) {
        auto spent = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
        wait_ms = spent >= timeout_ms ? 0 : static_cast<DWORD>(timeout_ms - spent);
      }
      ULONG n = 0;
      if (!::GetQueuedCompletionStatusEx(port_, entries_, batch, &n, wait_ms, FALSE)) {
        DWORD err = ::GetLastError();
        if (err == WAIT_TIMEOUT) return {};
        return win_error(err);
      }
      for (ULONG i = 0; i < n; ++i) collect(entries_[i], out);
      if (!out.empty() || wait_ms == 0) return {};
    }
  }

 private:
  record* find(int fd) const noexcept {
    return fd >= 0 && static_cast<std::size_t>(fd) < by_fd_.size() ? by_fd_[fd] : nullptr;
  }

  void queue(record* r) {
    if (r->queued || r->pending || r->dead) return;
    r->queued = true;
    arm_.push_back(r);
  }

  void cancel(record* r) {
    // CancelIoEx takes the IO_STATUS_BLOCK as the OVERLAPPED it names (NtCancelIoFileEx). Failure
    // means the poll already completed: its completion is queued and is handled like a cancelled one.
    ::CancelIoEx(afd_, reinterpret_cast<OVERLAPPED*>(&r->iosb));
  }

  // Level triggering: every registration whose poll completed (or whose interest changed) is polled
  // again here, after the turn's callbacks ran, so AFD checks readiness anew, as epoll would.
  std::error_code arm() {
    std::error_code first;
    for (record* r : arm_) {
      r->queued = false;
      if (r->removed) {
        delete r;
        continue;
      }
      r->info.timeout.QuadPart = std::numeric_limits<LONGLONG>::max();
      r->info.number_of_handles = 1;
      r->info.exclusive = FALSE;
      r->info.handles[0] = {r->base, to_afd(r->interest), 0};
      r->iosb.Status = status_pending;
      NTSTATUS st = nt().device_io_control(afd_, nullptr, nullptr, r, &r->iosb, ioctl_afd_poll, &r->info, sizeof r->info,
                                            &r->info, sizeof r->info);
      if (st == status_pending || st >= 0) {
        r->pending = true;  // done at once or not, the result arrives through the port
        continue;
      }
      // The socket was closed under us (the owner must remove() before closing): say it once.
      r->dead = true;
      failed_.push_back({r->fd, r->generation, io_error | io_hangup});
      if (!first && st != static_cast<NTSTATUS>(0xC0000008) /* STATUS_INVALID_HANDLE */) first = nt_error(st);
    }
    arm_.clear();
    return first;
  }

  void collect(const OVERLAPPED_ENTRY& e, std::vector<ready_event>& out) {
    auto* r = reinterpret_cast<record*>(e.lpOverlapped);
    if (r == nullptr) return;
    r->pending = false;
    if (r->removed) {  // the cancelled poll of a removed registration: now nobody refers to it
      std::erase(retired_, r);
      delete r;
      return;
    }
    NTSTATUS st = r->iosb.Status;
    if (st == status_cancelled) {  // modify(): poll again with the new interest
      queue(r);
      return;
    }
    std::uint32_t m = 0;
    if (st < 0) {
      m = io_error | io_hangup;
      r->dead = true;
    } else if (r->info.number_of_handles > 0) {
      ULONG ev = r->info.handles[0].events;
      if (ev & afd_poll_local_close) r->dead = true;
      m = from_afd(ev, r->interest);
    }
    queue(r);
    if (m != 0) out.push_back({r->fd, r->generation, m});
  }

  HANDLE port_;
  HANDLE afd_;
  std::vector<record*> by_fd_;  // socket -> its live registration (owned), or null
  std::vector<record*> arm_;    // to poll before the next wait (live, or removed: freed there)
  std::vector<record*> retired_;  // removed with a poll outstanding (owned until it completes)
  std::vector<ready_event> failed_;  // polls arm() could not issue, reported at once
  OVERLAPPED_ENTRY entries_[batch];
};

}  // namespace

result<std::unique_ptr<poller>> make_iocp_poller() {
  ensure_winsock();  // SIO_BASE_HANDLE and the AFD device need Winsock up
  if (!nt().device_io_control || !nt().create_file || !nt().status_to_dos_error) return make_error_code(errc::not_supported);
  HANDLE port = ::CreateIoCompletionPort(INVALID_HANDLE_VALUE, nullptr, 0, 1);
  if (port == nullptr) return win_error(::GetLastError());
  // Any name under \Device\Afd opens a fresh AFD endpoint; it is only a handle to issue polls on.
  wchar_t path[] = L"\\Device\\Afd\\Sockit";
  UNICODE_STRING name{static_cast<USHORT>(sizeof path - sizeof(wchar_t)), static_cast<USHORT>(sizeof path), path};
  OBJECT_ATTRIBUTES attr;
  InitializeObjectAttributes(&attr, &name, OBJ_CASE_INSENSITIVE, nullptr, nullptr);
  HANDLE afd = nullptr;
  IO_STATUS_BLOCK iosb{};
  NTSTATUS st = nt().create_file(&afd, SYNCHRONIZE, &attr, &iosb, nullptr, 0, FILE_SHARE_READ | FILE_SHARE_WRITE,
                               FILE_OPEN, 0, nullptr, 0);
  if (st < 0) {
    ::CloseHandle(port);
    return nt_error(st);
  }
  if (::CreateIoCompletionPort(afd, port, 0, 0) == nullptr) {
    auto ec = win_error(::GetLastError());
    ::CloseHandle(afd);
    ::CloseHandle(port);
    return ec;
  }
  return std::unique_ptr<poller>(new iocp_poller(port, afd));
}

}  // namespace sockit::detail
