// The TCP relay on io_uring completions (sockit/uring_relay.hpp).
//
// One thread owns the ring (SINGLE_ISSUER | DEFER_TASKRUN where the kernel takes them). A
// connection is two descriptors, the client's (accepted one at a time, with its address) and the
// target's (opened, prepared and connected by the ring, a timeout linked to the connect), and two
// directions: up (client -> target) and down. Each direction has at most one receive armed, into
// the shared pool of provided buffers, and one send in flight, from the front of its queue of what
// it received; the buffer goes back to the pool when its bytes have all been sent. A direction
// receives only while its queue is under hold_bytes, so a side that does not read stops the other
// side being read, as the readiness relay's pipe does. One that finds the pool empty (ENOBUFS)
// serves itself from a buffer of its own, one receive or one send at a time, until the pool is
// half free again, so peers that never read cannot stall the others by holding the pool.
//
// Descriptors here are plain ones (not the file table): the target's is opened by socket(2) so the
// caller's socket options go on it before the connect. A connection's descriptors are closed only
// once nothing of it is in flight (cancels first), so a close never races an operation.
#include "sockit/uring_relay.hpp"

#include <fcntl.h>
#include <liburing.h>
#include <netinet/in.h>
#include <poll.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <deque>
#include <mutex>

#include "detail/uring_buffers.hpp"
#include "detail/uring_ring.hpp"
#include "sockit/uring_stream_server.hpp"

namespace sockit {
namespace {

enum class op : std::uint8_t { accept = 1, connect, connect_timeout, recv_up, recv_down, send_up, send_down, cancel, wake, retry };

constexpr std::uint64_t tag(op o, std::uint32_t slot = 0, std::uint32_t gen = 0) noexcept {
  return detail::op_tag(o, slot, gen);
}

constexpr std::uint32_t own_buffer = ~std::uint32_t{0};  // a piece in the direction's own buffer
constexpr unsigned short pool_group = 0;

struct piece {
  std::uint32_t bid;  // provided buffer id, or own_buffer
  std::uint32_t off;
  std::uint32_t len;
};

struct direction {
  int from = -1, to = -1;     // the connection's descriptors
  std::deque<piece> queue;    // received, not yet sent, in stream order
  std::size_t held = 0;       // bytes in `queue`
  std::uint64_t delivered = 0;
  bool recv_armed = false;
  bool recv_cancelled = false;
  bool send_inflight = false;
  bool eof = false;           // `from` sent FIN (or, draining, is no longer read)
  bool shut = false;          // FIN passed on to `to`
  bool own_mode = false;      // the pool was empty: one receive or one send at a time, own buffer
  bool more = false;          // the last receive left bytes in the socket (IORING_CQE_F_SOCK_NONEMPTY)
  std::unique_ptr<std::byte[]> own;
};

struct rconn {
  std::uint32_t gen = 0;
  bool open = false;
  int client = -1, target = -1;
  direction up, down;  // up: client -> target
  uring_relay_connection row;
  bool connecting = false;     // the connect is in flight
  bool timer_armed = false;    // its linked timeout too
  bool failed = false;         // an error on a side: both reset
  bool target_failed = false;  // the connect failed: the client reset
  bool stopped = false;        // ended by the graceful stop
  bool closing = false;        // no new operations; closed once none is in flight
  std::error_code error;
};

using clock = std::chrono::steady_clock;

__kernel_timespec to_timespec(clock::duration d) noexcept {
  auto ns = std::max<std::int64_t>(0, std::chrono::duration_cast<std::chrono::nanoseconds>(d).count());
  return {ns / 1'000'000'000, ns % 1'000'000'000};
}

// A relay adds no Nagle delay of its own: each side's segments leave as they come.
void no_delay(int fd) noexcept {
  int one = 1;
  (void)::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

void reset_on_close(int fd) noexcept {
  linger l{1, 0};
  (void)::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
}

}  // namespace

struct uring_relay::state {
  socket listener;
  uring_relay_options opts;
  detail::ring_waker waker;
  std::atomic<bool> stop_requested{false}, abort_requested{false};
  std::atomic<std::size_t> open_count{0};
  bool ran = false;

  // What the reports read from other threads: the connections and the totals, under `mu` (taken
  // by the relay's thread while it handles a completion, never while it waits).
  mutable std::mutex mu;
  std::vector<std::unique_ptr<rconn>> conns;
  uring_relay_stats totals;
  std::uint64_t next_id = 0;

