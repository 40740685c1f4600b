// One direction of a relayed connection on Windows: no splice, so the copy path is overlapped
// I/O, and the timed path (impairments) is relay_flow_timed.cpp's, on readiness.
//
//   src --WSARecv--> [chunk 0 | chunk 1] --WSASend--> dst
//
// At most one WSARecv and one WSASend are in flight per direction, into and out of two chunks
// taken in turn (a two-slot ring), so a receive fills one chunk while the other is being sent.
// Backpressure: a receive is posted only into an empty chunk, so when dst takes nothing both
// chunks stay full, no receive is pending, and TCP stops src: memory is bounded at two chunks.
//
// Completions arrive on one completion port shared by the process, whose thread hands each to the
// flow's loop (event_loop::post), where the flow books it and asks its owner to pump again. The
// chunks and OVERLAPPEDs live in a shared record that each in-flight operation keeps alive, so a
// flow destroyed mid-operation (the connection ended) cancels it and the record goes with the
// completion, never before the kernel is done writing into it.
#include "relay_flow.hpp"

#include <algorithm>
#include <cstring>
#include <mutex>
#include <thread>

#include <spdlog/spdlog.h>

#include "sockit/error.hpp"
#include "sockit/io.hpp"
#include "sockit/options.hpp"
#include "sys_socket.hpp"

#include <windows.h>

namespace sockit::cli {

namespace {

constexpr int max_rounds = 16;  // per wake-up, as tcp_connection caps its reads
constexpr std::size_t chunk_size = flow_copy_buffer / 2;  // two chunks: the copy path's 256 KiB

SOCKET native(const socket& s) { return static_cast<SOCKET>(s.native_handle()); }

void complete_on_loop(OVERLAPPED* ov, bool ok, DWORD bytes);

// The process's completion port and the thread that empties it, made on first use. The thread
// blocks in GetQueuedCompletionStatus for the life of the process (it is detached: ExitProcess
// ends it), so nothing ever waits for it.
HANDLE completion_port() {
  static HANDLE port = [] {
    HANDLE p = ::CreateIoCompletionPort(INVALID_HANDLE_VALUE, nullptr, 0, 1);
    if (p) {
      std::thread([p] {
        for (;;) {
          DWORD bytes = 0;
          ULONG_PTR key = 0;
          OVERLAPPED* ov = nullptr;
          BOOL ok = ::GetQueuedCompletionStatus(p, &bytes, &key, &ov, INFINITE);
          if (ov) complete_on_loop(ov, ok != FALSE, bytes);
          else if (!ok) return;  // the port itself failed
        }
      }).detach();
    }
    return p;
  }();
  return port;
}

}  // namespace

// What a flow shares with its operations in flight (see the top of the file).
struct overlapped_copy {
  struct op {
    OVERLAPPED ov{};  // first: the completion's OVERLAPPED* is the op
    overlapped_copy* owner = nullptr;
    bool send = false;
    bool busy = false;  // in flight, as the loop's thread knows it (cleared by the completion's task)
    // Set before the call, taken by the completion thread: the record outlives the flow while
    // the kernel may still write into it.
    std::shared_ptr<overlapped_copy> hold;
  };
  struct chunk {
    std::unique_ptr<std::byte[]> bytes;  // allocated when first received into, freed when sent
    std::size_t len = 0;   // bytes received into it; 0: empty
    std::size_t sent = 0;  // of len, delivered
  };

  std::mutex m;               // guards loop against the completion thread
  event_loop* loop = nullptr;  // null once the flow is gone
  relay_flow* flow = nullptr;  // the loop's thread only
  op recv, send;
  chunk chunks[2];
  int fill = 0, drain = 0;  // the next chunk to receive into, to send from

