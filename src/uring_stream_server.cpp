// The completion server on io_uring (sockit/uring_stream_server.hpp).
//
// One thread owns the ring (SINGLE_ISSUER | DEFER_TASKRUN when the kernel takes them: completions
// are then run in the thread's own io_uring_enter, in batches, with no cross-CPU wake-ups). Every
// connection lives in the ring's file table: the accept (multishot for the echo, one at a time with
// the peer's address for sessions) installs it there and answers with its index (its "slot");
// receive, send, shutdown and close name that index, so the kernel
// never looks a descriptor up per operation (the `fget` that dominated an earlier attempt's
// profile at 10k connections). Echoing, received bytes stay in the provided buffer they landed in
// until their echo is sent from it; the buffer then goes back to the pool.
//
// A connection has at most one send in flight (stream order, and a short send resumes where it
// stopped) and one receive armed. Echoing, what it received and has not sent yet is its list of
// pieces. With sessions, received bytes go to the connection's session at once and their buffer
// back to the pool; the replies wait in two buffers of the connection's own: one being sent (left
// untouched while the kernel reads it) and one the session appends to, swapped when the first is
// sent.
#include "sockit/uring_stream_server.hpp"

#include <liburing.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <deque>
#include <vector>

#include "detail/uring_buffers.hpp"
#include "detail/uring_ring.hpp"

namespace sockit {
namespace {

enum class op : std::uint8_t {
  accept = 1, shed, shed_close, recv, recv_own, send, shutdown, discard, close, cancel, wake, retry
};

// What the listener has in flight. A full file table (the connections RLIMIT_NOFILE allows)
// ends the accept (a multishot one too); the connections after it are accepted into the one slot kept out of
// the table's allocation and closed at once (shed, counted as dropped, as the readiness servers
// shed at EMFILE) until a connection closes, so they are told at once instead of waiting in the
// backlog.
enum class acceptor : std::uint8_t { idle, armed, shedding, shed_closing, waiting };

// user_data: detail::op_tag (the slot's generation in it drops stale completions).
constexpr std::uint64_t tag(op o, std::uint32_t slot = 0, std::uint32_t gen = 0) noexcept {
  return detail::op_tag(o, slot, gen);
}
constexpr op tag_op(std::uint64_t t) noexcept { return detail::tag_op<op>(t); }
using detail::tag_gen;
using detail::tag_slot;

constexpr std::uint32_t own_buffer = ~std::uint32_t{0};  // a piece in the connection's own buffer
constexpr unsigned max_iov = 16;                          // pieces gathered into one sendmsg
constexpr unsigned short pool_group = 0;

struct piece {
  std::uint32_t bid;  // provided buffer id, or own_buffer
  std::uint32_t off;
  std::uint32_t len;
};

struct conn {
  std::uint32_t gen = 0;
  bool open = false;
  bool recv_armed = false;   // a receive (multishot, own, or the drain's discard) is in flight
  bool cancel_sent = false;  // and its cancel
  bool send_inflight = false;
  bool read_ended = false;   // the peer's EOF
  bool failed = false;       // an error: close without echoing the rest
  bool own_mode = false;     // the pool was empty: one receive or one send at a time, own buffer
  bool shut = false;         // draining: shut for writing, reading to the peer's close
  bool closing = false;      // no new operations; close once none is in flight
  bool close_sent = false;
  bool finishing = false;    // its session finished: input is discarded, the replies leave, then FIN
  bool held = false;         // input waits in `carry` unanswered: the output was over hold_bytes
  bool slow = false;         // was held once: one receive at a time from then on (see arm_recv)
  std::error_code error;     // why it closes, for the session
  std::uint64_t recv_tag = 0;
  std::vector<piece> pending;  // received, not yet sent; pending[head..] in stream order
  std::size_t head = 0;
  std::size_t pending_bytes = 0;
  std::unique_ptr<std::byte[]> own;
  std::unique_ptr<stream_session> session;
  buffer carry;    // received, not yet consumed by the session
  buffer sending;  // replies in the send in flight (or its unsent rest)
  buffer queued;   // replies after those
  iovec iov[max_iov]{};
  msghdr msg{};