  // Relaying state: run()'s thread only.
  io_uring ring{};
  bool ring_open = false;
  detail::uring_buffers pool;
  std::vector<std::uint32_t> free_slots;
  int reserve_fd = -1;  // a descriptor kept free for shedding at EMFILE
  bool accept_armed = false, retry_armed = false, draining = false;
  bool forced = false;  // everything was closed at once: the drain's deadline, or abort()
  sockaddr_storage peer_addr{};
  socklen_t peer_len = 0;
  __kernel_timespec connect_ts{}, retry_ts{0, 50'000'000};
  struct ended {
    uring_relay_connection row;
    uring_relay_outcome outcome;
    std::error_code ec;
  };
  std::vector<ended> ended_batch;  // reported once `mu` is released
  struct refused {
    endpoint peer;
    std::size_t open;
    std::error_code why;
    int fd;  // closed once reported, so the client's EOF comes after its report
  };
  std::vector<refused> refused_batch;  // the same: a callback never runs under `mu`
  std::error_code fatal;

  ~state() {
    if (reserve_fd >= 0) ::close(reserve_fd);
  }

  io_uring_sqe* sqe() noexcept { return detail::next_sqe(ring, fatal); }

  void cancel(std::uint64_t target) noexcept {
    auto* s = sqe();
    io_uring_prep_cancel64(s, target, 0);
    io_uring_sqe_set_data64(s, tag(op::cancel));
  }

  void arm_wake() noexcept { waker.arm(sqe(), tag(op::wake)); }

  void arm_accept() noexcept {
    if (accept_armed || retry_armed || draining) return;
    peer_len = sizeof peer_addr;
    auto* s = sqe();
    io_uring_prep_accept(s, listener.native_handle(), reinterpret_cast<sockaddr*>(&peer_addr), &peer_len, SOCK_CLOEXEC);
    io_uring_sqe_set_data64(s, tag(op::accept));
    accept_armed = true;
  }

  void retry_later() noexcept {
    auto* s = sqe();
    io_uring_prep_timeout(s, &retry_ts, 0, 0);
    io_uring_sqe_set_data64(s, tag(op::retry));
    retry_armed = true;
  }

  // Out of descriptors: the reserve is freed, the waiting connection taken off the queue and
  // closed (refused, as the readiness relay sheds), and the reserve taken back. False when there
  // is no reserve or nothing was waiting after all.
  bool shed(int err) {
    if (reserve_fd < 0) return false;
    ::close(reserve_fd);
    reserve_fd = -1;
    bool done = false;
    pollfd p{listener.native_handle(), POLLIN, 0};
    if (::poll(&p, 1, 0) == 1) {  // the listener blocks: accept only what is there
      peer_len = sizeof peer_addr;
      int fd = ::accept4(listener.native_handle(), reinterpret_cast<sockaddr*>(&peer_addr), &peer_len, SOCK_CLOEXEC);
      if (fd >= 0) {
        ++totals.accepted;
        ++totals.refused;
        refuse(fd, open_count.load(std::memory_order_relaxed), {err, std::system_category()});
        done = true;
      }
    }
    if (!done) reserve_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);  // else once `fd` is closed
    return done;
  }

  void refuse(int fd, std::size_t open, std::error_code why) {
    auto peer = endpoint::from_sockaddr(reinterpret_cast<const sockaddr*>(&peer_addr), peer_len);
    refused_batch.push_back({peer ? *peer : endpoint{}, open, why, fd});
  }

  std::byte* data_of(const direction& d, const piece& p) const noexcept {
    return (p.bid == own_buffer ? d.own.get() : pool.data(p.bid)) + p.off;
  }

  void on_accept(int res) {
    accept_armed = false;
    if (res >= 0) {
      start(res);
    } else if ((res == -EMFILE || res == -ENFILE) && shed(-res)) {
      // The client was told at once (closed) rather than left waiting in the backlog.
    } else if (res == -EMFILE || res == -ENFILE || res == -ENOMEM || res == -ENOBUFS) {
      return retry_later();  // no descriptor now: again in a moment, not at once forever
    } else if (res == -EBADF || res == -EINVAL || res == -ENOTSOCK || res == -EOPNOTSUPP) {
      fatal = {-res, std::system_category()};
      return;
    }
    arm_accept();
  }