  // Completion thread: hand the completion to the loop, or drop the record's hold if the flow
  // has gone (the loop may be gone too by then).
  void completed(op& o, bool ok, DWORD bytes) {
    std::shared_ptr<overlapped_copy> hold;
    {
      std::lock_guard lock(m);
      hold = std::move(o.hold);
      if (loop) {
        loop->post([hold, &o, ok, bytes] {
          if (auto* f = hold->flow) f->on_completion(o.send, ok, bytes);
        });
      }
    }
  }  // `hold` may free the record here: after the lock is released
};

namespace {
void complete_on_loop(OVERLAPPED* ov, bool ok, DWORD bytes) {
  auto* o = reinterpret_cast<overlapped_copy::op*>(ov);
  o->owner->completed(*o, ok, bytes);
}
}  // namespace

relay_flow::relay_flow(const socket& src, const socket& dst, const flow_options& o)
    : src_(src), dst_(dst), path_(path::copy), opts_(o), pipe_size_(o.pipe_size) {
  if (o.impair && o.impair->active()) {
    path_ = path::timed;
    queue_ = std::make_unique<timed_queue>();
    impair_ = std::make_unique<impairment>(*o.impair, o.seed);
    pacer_ = std::make_unique<pacer>(o.impair->rate);
  }
}

relay_flow::~relay_flow() {
  if (!ov_) return;
  {
    std::lock_guard lock(ov_->m);
    ov_->loop = nullptr;
    ov_->flow = nullptr;
  }
  // What is in flight is cancelled; its completion releases the record. The sockets are still
  // open here (the connection closes them after its flows are gone).
  // (One whose completion is already on its way finds nothing to cancel: ERROR_NOT_FOUND.)
  if (ov_->recv.busy) ::CancelIoEx(reinterpret_cast<HANDLE>(native(src_)), &ov_->recv.ov);
  if (ov_->send.busy) ::CancelIoEx(reinterpret_cast<HANDLE>(native(dst_)), &ov_->send.ov);
}

bool relay_flow::self_driven() const noexcept { return path_ == path::copy; }

void relay_flow::start() {
  if (path_ != path::copy) return;
  HANDLE port = completion_port();
  if (!port || !opts_.loop) {
    failed_ = std::error_code(static_cast<int>(::GetLastError()), std::system_category());
    return;
  }
  // Each socket joins the port once; the second flow finds it there already (its refusal,
  // ERROR_INVALID_PARAMETER, is that). Overlapped calls ignore the non-blocking mode, but the
  // sockets are made blocking anyway, as the completion echo's are: nothing else reads them.
  for (const socket* s : {&src_, &dst_}) {
    if (!::CreateIoCompletionPort(reinterpret_cast<HANDLE>(native(*s)), port, 0, 0) &&
        ::GetLastError() != ERROR_INVALID_PARAMETER) {
      failed_ = std::error_code(static_cast<int>(::GetLastError()), std::system_category());
      return;
    }
    (void)set_nonblocking(*s, false);
  }
  ov_ = std::make_shared<overlapped_copy>();
  ov_->loop = opts_.loop;
  ov_->flow = this;
  ov_->recv.owner = ov_->send.owner = ov_.get();
  ov_->send.send = true;
}

std::size_t relay_flow::held() const noexcept {
  if (path_ == path::timed) return queue_->bytes();
  if (!ov_) return 0;
  std::size_t n = 0;
  for (const auto& c : ov_->chunks) n += c.len - c.sent;
  return n;
}

bool relay_flow::wants_read() const noexcept {
  if (src_eof_ || stop_reading_) return false;
  return path_ == path::timed && queue_->bytes() < flow_queue_limit;
}

bool relay_flow::wants_write() const noexcept { return path_ == path::timed && blocked_ && !queue_->empty(); }

std::optional<relay_flow::clock::time_point> relay_flow::wake_at() const noexcept {
  if (path_ != path::timed || queue_->empty() || blocked_) return std::nullopt;
  return std::max(queue_->head_due(), pacer_->limited() ? pacer_->next() : clock::time_point{});
}

std::error_code relay_flow::pump(clock::time_point now) {
  if (failed_) return failed_;
  if (path_ == path::copy) {
    if (!ov_) return {};
    auto& s = *ov_;
    auto& in = s.chunks[s.fill];
    if (!src_eof_ && !stop_reading_ && !s.recv.busy && in.len == 0) {
      if (!in.bytes) in.bytes.reset(new std::byte[chunk_size]);
      WSABUF b{static_cast<ULONG>(chunk_size), reinterpret_cast<char*>(in.bytes.get())};
      DWORD flags = 0;
      s.recv.ov = OVERLAPPED{};
      s.recv.hold = ov_;
      s.recv.busy = true;
      if (::WSARecv(native(src_), &b, 1, nullptr, &flags, &s.recv.ov, nullptr) != 0 &&
          ::WSAGetLastError() != WSA_IO_PENDING) {
        int err = ::WSAGetLastError();
        s.recv.hold.reset();  // failed at once: no completion will come
        s.recv.busy = false;
        return std::error_code(err, winsock_category());
      }
    }
    auto& out = s.chunks[s.drain];
    if (!s.send.busy && out.sent < out.len) {
      WSABUF b{static_cast<ULONG>(out.len - out.sent), reinterpret_cast<char*>(out.bytes.get() + out.sent)};
      s.send.ov = OVERLAPPED{};
      s.send.hold = ov_;
      s.send.busy = true;
      if (::WSASend(native(dst_), &b, 1, nullptr, 0, &s.send.ov, nullptr) != 0 &&
          ::WSAGetLastError() != WSA_IO_PENDING) {
        int err = ::WSAGetLastError();
        s.send.hold.reset();
        s.send.busy = false;
        return std::error_code(err, winsock_category());
      }
    }
  } else {
    for (int round = 0; round < max_rounds; ++round) {
      bool moved = false;
      if (auto ec = read_some(now, moved)) return ec;
      if (auto ec = write_some(now, moved)) return ec;
      if (!moved) break;
    }
  }
  const bool idle = !ov_ || (!ov_->send.busy && !ov_->recv.busy);
  if (src_eof_ && held() == 0 && idle && !shut_) {
    shut_ = true;
    auto ec = dst_.shutdown(shutdown_how::write);
    if (ec && ec != std::errc::not_connected) return ec;
  }
  return {};
}

// On the loop's thread, for a completion of this flow's operation.
void relay_flow::on_completion(bool send, bool ok, unsigned long bytes) {
  auto& s = *ov_;
  auto& o = send ? s.send : s.recv;
  o.busy = false;
  if (!ok) {
    DWORD n = 0, flags = 0;
    ::WSAGetOverlappedResult(native(send ? dst_ : src_), &o.ov, &n, FALSE, &flags);
    int err = ::WSAGetLastError();
    failed_ = std::error_code(err ? err : WSAECONNRESET, winsock_category());
  } else if (send) {
    auto& c = s.chunks[s.drain];
    c.sent += bytes;
    out_ += bytes;
    if (c.sent == c.len) {  // all of it gone: the chunk is free (and its memory too)
      c.len = c.sent = 0;
      c.bytes.reset();
      s.drain ^= 1;
    }
  } else if (bytes == 0) {
    src_eof_ = true;
  } else {
    s.chunks[s.fill].len = bytes;
    in_ += bytes;
    s.fill ^= 1;
  }
  // Last: the owner's pump may end the connection and destroy this flow.
  if (opts_.on_progress) opts_.on_progress();
}

// The timed path (relay_flow_timed.cpp), on readiness: the copy path is driven by completions.
std::error_code relay_flow::read_some(clock::time_point now, bool& moved) {
  if (src_eof_ || stop_reading_) return {};
  return read_timed(now, moved);
}

std::error_code relay_flow::write_some(clock::time_point now, bool& moved) { return write_timed(now, moved); }

}  // namespace sockit::cli