  void reset() noexcept {
    std::uint32_t g = gen;
    std::vector<piece> keep = std::move(pending);
    keep.clear();
    *this = conn();
    gen = g;
    pending = std::move(keep);
  }
};

// One writer (the serving thread), readers anywhere: a plain load and store, no locked add.
void bump(std::atomic<std::uint64_t>& a, std::uint64_t n) noexcept {
  a.store(a.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}

}  // namespace

struct uring_stream_server::state {
  socket listener;
  uring_stream_options opts;
  detail::ring_waker waker;
  std::atomic<bool> stop_requested{false};
  bool ran = false;
  std::atomic<std::uint64_t> accepted{0}, bytes_in{0}, bytes_out{0}, closed{0}, dropped{0};
  std::atomic<std::size_t> open_count{0};
  bool sessions = false;  // opts.sessions is set: not an echo

  // Serving state: run()'s thread only.
  io_uring ring{};
  bool ring_open = false;
  detail::uring_buffers pool;
  std::unique_ptr<std::byte[]> discard_buf;  // the drain's reads land here, never looked at
  std::vector<std::unique_ptr<conn>> conns;
  acceptor accepting = acceptor::idle;
  bool table_full = false;
  std::uint32_t shed_slot = ~std::uint32_t{0};  // none: this kernel cannot keep a slot out
  bool wake_armed = false;
  bool draining = false;
  __kernel_timespec retry_ts{0, 50'000'000};
  std::error_code fatal;
  // Sessions: the one accept in flight writes its peer here.
  sockaddr_storage peer_addr{};
  socklen_t peer_len = 0;
  // Connections whose session finished, oldest first (one timeout for all keeps it in order): at
  // its deadline, one that is still open is closed.
  struct finish_deadline {
    std::chrono::steady_clock::time_point at;
    std::uint32_t slot, gen;
  };
  std::deque<finish_deadline> finish_deadlines;

  // The queue stays full only when the kernel refuses every submission: that stops serving.
  io_uring_sqe* sqe() noexcept { return detail::next_sqe(ring, fatal); }

  std::byte* data_of(const conn& c, const piece& p) noexcept {
    std::byte* base = p.bid == own_buffer ? c.own.get() : pool.data(p.bid);
    return base + p.off;
  }

  void cancel(std::uint64_t target) noexcept {
    auto* s = sqe();
    io_uring_prep_cancel64(s, target, 0);
    io_uring_sqe_set_data64(s, tag(op::cancel));
  }

  void arm_accept() noexcept {
    auto* s = sqe();
    if (sessions) {
      peer_len = sizeof peer_addr;
      // "Allocate a slot", spelt as liburing 2.3 needs it (it adds one to the index; later ones
      // take this spelling too).
      io_uring_prep_accept_direct(s, listener.native_handle(), reinterpret_cast<sockaddr*>(&peer_addr), &peer_len, 0,
                                  IORING_FILE_INDEX_ALLOC - 1);
    } else {
      io_uring_prep_multishot_accept_direct(s, listener.native_handle(), nullptr, nullptr, 0);
    }
    io_uring_sqe_set_data64(s, tag(op::accept));
    accepting = acceptor::armed;
  }

  // The listener's next step once nothing of it is in flight.
  void next_accept() noexcept {
    if (accepting != acceptor::idle) return;
    if (draining) return close_listener_when_idle();
    if (!table_full) return arm_accept();
    if (shed_slot == ~std::uint32_t{0}) return;  // no slot to shed into: a close re-arms
    auto* s = sqe();
    io_uring_prep_accept_direct(s, listener.native_handle(), nullptr, nullptr, 0, shed_slot);
    io_uring_sqe_set_data64(s, tag(op::shed));
    accepting = acceptor::shedding;
  }

