// sockit/datagram_batch.hpp: many datagrams per system call (recvmmsg/sendmmsg), public.
// A datagram_batch is allocated once and reused: no call below allocates. Each entry has a
// buffer of its own (for receiving, or for building a datagram to send), a length, a peer
// endpoint and, after a receive, the datagram's real size:
//
//   entry i:  buffer(i) [ size(i) bytes received | rest of buffer_size() ]   peer(i)  wire_size(i)
//
// An entry can also send from the caller's memory (prepare(i, span, to)): a reply built
// elsewhere then costs no copy into the batch.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <vector>

#include "sockit/endpoint.hpp"
#include "sockit/result.hpp"
#include "sockit/socket.hpp"

struct mmsghdr;
struct iovec;

namespace sockit {

class datagram_batch {
 public:
  // `count` entries (at least 1), each with `buffer_size` bytes of its own (0: send-only, every
  // entry prepared from the caller's memory). The memory is taken here, once, uninitialised.
  datagram_batch(std::size_t count, std::size_t buffer_size);
  ~datagram_batch();
  datagram_batch(datagram_batch&&) noexcept;
  datagram_batch& operator=(datagram_batch&&) noexcept;

  std::size_t capacity() const noexcept { return peers_.size(); }
  std::size_t buffer_size() const noexcept { return buffer_size_; }

  // After try_recv_batch, for i below the count it returned:
  std::span<const std::byte> data(std::size_t i) const noexcept;  // the bytes stored
  std::size_t size(std::size_t i) const noexcept;                 // data(i).size()
  std::size_t wire_size(std::size_t i) const noexcept;            // the datagram's real size
  bool truncated(std::size_t i) const noexcept;                   // MSG_TRUNC: wire_size > size
  const endpoint& peer(std::size_t i) const noexcept { return peers_[i]; }
  // The senders of entries [0, n) side by side (for checks that take many at once).
  std::span<const endpoint> peers(std::size_t n) const noexcept { return {peers_.data(), n}; }

  // Before try_send_batch: entry i sends `size` bytes of its own buffer(i), or `data` (which must
  // stay valid until sent), to `to` (empty: the connected peer).
  std::span<std::byte> buffer(std::size_t i) noexcept;
  void prepare(std::size_t i, std::size_t size, const endpoint& to) noexcept;
  void prepare(std::size_t i, std::span<const std::byte> data, const endpoint& to) noexcept;

 private:
  friend result<std::size_t> try_recv_batch(const socket& s, datagram_batch& b, std::size_t max);
  friend result<std::size_t> try_send_batch(const socket& s, datagram_batch& b, std::size_t n, std::size_t first);

  std::size_t buffer_size_ = 0;
  std::unique_ptr<std::byte[]> storage_;  // capacity() x buffer_size_
  std::unique_ptr<mmsghdr[]> msgs_;
  std::unique_ptr<iovec[]> iov_;
  std::vector<endpoint> peers_;
};

// One recvmmsg that never waits: fills entries [0, k) and returns k (1 <= k <= min(max,
// capacity)); nothing waiting is errc::would_block. A datagram longer than buffer_size() is
// stored cut and marked truncated(), never silently. A pending socket error (an ICMP error for an
// earlier send) comes back as the error of this call or, when datagrams came first, of the next.
result<std::size_t> try_recv_batch(const socket& s, datagram_batch& b, std::size_t max = static_cast<std::size_t>(-1));

// One sendmmsg that never waits, of the prepared entries [first, n): returns how many left, in
// order, from `first` (fewer than n - first when the kernel stopped taking them; call again from
// first + that count to learn why). Nothing sent at all is an error: errc::would_block when the
// send buffer is full, or what refused entry `first` (e.g. EMSGSIZE, ECONNREFUSED).
result<std::size_t> try_send_batch(const socket& s, datagram_batch& b, std::size_t n, std::size_t first = 0);

}  // namespace sockit
