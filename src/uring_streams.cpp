// Streams on io_uring completions (sockit/uring_streams.hpp).
#include "sockit/uring_streams.hpp"

#include <liburing.h>
#include <sys/socket.h>

#include <cerrno>

#include "detail/uring_buffers.hpp"
#include "detail/uring_ring.hpp"
#include "sockit/error.hpp"
#include "sockit/uring_stream_server.hpp"

namespace sockit {
namespace {

enum class op : std::uint8_t { recv = 1, send };
// user_data: the operation in the low byte, the stream's index above it. No generation is needed:
// a stream keeps its index for the set's whole life, and no index is ever given to another.
constexpr std::uint64_t tag(op o, std::size_t i) noexcept { return std::uint64_t{i} << 8 | static_cast<std::uint8_t>(o); }
constexpr unsigned short group = 0;

struct stream {
  std::size_t sends_inflight = 0;  // pieces of the current chain
  bool recv_armed = false;
  bool closed = false;
};

}  // namespace

struct uring_streams::state {
  std::vector<socket> socks;
  std::vector<stream> streams;
  uring_streams_options opts;
  io_uring ring{};
  bool ring_open = false;
  detail::uring_buffers pool;
  std::vector<std::size_t> rearm;  // receives ended for want of a buffer: re-armed after the batch
  std::error_code broken;          // the ring took no more submissions

  ~state() {
    // The ring's file table keeps each socket open until the kernel tears the ring down, which it
    // finishes later, in a worker: the streams end now instead, as closing them would.
    for (auto& s : socks) (void)s.shutdown(shutdown_how::both);
    if (ring_open) io_uring_queue_exit(&ring);
  }

  std::error_code setup() {
    // A completion queue as deep as the pool, so a batch's receives do not overflow it.
    if (auto ec = detail::open_thread_ring(ring, 4096, std::max(8192u, opts.buffers * 2))) return ec;
    ring_open = true;
    std::vector<int> fds;
    fds.reserve(socks.size());
    for (auto& s : socks) fds.push_back(s.native_handle());
    if (int rc = io_uring_register_files(&ring, fds.data(), static_cast<unsigned>(fds.size())); rc < 0) {
      return {-rc, std::system_category()};
    }
    if (auto ec = pool.open(ring, opts.buffers, opts.buffer_bytes, group)) return ec;
    for (std::size_t i = 0; i < streams.size(); ++i) arm_recv(i);
    return {};
  }

  // Still full after a submission: the kernel refuses them. wait() reports it.
  io_uring_sqe* sqe() noexcept { return detail::next_sqe(ring, broken); }

  void arm_recv(std::size_t i) noexcept {
    auto* s = sqe();
    io_uring_prep_recv_multishot(s, static_cast<int>(i), nullptr, 0, 0);
    s->flags |= IOSQE_FIXED_FILE | IOSQE_BUFFER_SELECT;
    s->buf_group = group;
    io_uring_sqe_set_data64(s, tag(op::recv, i));
    streams[i].recv_armed = true;
  }

  void close(std::size_t i, std::error_code ec, events& ev) {
    if (streams[i].closed) return;
    streams[i].closed = true;
    ev.on_closed(i, ec);
  }