  void retry_later() noexcept {
    auto* s = sqe();
    io_uring_prep_timeout(s, &retry_ts, 0, 0);
    io_uring_sqe_set_data64(s, tag(op::retry));
    accepting = acceptor::waiting;
  }

  void on_shed(int res) noexcept {
    accepting = acceptor::idle;
    if (res >= 0) {
      bump(dropped, 1);
      auto* s = sqe();
      io_uring_prep_close_direct(s, shed_slot);
      io_uring_sqe_set_data64(s, tag(op::shed_close));
      accepting = acceptor::shed_closing;
      return;
    }
    if (res != -ECANCELED && res != -ECONNABORTED && res != -EINTR && !draining) return retry_later();
    next_accept();
  }

  void arm_wake() noexcept { waker.arm(sqe(), tag(op::wake)); }

  void arm_recv(std::uint32_t slot, conn& c) noexcept {
    auto* s = sqe();
    if (c.own_mode) {
      if (!c.own) c.own = std::make_unique_for_overwrite<std::byte[]>(opts.buffer_bytes);
      io_uring_prep_recv(s, static_cast<int>(slot), c.own.get(), opts.buffer_bytes, 0);
      c.recv_tag = tag(op::recv_own, slot, c.gen);
    } else if (c.slow) {
      // A peer that does not read: a multishot receive would land up to its cancel (several
      // rounds of 32 buffers) into `carry`, megabytes held per connection. One buffer at a time
      // keeps what waits unanswered within one receive, as the kernel keeps the rest.
      io_uring_prep_recv(s, static_cast<int>(slot), nullptr, opts.buffer_bytes, 0);
      s->flags |= IOSQE_BUFFER_SELECT;
      s->buf_group = pool_group;
      c.recv_tag = tag(op::recv, slot, c.gen);
    } else {
      io_uring_prep_recv_multishot(s, static_cast<int>(slot), nullptr, 0, 0);
      s->flags |= IOSQE_BUFFER_SELECT;
      s->buf_group = pool_group;
      c.recv_tag = tag(op::recv, slot, c.gen);
    }
    s->flags |= IOSQE_FIXED_FILE;
    io_uring_sqe_set_data64(s, c.recv_tag);
    c.recv_armed = true;
    c.cancel_sent = false;
  }

  void cancel_recv(conn& c) noexcept {
    if (!c.recv_armed || c.cancel_sent) return;
    cancel(c.recv_tag);
    c.cancel_sent = true;
  }

  void send(std::uint32_t slot, conn& c) noexcept {
    if (sessions) {
      if (c.sending.empty()) std::swap(c.sending, c.queued);
      auto out = c.sending.readable();
      auto* s = sqe();
      io_uring_prep_send(s, static_cast<int>(slot), out.data(), out.size(), MSG_NOSIGNAL);
      s->flags |= IOSQE_FIXED_FILE;
      io_uring_sqe_set_data64(s, tag(op::send, slot, c.gen));
      c.send_inflight = true;
      return;
    }
    std::size_t n = std::min<std::size_t>(max_iov, c.pending.size() - c.head);
    auto* s = sqe();
    if (n == 1) {
      const piece& p = c.pending[c.head];
      io_uring_prep_send(s, static_cast<int>(slot), data_of(c, p), p.len, MSG_NOSIGNAL);
    } else {
      for (std::size_t i = 0; i < n; ++i) {
        const piece& p = c.pending[c.head + i];
        c.iov[i] = iovec{data_of(c, p), p.len};
      }
      c.msg = msghdr{};
      c.msg.msg_iov = c.iov;
      c.msg.msg_iovlen = n;
      io_uring_prep_sendmsg(s, static_cast<int>(slot), &c.msg, MSG_NOSIGNAL);
    }
    s->flags |= IOSQE_FIXED_FILE;
    io_uring_sqe_set_data64(s, tag(op::send, slot, c.gen));
    c.send_inflight = true;
  }