  void start(int client) {
    ++totals.accepted;
    if (std::size_t n = open_count.load(std::memory_order_relaxed); opts.max_connections != 0 && n >= opts.max_connections) {
      ++totals.refused;
      refuse(client, n, {});  // no target is asked for it; closed once reported, after this batch
      return;
    }
    std::uint32_t slot;
    if (!free_slots.empty()) {
      slot = free_slots.back();
      free_slots.pop_back();
    } else {
      slot = static_cast<std::uint32_t>(conns.size());
      conns.push_back(std::make_unique<rconn>());
    }
    rconn& c = *conns[slot];
    std::uint32_t gen = c.gen;
    c = rconn();
    c.gen = gen;
    c.open = true;
    c.client = client;
    c.row.id = opts.next_id ? opts.next_id() : ++next_id;
    if (auto peer = endpoint::from_sockaddr(reinterpret_cast<const sockaddr*>(&peer_addr), peer_len)) c.row.client = *peer;
    c.row.started = clock::now();
    open_count.store(open_count.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    auto t = socket::open(opts.target.family(), SOCK_STREAM);
    std::error_code ec = t ? std::error_code{} : t.error();
    if (!ec && opts.target_prepare) ec = opts.target_prepare(*t);
    if (ec) {
      c.target_failed = true;
      c.error = ec;
      return begin_close(slot, c);
    }
    c.target = t->release();
    no_delay(c.client);
    no_delay(c.target);
    c.up.from = c.down.to = c.client;
    c.up.to = c.down.from = c.target;
    // The connect and its timeout are one link: both entries go in the same submission.
    if (io_uring_sq_space_left(&ring) < 2) io_uring_submit(&ring);
    auto* s = sqe();
    io_uring_prep_connect(s, c.target, opts.target.data(), opts.target.size());
    io_uring_sqe_set_data64(s, tag(op::connect, slot, c.gen));
    s->flags |= IOSQE_IO_LINK;
    auto* tmo = sqe();
    io_uring_prep_link_timeout(tmo, &connect_ts, 0);
    io_uring_sqe_set_data64(tmo, tag(op::connect_timeout, slot, c.gen));
    c.connecting = c.timer_armed = true;
  }

  void on_connect(std::uint32_t slot, rconn& c, int res) {
    c.connecting = false;
    if (res < 0 || c.closing) {
      if (!c.closing) {
        c.target_failed = true;
        // The linked timeout fired: the connect was cancelled.
        c.error = res == -ECANCELED ? std::make_error_code(std::errc::timed_out) : std::error_code{-res, std::system_category()};
      }
      return begin_close(slot, c);
    }
    advance(slot, c);
  }

  void arm_recv(std::uint32_t slot, rconn& c, direction& d, op o) noexcept {
    auto* s = sqe();
    if (d.own_mode) {
      if (!d.own) d.own = std::make_unique_for_overwrite<std::byte[]>(opts.buffer_bytes);
      io_uring_prep_recv(s, d.from, d.own.get(), opts.buffer_bytes, 0);
    } else {
      io_uring_prep_recv(s, d.from, nullptr, opts.buffer_bytes, 0);
      s->flags |= IOSQE_BUFFER_SELECT;
      s->buf_group = pool_group;
    }
    // The socket was left empty (no SOCK_NONEMPTY on the last receive): wait for data before
    // trying, rather than fail a receive first. Small messages cost half as much CPU this way.
    if (!d.more) s->ioprio |= IORING_RECVSEND_POLL_FIRST;
    io_uring_sqe_set_data64(s, tag(o, slot, c.gen));
    d.recv_armed = true;
    d.recv_cancelled = false;
  }

  void send(std::uint32_t slot, rconn& c, direction& d, op o) noexcept {
    const piece& p = d.queue.front();
    auto* s = sqe();
    io_uring_prep_send(s, d.to, data_of(d, p), p.len, MSG_NOSIGNAL);
    io_uring_sqe_set_data64(s, tag(o, slot, c.gen));
    d.send_inflight = true;
  }

  // One direction's next step: send what it holds, pass a FIN on once all is sent, read while
  // there is room.
  void step(std::uint32_t slot, rconn& c, direction& d, op recv_op, op send_op) noexcept {
    if (!d.send_inflight && !d.queue.empty()) send(slot, c, d, send_op);
    if (draining && !d.eof) {
      if (!d.recv_armed) {
        d.eof = true;  // nothing more is read
      } else if (!d.recv_cancelled) {
        cancel(tag(recv_op, slot, c.gen));
        d.recv_cancelled = true;
      }
    }
    if (d.eof) {
      if (!d.shut && !d.recv_armed && !d.send_inflight && d.queue.empty()) {
        (void)::shutdown(d.to, SHUT_WR);
        d.shut = true;
      }
      return;
    }
    if (d.recv_armed || d.held >= opts.hold_bytes) return;
    if (d.own_mode) {
      if (!d.queue.empty()) return;  // the own buffer is still being sent
      if (pool.free() > opts.buffers / 2) {
        d.own_mode = false;
        d.own.reset();
      }
    }
    arm_recv(slot, c, d, recv_op);
  }

  // What a connection does next, from its state; called after every completion that changed it.
  void advance(std::uint32_t slot, rconn& c) noexcept {
    if (c.closing) return maybe_close(slot, c);
    if (c.failed) return begin_close(slot, c);
    if (c.connecting) {
      if (draining) begin_close(slot, c);  // not yet relaying: stopped at once
      return;
    }
    step(slot, c, c.up, op::recv_up, op::send_up);
    step(slot, c, c.down, op::recv_down, op::send_down);
    if (c.up.shut && c.down.shut) {
      c.stopped = draining;
      c.closing = true;
      maybe_close(slot, c);
    }
  }

  void on_recv(std::uint32_t slot, rconn& c, direction& d, const io_uring_cqe& cqe) {
    int res = cqe.res;
    d.recv_armed = false;
    d.more = (cqe.flags & IORING_CQE_F_SOCK_NONEMPTY) != 0;
    std::uint32_t bid = own_buffer;
    if (cqe.flags & IORING_CQE_F_BUFFER) {
      pool.taken();
      bid = cqe.flags >> IORING_CQE_BUFFER_SHIFT;
    }
    if (res > 0 && !c.closing && !c.failed) {
      d.queue.push_back({bid, 0, static_cast<std::uint32_t>(res)});
      d.held += static_cast<std::size_t>(res);
    } else if (bid != own_buffer) {
      pool.give_back(bid);
    }
    if (res == 0) {
      d.eof = true;
    } else if (res == -ENOBUFS) {
      d.own_mode = true;
    } else if (res < 0 && res != -ECANCELED) {
      c.failed = true;
      c.error = {-res, std::system_category()};
    }
    advance(slot, c);
  }

  void on_send(std::uint32_t slot, rconn& c, direction& d, int res, bool up) {
    d.send_inflight = false;
    if (res < 0) {
      if (res != -ECANCELED && !c.failed) {
        c.failed = true;
        c.error = {-res, std::system_category()};
      }
      return advance(slot, c);
    }
    auto n = static_cast<std::uint32_t>(res);
    d.delivered += n;
    d.held -= n;
    (up ? c.row.bytes_up : c.row.bytes_down) += n;
    (up ? totals.bytes_up : totals.bytes_down) += n;
    piece& p = d.queue.front();
    p.off += n;
    p.len -= n;
    if (p.len == 0) {
      if (p.bid != own_buffer) pool.give_back(p.bid);
      d.queue.pop_front();
    }
    advance(slot, c);
  }

  void begin_close(std::uint32_t slot, rconn& c) noexcept {
    c.closing = true;
    if (c.connecting) cancel(tag(op::connect, slot, c.gen));
    for (auto [d, r, s] : {std::tuple{&c.up, op::recv_up, op::send_up}, std::tuple{&c.down, op::recv_down, op::send_down}}) {
      if (d->recv_armed && !d->recv_cancelled) {
        cancel(tag(r, slot, c.gen));
        d->recv_cancelled = true;
      }
      if (d->send_inflight) cancel(tag(s, slot, c.gen));
    }
    maybe_close(slot, c);
  }

  void maybe_close(std::uint32_t slot, rconn& c) noexcept {
    if (c.connecting || c.timer_armed) return;
    for (const direction* d : {&c.up, &c.down}) {
      if (d->recv_armed || d->send_inflight) return;
    }
    uring_relay_outcome o = uring_relay_outcome::clean;
    if (c.target_failed) {
      o = uring_relay_outcome::target_failed;
      ++totals.target_failures;
      reset_on_close(c.client);  // it sees ECONNRESET, not an empty reply it could take as an answer
    } else if (c.failed) {
      o = uring_relay_outcome::reset;
      ++totals.resets;
      reset_on_close(c.client);
      reset_on_close(c.target);
    } else if (c.stopped || draining) {
      o = uring_relay_outcome::stopped;
    }
    if (c.client >= 0) ::close(c.client);
    if (c.target >= 0) ::close(c.target);
    for (direction* d : {&c.up, &c.down}) {
      for (const piece& p : d->queue) {
        if (p.bid != own_buffer) pool.give_back(p.bid);
      }
      d->queue.clear();
      d->own.reset();
    }
    c.row.state = phase_of(c);
    ended_batch.push_back({c.row, o, c.target_failed || c.failed ? c.error : std::error_code{}});
    c.open = false;
    ++c.gen;
    free_slots.push_back(slot);
    ++totals.closed;
    open_count.store(open_count.load(std::memory_order_relaxed) - 1, std::memory_order_relaxed);
  }

  uring_relay_connection::phase phase_of(const rconn& c) const noexcept {
    using ph = uring_relay_connection::phase;
    if (c.connecting) return ph::connecting;
    if (draining) return ph::draining;
    if (c.up.eof || c.down.eof) return ph::half_closed;
    return ph::open;
  }

  void begin_drain() {
    draining = true;
    if (accept_armed) cancel(tag(op::accept));
    close_listener_when_idle();
    for (std::uint32_t slot = 0; slot < conns.size(); ++slot) {
      if (conns[slot]->open) advance(slot, *conns[slot]);
    }
  }

  // Draining refuses new connections: the listener is closed once no accept holds it.
  void close_listener_when_idle() noexcept {
    if (draining && !accept_armed && !retry_armed && listener) (void)listener.close();
  }

  void close_all() {
    for (std::uint32_t slot = 0; slot < conns.size(); ++slot) {
      rconn& c = *conns[slot];
      if (!c.open || c.closing) continue;
      c.stopped = true;
      begin_close(slot, c);
    }
  }

  void dispatch(const io_uring_cqe& cqe) {
    std::uint64_t t = cqe.user_data;
    op o = detail::tag_op<op>(t);
    switch (o) {
      case op::accept:
        on_accept(cqe.res);
        return close_listener_when_idle();
      case op::retry:
        retry_armed = false;
        arm_accept();
        return close_listener_when_idle();
      case op::wake:
        if (stop_requested.load() && !draining) begin_drain();
        if (abort_requested.load()) {
          if (!forced) close_all();
          forced = true;
          return;
        }
        return arm_wake();
      case op::cancel:
        return;
      default:
        break;
    }
    std::uint32_t slot = detail::tag_slot(t);
    rconn* c = slot < conns.size() ? conns[slot].get() : nullptr;
    if (c == nullptr || !c->open || (c->gen & 0xffffffu) != detail::tag_gen(t)) {
      if (cqe.flags & IORING_CQE_F_BUFFER) {  // stale, but its buffer still goes back
        pool.taken();
        pool.give_back(cqe.flags >> IORING_CQE_BUFFER_SHIFT);
      }
      return;
    }
    switch (o) {
      case op::connect:
        return on_connect(slot, *c, cqe.res);
      case op::connect_timeout:
        c->timer_armed = false;
        return advance(slot, *c);
      case op::recv_up:
        return on_recv(slot, *c, c->up, cqe);
      case op::recv_down:
        return on_recv(slot, *c, c->down, cqe);
      case op::send_up:
        return on_send(slot, *c, c->up, cqe.res, true);
      case op::send_down:
        return on_send(slot, *c, c->down, cqe.res, false);
      default:
        return;
    }
  }

  // After each batch of completions, outside `mu` (a callback may call stats() or stop()). Only
  // the relay's thread touches the batches and the reserve descriptor.
  void report() {
    if (!refused_batch.empty()) {
      auto batch = std::move(refused_batch);
      refused_batch.clear();
      for (const auto& r : batch) {
        if (opts.on_refused) opts.on_refused(r.peer, r.open, r.why);
        ::close(r.fd);
      }
      if (reserve_fd < 0) reserve_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    }
    if (ended_batch.empty()) return;
    auto batch = std::move(ended_batch);
    ended_batch.clear();
    if (!opts.on_end) return;
    for (const auto& e : batch) opts.on_end(e.row, e.outcome, e.ec);
  }

  std::error_code setup() {
    if (auto ec = detail::open_thread_ring(ring, 1024, 16384)) return ec;
    ring_open = true;
    if (auto ec = pool.open(ring, opts.buffers, opts.buffer_bytes, pool_group)) return ec;
    connect_ts = to_timespec(opts.connect_timeout);
    reserve_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    return {};
  }

  void teardown() noexcept {
    if (ring_open) io_uring_queue_exit(&ring);  // cancels what is still in flight
    ring_open = false;
    for (auto& c : conns) {  // only after a fatal ring error: the rest are closed by then
      if (!c->open) continue;
      if (c->client >= 0) ::close(c->client);
      if (c->target >= 0) ::close(c->target);
      c->open = false;
    }
  }

  result<uring_relay_stats> relay(std::chrono::milliseconds drain_timeout) {
    if (auto ec = setup()) {
      teardown();
      return ec;
    }
    {
      std::lock_guard g(mu);
      arm_wake();
      if (stop_requested.load()) {
        begin_drain();
      } else {
        arm_accept();
      }
    }
    clock::time_point deadline{};
    while (!fatal) {
      {
        std::lock_guard g(mu);
        pool.publish();
        if (draining && open_count.load(std::memory_order_relaxed) == 0 && !accept_armed && !retry_armed) break;
      }
      __kernel_timespec ts{};
      __kernel_timespec* wait_for = nullptr;
      if (draining) {
        auto now = clock::now();
        if (deadline == clock::time_point{}) deadline = now + drain_timeout;
        if (!forced && deadline <= now) {
          std::lock_guard g(mu);
          close_all();  // the drain's deadline: whatever remains is closed, held bytes or not
          forced = true;
        }
        if (!forced) {
          ts = to_timespec(deadline - now);
          wait_for = &ts;
        }
      }
      auto ec = detail::submit_wait_reap(ring, wait_for, [this](const io_uring_cqe& cqe) {
        std::lock_guard g(mu);
        dispatch(cqe);
      });
      report();
      if (ec) fatal = ec;
    }
    std::lock_guard g(mu);
    teardown();
    if (fatal) return fatal;
    return totals;
  }
};

std::error_code uring_relay::available() noexcept { return uring_stream_server::available(); }

result<uring_relay> uring_relay::open(socket listener, const uring_relay_options& opts) {
  if (!listener) return std::make_error_code(std::errc::bad_file_descriptor);
  if (!detail::valid_pool(opts.buffers, opts.buffer_bytes, opts.hold_bytes) || opts.connect_timeout.count() <= 0 ||
      opts.target.empty()) {
    return std::make_error_code(std::errc::invalid_argument);
  }
  if (auto ec = available()) return ec;
  auto s = std::make_unique<state>();
  if (auto ec = s->waker.open()) return ec;
  s->listener = std::move(listener);
  s->opts = opts;
  return uring_relay(std::move(s));
}

uring_relay::uring_relay(std::unique_ptr<state> s) noexcept : s_(std::move(s)) {}
uring_relay::uring_relay(uring_relay&&) noexcept = default;
uring_relay& uring_relay::operator=(uring_relay&&) noexcept = default;
uring_relay::~uring_relay() = default;

result<uring_relay_stats> uring_relay::run(std::chrono::milliseconds drain_timeout) {
  if (!s_ || s_->ran) return std::make_error_code(std::errc::bad_file_descriptor);
  s_->ran = true;
  return s_->relay(drain_timeout);
}

void uring_relay::stop() noexcept {
  if (!s_) return;
  s_->stop_requested.store(true);
  s_->waker.wake();
}

void uring_relay::abort() noexcept {
  if (!s_) return;
  s_->abort_requested.store(true);
  stop();
}

uring_relay_stats uring_relay::stats() const {
  if (!s_) return {};
  std::lock_guard g(s_->mu);
  return s_->totals;
}

std::vector<uring_relay_connection> uring_relay::connections() const {
  std::vector<uring_relay_connection> out;
  if (!s_) return out;
  std::lock_guard g(s_->mu);
  for (const auto& c : s_->conns) {
    if (!c->open) continue;
    out.push_back(c->row);
    out.back().state = s_->phase_of(*c);
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  return out;
}

std::size_t uring_relay::open_connections() const noexcept {
  return s_ ? s_->open_count.load(std::memory_order_relaxed) : 0;
}

}  // namespace sockit