  void dispatch(const io_uring_cqe& cqe, events& ev) {
    auto i = static_cast<std::size_t>(cqe.user_data >> 8);
    auto& st = streams[i];
    int res = cqe.res;
    if (static_cast<op>(cqe.user_data & 0xffu) == op::send) {
      --st.sends_inflight;
      if (st.closed) return;  // after a failed piece the rest of its chain arrives cancelled
      if (res < 0) return close(i, {-res, std::system_category()}, ev);
      return ev.on_sent(i, static_cast<std::size_t>(res));
    }
    if (!(cqe.flags & IORING_CQE_F_MORE)) st.recv_armed = false;
    if (cqe.flags & IORING_CQE_F_BUFFER) {
      auto bid = cqe.flags >> IORING_CQE_BUFFER_SHIFT;
      pool.taken();
      if (res > 0 && !st.closed) ev.on_data(i, {pool.data(bid), static_cast<std::size_t>(res)});
      pool.give_back(bid);
    }
    if (st.closed) return;
    if (res == 0) return close(i, make_error_code(errc::end_of_stream), ev);
    if (res == -ENOBUFS || (res > 0 && !st.recv_armed)) {
      rearm.push_back(i);
    } else if (res < 0) {
      close(i, {-res, std::system_category()}, ev);
    }
  }
};

result<uring_streams> uring_streams::open(std::vector<socket> streams, const uring_streams_options& opts) {
  unsigned b = opts.buffers;
  if (b == 0 || b > 32768 || (b & (b - 1)) != 0 || opts.buffer_bytes == 0 || opts.buffer_bytes > (1u << 20)) {
    return std::make_error_code(std::errc::invalid_argument);
  }
  for (auto& s : streams) {
    if (!s) return std::make_error_code(std::errc::bad_file_descriptor);
  }
  if (auto ec = uring_stream_server::available()) return ec;
  auto st = std::make_unique<state>();
  st->socks = std::move(streams);
  st->streams.resize(st->socks.size());
  st->opts = opts;
  if (auto ec = st->setup()) return ec;
  return uring_streams(std::move(st));
}

uring_streams::uring_streams(std::unique_ptr<state> s) noexcept : s_(std::move(s)) {}
uring_streams::uring_streams(uring_streams&&) noexcept = default;
uring_streams& uring_streams::operator=(uring_streams&&) noexcept = default;
uring_streams::~uring_streams() = default;

std::size_t uring_streams::size() const noexcept { return s_ ? s_->streams.size() : 0; }

std::error_code uring_streams::send(std::size_t i, std::span<const std::span<const std::byte>> pieces) {
  if (!s_ || i >= s_->streams.size() || pieces.size() > max_chain) return std::make_error_code(std::errc::invalid_argument);
  auto& st = s_->streams[i];
  if (st.closed || pieces.empty()) return {};
  if (st.sends_inflight > 0) return std::make_error_code(std::errc::device_or_resource_busy);
  // A chain cut by a submission would reach the kernel as two, free to overtake each other: make
  // room for all of it first.
  if (io_uring_sq_space_left(&s_->ring) < pieces.size()) (void)io_uring_submit(&s_->ring);
  for (std::size_t k = 0; k < pieces.size(); ++k) {
    auto* s = s_->sqe();
    io_uring_prep_send(s, static_cast<int>(i), pieces[k].data(), pieces[k].size(), MSG_NOSIGNAL | MSG_WAITALL);
    s->flags |= IOSQE_FIXED_FILE;
    if (k + 1 < pieces.size()) s->flags |= IOSQE_IO_LINK;
    io_uring_sqe_set_data64(s, tag(op::send, i));
  }
  st.sends_inflight = pieces.size();
  return {};
}

std::error_code uring_streams::wait(events& ev, std::chrono::nanoseconds timeout) {
  if (!s_) return std::make_error_code(std::errc::bad_file_descriptor);
  auto& s = *s_;
  if (s.broken) return s.broken;
  s.pool.publish();
  auto ns = std::max<std::int64_t>(0, timeout.count());
  __kernel_timespec ts{ns / 1'000'000'000, ns % 1'000'000'000};
  if (auto ec = detail::submit_wait_reap(s.ring, &ts, [&](const io_uring_cqe& c) { s.dispatch(c, ev); })) return ec;
  s.pool.publish();
  for (std::size_t i : s.rearm) {
    if (!s.streams[i].closed && !s.streams[i].recv_armed) s.arm_recv(i);
  }
  s.rearm.clear();
  return {};
}

}  // namespace sockit
