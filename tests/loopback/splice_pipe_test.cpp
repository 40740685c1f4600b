// splice_pipe between real TCP sockets on loopback: bytes go through the pipe unchanged, the
// tracked size follows fill and drain, a full pipe reports would_block without reading, the end
// of stream is its own error, and a descriptor that cannot splice is recognised as such.
#include "sockit/splice_pipe.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include "sockit/io.hpp"
#include "sockit/options.hpp"
#include "test_support.hpp"

namespace sockit {
namespace {

using namespace test;

TEST(splice_pipe, moves_bytes_between_sockets) {
  auto [a, b] = tcp_pair();
  auto [c, d] = tcp_pair();
  ASSERT_FALSE(set_nonblocking(b, true));
  ASSERT_FALSE(set_nonblocking(c, true));
  auto p = splice_pipe::create();
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_GE(p->capacity(), 4096u);
  EXPECT_TRUE(p->empty());
  auto data = random_bytes(3000, 1);
  ASSERT_FALSE(send_all(a, data).ec);
  std::size_t in = 0;
  for (int i = 0; i < 100 && in < data.size(); ++i) {
    auto n = p->fill_from(b.native_handle());
    if (n) in += *n;
    else ASSERT_EQ(n.error(), errc::would_block);
    if (in < data.size()) usleep(1000);
  }
  EXPECT_EQ(in, data.size());
  EXPECT_EQ(p->size(), data.size());
  auto out = p->drain_to(c.native_handle());
  ASSERT_TRUE(out);
  EXPECT_EQ(*out, data.size());
  EXPECT_TRUE(p->empty());
  std::vector<std::byte> got(data.size());
  ASSERT_FALSE(recv_exact(d, got, deadline::after(quick)).ec);
  EXPECT_EQ(got, data);
  // Nothing to read now; then the end of stream.
  auto none = p->fill_from(b.native_handle());
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error(), errc::would_block);
  ASSERT_FALSE(a.shutdown(shutdown_how::write));
  std::error_code last;
  for (int i = 0; i < 100; ++i) {
    auto n = p->fill_from(b.native_handle());
    if (!n && n.error() != errc::would_block) {
      last = n.error();
      break;
    }
    usleep(1000);
  }
  EXPECT_EQ(last, errc::end_of_stream);
}

TEST(splice_pipe, a_full_pipe_reads_nothing_more) {
  auto [a, b] = tcp_pair();
  ASSERT_FALSE(set_nonblocking(b, true));
  auto p = splice_pipe::create(4096);
  ASSERT_TRUE(p);
  auto data = random_bytes(p->capacity() * 4, 2);
  ASSERT_FALSE(send_all(a, data, deadline::after(quick)).ec);
  for (int i = 0; i < 200 && p->space() > 0; ++i) {
    auto n = p->fill_from(b.native_handle());
    if (!n) usleep(1000);
  }
  EXPECT_EQ(p->size(), p->capacity());
  auto more = p->fill_from(b.native_handle());
  ASSERT_FALSE(more);
  EXPECT_EQ(more.error(), errc::would_block);
  // The pipe's bytes can still be read out with read(2) (the copy fallback).
  std::vector<std::byte> got(p->capacity());
  std::size_t have = 0;
  while (!p->empty()) {
    auto n = p->read_into(std::span<std::byte>(got).subspan(have));
    ASSERT_TRUE(n);
    have += *n;
  }
  EXPECT_EQ(have, got.size());
  EXPECT_TRUE(std::equal(got.begin(), got.end(), data.begin()));
}

TEST(splice_pipe, a_capacity_hint_is_taken_or_the_default_kept) {
  auto p = splice_pipe::create(256 << 10);
  ASSERT_TRUE(p);
  EXPECT_GE(p->capacity(), 4096u);
  auto q = splice_pipe::create(std::size_t{1} << 40);  // absurd: ignored
  ASSERT_TRUE(q);
  EXPECT_GE(q->capacity(), 4096u);
}

TEST(splice_pipe, a_descriptor_that_cannot_splice_is_told_apart) {
  // A UDP socket cannot be spliced from into a pipe: EINVAL, which the relay falls back from.
  auto u = socket::open(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK);
  ASSERT_TRUE(u);
  auto p = splice_pipe::create();
  ASSERT_TRUE(p);
  auto n = p->fill_from(u->native_handle());
  ASSERT_FALSE(n);
  if (n.error() != errc::would_block) EXPECT_TRUE(splice_unsupported(n.error())) << n.error().message();
  EXPECT_TRUE(splice_unsupported(std::make_error_code(std::errc::invalid_argument)));
  EXPECT_FALSE(splice_unsupported(std::make_error_code(std::errc::connection_reset)));
  // Moved-from pipes own nothing.
  splice_pipe moved = std::move(*p);
  EXPECT_TRUE(moved.is_open());
  EXPECT_FALSE(p->is_open());
}

}  // namespace
}  // namespace sockit