  void add_piece(conn& c, piece p) {
    c.pending.push_back(p);
    c.pending_bytes += p.len;
    bump(bytes_in, p.len);
  }

  // Sessions: bytes received go to the session (after what it left unconsumed), its replies to
  // the output. While the output is over hold_bytes (a peer that does not read), what still
  // arrives is held back instead, and answered as the output drains (answer_held).
  void feed(std::uint32_t slot, conn& c, std::span<const std::byte> got) {
    bump(bytes_in, got.size());
    if (c.finishing || !c.session) return;  // finished: what still comes is discarded
    if (c.held || c.pending_bytes >= opts.hold_bytes) {
      c.carry.append(got);
      c.held = true;
      c.slow = true;
      return;
    }
    if (c.carry.empty()) {
      std::size_t used = answer(slot, c, got);
      if (used < got.size() && !c.finishing) c.carry.append(got.subspan(used));
    } else {
      c.carry.append(got);
      c.carry.consume(answer(slot, c, c.carry.readable()));
    }
  }

  // Held input, a receive's worth at a time (so that what the session writes stays near
  // hold_bytes however much it amplifies), while the output is under hold_bytes.
  void answer_held(std::uint32_t slot, conn& c) {
    while (c.held && !c.finishing && c.pending_bytes < opts.hold_bytes) {
      auto all = c.carry.readable();
      auto slice = all.first(std::min(all.size(), opts.buffer_bytes));
      std::size_t used = answer(slot, c, slice);
      if (used == 0 && slice.size() < all.size() && !c.finishing) used = answer(slot, c, all);  // a longer frame
      if (c.finishing) break;
      c.carry.consume(used);
      if (used == 0 || c.carry.empty()) c.held = false;  // the rest is a request still arriving
    }
    c.carry.release_if_empty();  // what a multishot landed before its cancel may have grown it
  }

  // The session's answer to `in`; returns the bytes it used (all of them once it finished).
  std::size_t answer(std::uint32_t slot, conn& c, std::span<const std::byte> in) {
    std::size_t before = c.queued.size();
    auto st = c.session->on_data(in, c.queued);
    c.pending_bytes += c.queued.size() - before;
    if (st.finish) {
      finish(slot, c);
      return in.size();
    }
    return std::min(st.consumed, in.size());
  }

  void finish(std::uint32_t slot, conn& c) {
    c.finishing = true;
    c.held = false;
    c.carry.clear();
    finish_deadlines.push_back({std::chrono::steady_clock::now() + opts.finish_timeout, slot, c.gen});
  }

  // Connections past their finish deadline: closed, whatever they still had to send or read.
  void expire_finished(std::chrono::steady_clock::time_point now) noexcept {
    while (!finish_deadlines.empty() && finish_deadlines.front().at <= now) {
      auto d = finish_deadlines.front();
      finish_deadlines.pop_front();
      conn* c = d.slot < conns.size() ? conns[d.slot].get() : nullptr;
      if (c == nullptr || !c->open || c->gen != d.gen || c->closing) continue;
      if (!c->error) c->error = std::make_error_code(std::errc::timed_out);
      begin_close(d.slot, *c);
    }
  }

  void drop_pending(conn& c) noexcept {
    for (std::size_t i = c.head; i < c.pending.size(); ++i) {
      if (c.pending[i].bid != own_buffer) pool.give_back(c.pending[i].bid);
    }
    c.pending.clear();
    c.head = 0;
    c.pending_bytes = 0;
    c.carry.clear();
    c.sending.clear();
    c.queued.clear();
  }

  void begin_close(std::uint32_t slot, conn& c) noexcept {
    c.closing = true;
    cancel_recv(c);
    if (c.send_inflight) cancel(tag(op::send, slot, c.gen));
    maybe_close(slot, c);
  }

  void maybe_close(std::uint32_t slot, conn& c) noexcept {
    if (c.recv_armed || c.send_inflight || c.close_sent) return;
    auto* s = sqe();
    io_uring_prep_close_direct(s, slot);
    io_uring_sqe_set_data64(s, tag(op::close, slot, c.gen));
    c.close_sent = true;
  }

