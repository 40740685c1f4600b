// Batches of datagrams on Windows (see datagram_batch.hpp): Winsock has no recvmmsg/sendmmsg, so
// a batch is a run of recvfrom/sendto calls through udp.cpp's non-blocking ones, stopping at the
// first that would wait. The interface and its results are the same; only the system calls saved
// by batching are not.
#include "sockit/datagram_batch.hpp"

#include <algorithm>
#include <cassert>

#include "sockit/error.hpp"
#include "sockit/udp.hpp"

// The slots the Linux file fills for the kernel, here our own record of each datagram.
struct mmsghdr {
  std::size_t msg_len = 0;  // the datagram's real size
};
struct iovec {
  std::byte* iov_base = nullptr;
  std::size_t iov_len = 0;  // bytes stored (received) or to send
};

namespace sockit {

datagram_batch::datagram_batch(std::size_t count, std::size_t buffer_size)
    : buffer_size_(buffer_size),
      storage_(buffer_size ? new std::byte[std::max<std::size_t>(count, 1) * buffer_size] : nullptr),
      msgs_(new mmsghdr[std::max<std::size_t>(count, 1)]()),
      iov_(new iovec[std::max<std::size_t>(count, 1)]()),
      peers_(std::max<std::size_t>(count, 1)) {}

datagram_batch::~datagram_batch() = default;
datagram_batch::datagram_batch(datagram_batch&&) noexcept = default;
datagram_batch& datagram_batch::operator=(datagram_batch&&) noexcept = default;

std::size_t datagram_batch::wire_size(std::size_t i) const noexcept { return msgs_[i].msg_len; }
std::size_t datagram_batch::size(std::size_t i) const noexcept { return std::min(msgs_[i].msg_len, iov_[i].iov_len); }
bool datagram_batch::truncated(std::size_t i) const noexcept { return msgs_[i].msg_len > iov_[i].iov_len; }

std::span<const std::byte> datagram_batch::data(std::size_t i) const noexcept { return {iov_[i].iov_base, size(i)}; }

std::span<std::byte> datagram_batch::buffer(std::size_t i) noexcept {
  return {storage_.get() + i * buffer_size_, buffer_size_};
}

void datagram_batch::prepare(std::size_t i, std::size_t size, const endpoint& to) noexcept {
  assert(size <= buffer_size_);
  prepare(i, std::span<const std::byte>(storage_.get() + i * buffer_size_, size), to);
}

void datagram_batch::prepare(std::size_t i, std::span<const std::byte> data, const endpoint& to) noexcept {
  iov_[i].iov_base = const_cast<std::byte*>(data.data());  // only read when sending
  iov_[i].iov_len = data.size();
  peers_[i] = to;  // empty: the connected peer
  msgs_[i].msg_len = 0;
}

result<std::size_t> try_recv_batch(const socket& s, datagram_batch& b, std::size_t max) {
  const std::size_t n = std::min(max, b.capacity());
  if (n == 0 || b.buffer_size_ == 0) return make_error_code(std::errc::invalid_argument);
  std::size_t k = 0;
  for (; k < n; ++k) {
    auto room = b.buffer(k);
    auto d = try_recv_from(s, room);
    if (!d) {
      if (k > 0) break;  // what came so far is the batch; an error is the next call's, as with recvmmsg
      return d.error();
    }
    b.iov_[k] = {room.data(), d->size};
    b.msgs_[k].msg_len = d->wire_size;
    b.peers_[k] = d->from;
  }
  return k;
}

result<std::size_t> try_send_batch(const socket& s, datagram_batch& b, std::size_t n, std::size_t first) {
  n = std::min(n, b.capacity());
  if (first >= n) return std::size_t{0};
  std::size_t sent = 0;
  for (std::size_t i = first; i < n; ++i) {
    auto r = try_send_to(s, {b.iov_[i].iov_base, b.iov_[i].iov_len}, b.peers_[i]);
    if (!r) {
      if (sent > 0) break;  // the error is the next call's, as sendmmsg does
      return r.error();
    }
    b.msgs_[i].msg_len = *r;
    ++sent;
  }
  return sent;
}

}  // namespace sockit
