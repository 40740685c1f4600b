// Batches of datagrams through recvmmsg/sendmmsg (see datagram_batch.hpp).
#include "sockit/datagram_batch.hpp"

#include <algorithm>
#include <cassert>
#include <sys/uio.h>

#include "detail/net.hpp"
#include "detail/syscall.hpp"

namespace sockit {

datagram_batch::datagram_batch(std::size_t count, std::size_t buffer_size)
    : buffer_size_(buffer_size),
      // new T[n] without (): left uninitialised, so a large buffer costs address space until the
      // kernel writes into it, not resident memory.
      storage_(buffer_size ? new std::byte[std::max<std::size_t>(count, 1) * buffer_size] : nullptr),
      msgs_(new mmsghdr[std::max<std::size_t>(count, 1)]()),
      iov_(new iovec[std::max<std::size_t>(count, 1)]()),
      peers_(std::max<std::size_t>(count, 1)) {
  for (std::size_t i = 0; i < peers_.size(); ++i) {
    auto& h = msgs_[i].msg_hdr;
    h.msg_iov = &iov_[i];
    h.msg_iovlen = 1;
  }
}

datagram_batch::~datagram_batch() = default;
datagram_batch::datagram_batch(datagram_batch&&) noexcept = default;
datagram_batch& datagram_batch::operator=(datagram_batch&&) noexcept = default;

std::size_t datagram_batch::wire_size(std::size_t i) const noexcept { return msgs_[i].msg_len; }

std::size_t datagram_batch::size(std::size_t i) const noexcept {
  return std::min<std::size_t>(msgs_[i].msg_len, iov_[i].iov_len);
}

bool datagram_batch::truncated(std::size_t i) const noexcept { return (msgs_[i].msg_hdr.msg_flags & MSG_TRUNC) != 0; }

std::span<const std::byte> datagram_batch::data(std::size_t i) const noexcept {
  return {static_cast<const std::byte*>(iov_[i].iov_base), size(i)};
}

std::span<std::byte> datagram_batch::buffer(std::size_t i) noexcept {
  return {storage_.get() + i * buffer_size_, buffer_size_};
}

void datagram_batch::prepare(std::size_t i, std::size_t size, const endpoint& to) noexcept {
  assert(size <= buffer_size_);
  prepare(i, std::span<const std::byte>(storage_.get() + i * buffer_size_, size), to);
}

void datagram_batch::prepare(std::size_t i, std::span<const std::byte> data, const endpoint& to) noexcept {
  iov_[i].iov_base = const_cast<std::byte*>(data.data());  // sendmmsg only reads it
  iov_[i].iov_len = data.size();
  auto& h = msgs_[i].msg_hdr;
  if (to.empty()) {
    h.msg_name = nullptr;
    h.msg_namelen = 0;
  } else {
    peers_[i] = to;
    h.msg_name = peers_[i].data();
    h.msg_namelen = to.size();
  }
  h.msg_control = nullptr;
  h.msg_controllen = 0;
  h.msg_flags = 0;
  msgs_[i].msg_len = 0;
}

result<std::size_t> try_recv_batch(const socket& s, datagram_batch& b, std::size_t max) {
  const std::size_t n = std::min(max, b.capacity());
  if (n == 0 || b.buffer_size_ == 0) return make_error_code(std::errc::invalid_argument);
  for (std::size_t i = 0; i < n; ++i) {
    b.iov_[i].iov_base = b.storage_.get() + i * b.buffer_size_;
    b.iov_[i].iov_len = b.buffer_size_;
    auto& h = b.msgs_[i].msg_hdr;
    h.msg_name = b.peers_[i].data();
    h.msg_namelen = endpoint::capacity();
    h.msg_control = nullptr;
    h.msg_controllen = 0;
    h.msg_flags = 0;
  }
  // MSG_TRUNC makes each msg_len the datagram's real length, so a cut one is visible by size too.
  auto got = detail::check_res([&] {
    return ::recvmmsg(s.native_handle(), b.msgs_.get(), static_cast<unsigned>(n), MSG_DONTWAIT | MSG_TRUNC, nullptr);
  });
  if (!got) return got.error();
  const auto k = static_cast<std::size_t>(*got);
  for (std::size_t i = 0; i < k; ++i) {
    // A sender without an address (never for UDP) leaves an empty endpoint, not stale bytes.
    if (b.msgs_[i].msg_hdr.msg_namelen == 0) b.peers_[i] = endpoint{};
  }
  return k;
}

result<std::size_t> try_send_batch(const socket& s, datagram_batch& b, std::size_t n, std::size_t first) {
  n = std::min(n, b.capacity());
  if (first >= n) return std::size_t{0};
  auto sent = detail::check_res([&] {
    return ::sendmmsg(s.native_handle(), b.msgs_.get() + first, static_cast<unsigned>(n - first),
                      MSG_NOSIGNAL | MSG_DONTWAIT);
  });
  if (!sent) return sent.error();
  return static_cast<std::size_t>(*sent);
}

}  // namespace sockit