  // What a connection does next, from its state; called after every completion that changed it.
  void advance(std::uint32_t slot, conn& c) {
    if (c.closing) return maybe_close(slot, c);
    if (c.failed) return begin_close(slot, c);
    if (c.held) answer_held(slot, c);
    if (!c.send_inflight && c.pending_bytes > 0) send(slot, c);
    if (c.shut) return;
    if (c.read_ended || draining || c.finishing) {
      if (c.recv_armed) return cancel_recv(c);
      if (c.send_inflight || c.pending_bytes > 0) return;
      if (c.read_ended) return begin_close(slot, c);
      // Draining and all echoed: FIN after the last echo, then read to the peer's close, so the
      // close does not turn into a reset that would destroy echoes still on their way.
      auto* s = sqe();
      io_uring_prep_shutdown(s, static_cast<int>(slot), SHUT_WR);
      s->flags |= IOSQE_FIXED_FILE;
      io_uring_sqe_set_data64(s, tag(op::shutdown, slot, c.gen));
      c.shut = true;
      c.recv_armed = true;  // the shutdown, then the discarding reads: one operation at a time
      c.recv_tag = tag(op::shutdown, slot, c.gen);
      return;
    }
    if (c.recv_armed) {
      if (c.pending_bytes >= opts.hold_bytes) cancel_recv(c);
      return;
    }
    if (c.own_mode) {
      if (!sessions && c.pending_bytes > 0) return;  // the echo is still in the own buffer
      if (pool.free() > opts.buffers / 2) {
        c.own_mode = false;
        c.own.reset();
      }
    }
    if (c.pending_bytes > opts.hold_bytes / 2) return;
    arm_recv(slot, c);
  }

  void discard(std::uint32_t slot, conn& c) noexcept {
    auto* s = sqe();
    io_uring_prep_recv(s, static_cast<int>(slot), discard_buf.get(), opts.buffer_bytes, 0);
    s->flags |= IOSQE_FIXED_FILE;
    c.recv_tag = tag(op::discard, slot, c.gen);
    io_uring_sqe_set_data64(s, c.recv_tag);
    c.recv_armed = true;
    c.cancel_sent = false;
  }

  void on_accept(const io_uring_cqe& cqe) {
    if (!(cqe.flags & IORING_CQE_F_MORE)) accepting = acceptor::idle;
    int res = cqe.res;
    if (res >= 0) {
      auto slot = static_cast<std::uint32_t>(res);
      if (slot >= conns.size()) conns.resize(slot + 1);
      if (!conns[slot]) conns[slot] = std::make_unique<conn>();
      conn& c = *conns[slot];
      c.reset();
      c.open = true;
      bump(accepted, 1);
      open_count.store(open_count.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
      if (sessions) {
        auto peer = endpoint::from_sockaddr(reinterpret_cast<const sockaddr*>(&peer_addr), peer_len);
        c.session = opts.sessions(peer ? *peer : endpoint{});
        if (!c.session) c.failed = true;  // the factory refused it: closed at once
      }
      if (draining) {
        begin_close(slot, c);
      } else {
        advance(slot, c);
      }
    } else if (res == -ENFILE || res == -EMFILE) {
      table_full = true;  // a close makes room; until then the next ones are shed
    } else if (res == -EINVAL || res == -EBADF || res == -ENOTSOCK || res == -EOPNOTSUPP) {
      fatal = {-res, std::system_category()};
      return;
    } else if (res != -ECANCELED && res != -ECONNABORTED && res != -EINTR && accepting == acceptor::idle && !draining) {
      return retry_later();  // ENOMEM, ENOBUFS...: again in a moment rather than at once, forever
    }
    next_accept();
  }

  void on_recv(std::uint32_t slot, conn& c, const io_uring_cqe& cqe, bool multishot) {
    int res = cqe.res;
    if (!multishot || !(cqe.flags & IORING_CQE_F_MORE)) c.recv_armed = false;
    if (cqe.flags & IORING_CQE_F_BUFFER) {
      pool.taken();
      auto bid = cqe.flags >> IORING_CQE_BUFFER_SHIFT;
      if (res > 0 && !c.closing && sessions) {
        feed(slot, c, {pool.data(bid), static_cast<std::size_t>(res)});
        pool.give_back(bid);
      } else if (res > 0 && !c.closing) {
        add_piece(c, {bid, 0, static_cast<std::uint32_t>(res)});
      } else {
        pool.give_back(bid);
      }
    } else if (!multishot && res > 0 && !c.closing) {
      if (sessions) {
        feed(slot, c, {c.own.get(), static_cast<std::size_t>(res)});
      } else {
        add_piece(c, {own_buffer, 0, static_cast<std::uint32_t>(res)});
      }
    }
    if (res == 0) {
      c.read_ended = true;
    } else if (res == -ENOBUFS) {
      c.own_mode = true;  // the pool is dry: this connection serves itself until it refills
    } else if (res < 0 && res != -ECANCELED) {
      c.failed = true;  // ECONNRESET and the like: what was not echoed is lost with the peer
      c.error = {-res, std::system_category()};
    }
    advance(slot, c);
  }

  void on_send(std::uint32_t slot, conn& c, int res) {
    c.send_inflight = false;
    if (res < 0) {
      if (res != -ECANCELED) {
        c.failed = true;
        c.error = {-res, std::system_category()};
      }
      return advance(slot, c);
    }
    auto left = static_cast<std::size_t>(res);
    bump(bytes_out, left);
    c.pending_bytes -= left;
    if (sessions) {
      c.sending.consume(left);
      return advance(slot, c);
    }
    while (left > 0) {
      piece& p = c.pending[c.head];
      if (left < p.len) {
        p.off += static_cast<std::uint32_t>(left);
        p.len -= static_cast<std::uint32_t>(left);
        break;
      }
      left -= p.len;
      if (p.bid != own_buffer) pool.give_back(p.bid);
      ++c.head;
    }
    if (c.head == c.pending.size()) {
      c.pending.clear();
      c.head = 0;
    } else if (c.head >= 64 && c.head * 2 >= c.pending.size()) {
      // A stream whose echo never quite catches up never empties the list: drop what was sent,
      // or the list would grow with every piece ever received.
      c.pending.erase(c.pending.begin(), c.pending.begin() + static_cast<std::ptrdiff_t>(c.head));
      c.head = 0;
    }
    advance(slot, c);
  }

  void on_close(conn& c) {
    if (c.session) {
      c.session->on_close(c.error);
      c.session.reset();
    }
    drop_pending(c);
    c.own.reset();
    c.open = false;
    ++c.gen;
    bump(closed, 1);
    open_count.store(open_count.load(std::memory_order_relaxed) - 1, std::memory_order_relaxed);
    table_full = false;
    if (accepting == acceptor::shedding) return cancel(tag(op::shed));  // its completion re-arms
    next_accept();
  }

  // Draining refuses new connections as the readiness servers do: the listener is closed once no
  // accept holds it (until then the kernel would still complete handshakes into its backlog).
  void close_listener_when_idle() noexcept {
    if (draining && accepting == acceptor::idle && listener) (void)listener.close();
  }

  void begin_drain() {
    draining = true;
    if (accepting == acceptor::armed) cancel(tag(op::accept));
    if (accepting == acceptor::shedding) cancel(tag(op::shed));
    close_listener_when_idle();
    for (std::uint32_t slot = 0; slot < conns.size(); ++slot) {
      if (conns[slot] && conns[slot]->open) advance(slot, *conns[slot]);
    }
  }

  void close_all() {
    for (std::uint32_t slot = 0; slot < conns.size(); ++slot) {
      conn* c = conns[slot].get();
      if (c == nullptr || !c->open || c->closing) continue;
      if (!c->error) c->error = std::make_error_code(std::errc::timed_out);
      begin_close(slot, *c);
    }
  }

  void dispatch(const io_uring_cqe& cqe) {
    std::uint64_t t = cqe.user_data;
    switch (tag_op(t)) {
      case op::accept:
        return on_accept(cqe);
      case op::wake:
        wake_armed = false;
        if (stop_requested.load()) {
          if (!draining) begin_drain();
        } else {
          arm_wake();
        }
        return;
      case op::retry:
      case op::shed_close:
        accepting = acceptor::idle;
        return next_accept();
      case op::shed:
        return on_shed(cqe.res);
      case op::cancel:
        return;
      default:
        break;
    }
    std::uint32_t slot = tag_slot(t);
    conn* c = slot < conns.size() ? conns[slot].get() : nullptr;
    if (c == nullptr || !c->open || (c->gen & 0xffffffu) != tag_gen(t)) {
      // Stale: its connection is gone. A buffer it carries still goes back to the pool.
      if (cqe.flags & IORING_CQE_F_BUFFER) {
        pool.taken();
        pool.give_back(cqe.flags >> IORING_CQE_BUFFER_SHIFT);
      }
      return;
    }
    switch (tag_op(t)) {
      case op::recv:
        return on_recv(slot, *c, cqe, true);
      case op::recv_own:
        return on_recv(slot, *c, cqe, false);
      case op::send:
        return on_send(slot, *c, cqe.res);
      case op::shutdown:
        c->recv_armed = false;
        if (cqe.res < 0 || c->closing) return c->closing ? maybe_close(slot, *c) : begin_close(slot, *c);
        return discard(slot, *c);
      case op::discard:
        c->recv_armed = false;
        if (cqe.res > 0 && !c->closing) return discard(slot, *c);
        return c->closing ? maybe_close(slot, *c) : begin_close(slot, *c);
      case op::close:
        return on_close(*c);
      default:
        return;
    }
  }

  std::error_code setup() {
    if (auto ec = detail::open_thread_ring(ring, 1024, 16384)) return ec;
    ring_open = true;
    rlimit rl{};
    std::uint64_t table = 4096;
    if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) table = rl.rlim_cur;
    table = std::clamp<std::uint64_t>(table, 16, 262144);
    if (int rc = io_uring_register_files_sparse(&ring, static_cast<unsigned>(table)); rc < 0) {
      return {-rc, std::system_category()};
    }
    // The last slot is kept out of the accept's allocation, for shedding (Linux 6.0; without it
    // a full table only pauses accepting).
    if (io_uring_register_file_alloc_range(&ring, 0, static_cast<unsigned>(table - 1)) == 0) {
      shed_slot = static_cast<std::uint32_t>(table - 1);
    }
    if (auto ec = pool.open(ring, opts.buffers, opts.buffer_bytes, pool_group)) return ec;
    discard_buf = std::make_unique_for_overwrite<std::byte[]>(opts.buffer_bytes);
    return {};
  }

  void teardown() noexcept {
    if (ring_open) io_uring_queue_exit(&ring);  // cancels what is in flight and drops the table's sockets
    ring_open = false;
  }

  result<uring_stream_stats> serve(std::chrono::milliseconds drain_timeout) {
    if (auto ec = setup()) {
      teardown();
      return ec;
    }
    arm_wake();
    if (stop_requested.load()) {
      begin_drain();
    } else {
      next_accept();
    }
    std::chrono::steady_clock::time_point deadline{};
    bool forced = false;
    while (!fatal) {
      pool.publish();
      if (draining && deadline == std::chrono::steady_clock::time_point{}) {
        deadline = std::chrono::steady_clock::now() + drain_timeout;
      }
      if (draining && open_count.load(std::memory_order_relaxed) == 0 && accepting == acceptor::idle) break;
      __kernel_timespec ts{};
      __kernel_timespec* wait_for = nullptr;
      // The clock is read only when a deadline is running: an echo at full load never asks it.
      std::chrono::steady_clock::time_point now{}, until{};
      if (draining || !finish_deadlines.empty()) {
        now = std::chrono::steady_clock::now();
        expire_finished(now);
      }
      if (draining && !forced) {
        if (deadline <= now) {
          close_all();  // the drain's deadline: close whatever remains, echoes unsent or not
          forced = true;
          continue;
        }
        until = deadline;
      }
      if (!finish_deadlines.empty() && (until == std::chrono::steady_clock::time_point{} || finish_deadlines.front().at < until)) {
        until = finish_deadlines.front().at;
      }
      if (until != std::chrono::steady_clock::time_point{}) {
        auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(until - now).count();
        ns = std::max<std::int64_t>(ns, 0);
        ts.tv_sec = ns / 1'000'000'000;
        ts.tv_nsec = ns % 1'000'000'000;
        wait_for = &ts;
      }
      if (auto ec = detail::submit_wait_reap(ring, wait_for, [this](const io_uring_cqe& c) { dispatch(c); })) {
        fatal = ec;
        break;
      }
    }
    teardown();
    if (fatal) return fatal;
    return stats_now();
  }

  uring_stream_stats stats_now() const noexcept {
    return {accepted.load(std::memory_order_relaxed), bytes_in.load(std::memory_order_relaxed),
            bytes_out.load(std::memory_order_relaxed), closed.load(std::memory_order_relaxed),
            dropped.load(std::memory_order_relaxed)};
  }
};

std::error_code uring_stream_server::available() noexcept {
  static const std::error_code status = []() -> std::error_code {
    if (auto ec = detail::uring_status()) return ec;
    // Multishot receive and accept into the file table came with Linux 6.0, as did SEND_ZC; the
    // probe lists operations, not flags, so that one stands for them.
    io_uring_probe* probe = io_uring_get_probe();
    bool recent = probe != nullptr && io_uring_opcode_supported(probe, IORING_OP_SEND_ZC);
    if (probe != nullptr) io_uring_free_probe(probe);
    return recent ? std::error_code{} : std::make_error_code(std::errc::operation_not_supported);
  }();
  return status;
}

result<uring_stream_server> uring_stream_server::open(socket listener, const uring_stream_options& opts) {
  if (!listener) return std::make_error_code(std::errc::bad_file_descriptor);
  if (!detail::valid_pool(opts.buffers, opts.buffer_bytes, opts.hold_bytes)) {
    return std::make_error_code(std::errc::invalid_argument);
  }
  if (opts.finish_timeout.count() < 0) return std::make_error_code(std::errc::invalid_argument);
  if (auto ec = available()) return ec;
  auto s = std::make_unique<state>();
  if (auto ec = s->waker.open()) return ec;
  s->listener = std::move(listener);
  s->opts = opts;
  s->sessions = static_cast<bool>(opts.sessions);
  return uring_stream_server(std::move(s));
}

uring_stream_server::uring_stream_server(std::unique_ptr<state> s) noexcept : s_(std::move(s)) {}
uring_stream_server::uring_stream_server(uring_stream_server&&) noexcept = default;
uring_stream_server& uring_stream_server::operator=(uring_stream_server&&) noexcept = default;
uring_stream_server::~uring_stream_server() = default;

result<uring_stream_stats> uring_stream_server::run(std::chrono::milliseconds drain_timeout) {
  if (!s_ || s_->ran) return std::make_error_code(std::errc::bad_file_descriptor);
  s_->ran = true;
  return s_->serve(drain_timeout);
}

void uring_stream_server::stop() noexcept {
  if (!s_) return;
  s_->stop_requested.store(true);
  s_->waker.wake();
}

uring_stream_stats uring_stream_server::stats() const noexcept { return s_ ? s_->stats_now() : uring_stream_stats{}; }

std::size_t uring_stream_server::open_connections() const noexcept {
  return s_ ? s_->open_count.load(std::memory_order_relaxed) : 0;
}

}  // namespace sockit
