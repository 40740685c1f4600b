// The growable buffer: regions, growth, reclaiming the consumed front, shrinking back, and
// read_from through a socketpair/pipe including the stack spill path.
#include "sockit/buffer.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sockit/error.hpp"

namespace sockit {
namespace {

std::string pattern(std::size_t n, std::size_t offset = 0) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (i + offset) % 26);
  return s;
}

struct fd_pair {
  int r = -1, w = -1;
  fd_pair() {
    int sv[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    r = sv[0];
    w = sv[1];
  }
  ~fd_pair() {
    if (r >= 0) ::close(r);
    if (w >= 0) ::close(w);
  }
  void write_all(std::string_view s) const {
    while (!s.empty()) {
      ssize_t n = ::write(w, s.data(), s.size());
      ASSERT_GT(n, 0);
      s.remove_prefix(static_cast<std::size_t>(n));
    }
  }
};

TEST(buffer, starts_empty_without_memory) {
  buffer b;
  EXPECT_TRUE(b.empty());
  EXPECT_EQ(b.size(), 0u);
  EXPECT_EQ(b.capacity(), 0u);
  EXPECT_TRUE(b.view().empty());
}

TEST(buffer, append_and_consume_keep_order) {
  buffer b;
  b.append("hello ");
  b.append(std::string_view("world"));
  EXPECT_EQ(b.view(), "hello world");
  EXPECT_EQ(b.size(), 11u);
  b.consume(6);
  EXPECT_EQ(b.view(), "world");
  EXPECT_EQ(b.readable().size(), 5u);
  EXPECT_EQ(static_cast<char>(b.readable()[0]), 'w');
  b.consume(100);  // more than there is: clamps
  EXPECT_TRUE(b.empty());
  b.append("x");
  EXPECT_EQ(b.view(), "x");
  b.clear();
  EXPECT_TRUE(b.empty());
}

TEST(buffer, empty_append_allocates_nothing) {
  buffer b;
  b.append(std::string_view());
  EXPECT_EQ(b.capacity(), 0u);
}

TEST(buffer, prepare_and_commit) {
  buffer b;
  auto room = b.prepare(10);
  ASSERT_GE(room.size(), 10u);
  std::memcpy(room.data(), "0123456789", 10);
  b.commit(4);
  EXPECT_EQ(b.view(), "0123");
  auto more = b.prepare(3);
  ASSERT_GE(more.size(), 3u);
  std::memcpy(more.data(), "abc", 3);
  b.commit(3);
  EXPECT_EQ(b.view(), "0123abc");
}

TEST(buffer, grows_keeping_content) {
  buffer b(1 << 30);
  std::string expect;
  for (int i = 0; i < 200; ++i) {
    auto chunk = pattern(997, static_cast<std::size_t>(i));
    b.append(chunk);
    expect += chunk;
    ASSERT_GE(b.capacity(), b.size());
  }
  EXPECT_EQ(b.size(), expect.size());
  EXPECT_EQ(b.view(), expect);
}

TEST(buffer, reclaims_consumed_front_before_growing) {
  buffer b(1 << 30);
  b.append(pattern(1000));
  auto cap = b.capacity();
  ASSERT_GE(cap, 1000u);
  b.consume(900);  // 100 left at the back of the storage
  auto free_at_back = cap - 1000;
  // Needs more than the free tail but less than capacity - size: must move, not reallocate.
  std::size_t want = free_at_back + 50;
  ASSERT_LT(want + 100, cap);
  b.append(pattern(want, 7));
  EXPECT_EQ(b.capacity(), cap) << "grew instead of reclaiming the consumed front";
  EXPECT_EQ(b.view(), pattern(100, 900) + pattern(want, 7));
}

TEST(buffer, shrinks_back_when_drained_past_threshold) {
  buffer b(4096);
  b.append(pattern(100000));
  EXPECT_GE(b.capacity(), 100000u);
  b.consume(99999);
  EXPECT_GE(b.capacity(), 100000u) << "released while bytes were still readable";
  EXPECT_EQ(b.view(), pattern(1, 99999));
  b.consume(1);
  EXPECT_EQ(b.capacity(), 0u) << "a large drained buffer must give its memory back";
  b.append("again");
  EXPECT_EQ(b.view(), "again");
}

TEST(buffer, small_buffer_keeps_memory_until_release_if_empty) {
  buffer b;
  b.append("abc");
  auto cap = b.capacity();
  b.consume(3);
  EXPECT_EQ(b.capacity(), cap) << "under the threshold the storage is kept for reuse";
  b.append("z");
  b.release_if_empty();
  EXPECT_EQ(b.capacity(), cap) << "release_if_empty must not free a non-empty buffer";
  EXPECT_EQ(b.view(), "z");
  b.consume(1);
  b.release_if_empty();
  EXPECT_EQ(b.capacity(), 0u);
  b.release_if_empty();  // idempotent
  EXPECT_EQ(b.capacity(), 0u);
}

TEST(buffer, move_transfers_content) {
  buffer a;
  a.append("payload");
  buffer b(std::move(a));
  EXPECT_EQ(b.view(), "payload");
  buffer c;
  c = std::move(b);
  EXPECT_EQ(c.view(), "payload");
}

TEST(buffer, read_from_into_free_space) {
  fd_pair p;
  p.write_all("hello");
  buffer b;
  b.prepare(100);
  auto n = b.read_from(p.r);
  ASSERT_TRUE(n) << n.error().message();
  EXPECT_EQ(*n, 5u);
  EXPECT_EQ(b.view(), "hello");
}

TEST(buffer, read_from_an_empty_buffer_goes_through_the_spill_area) {
  fd_pair p;
  p.write_all("spill me");
  buffer b;
  ASSERT_EQ(b.capacity(), 0u);
  auto n = b.read_from(p.r);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 8u);
  EXPECT_EQ(b.view(), "spill me");
}

TEST(buffer, read_from_larger_than_free_space_spills_and_keeps_order) {
  fd_pair p;
  int big = 1 << 20;
  ASSERT_EQ(::setsockopt(p.w, SOL_SOCKET, SO_SNDBUF, &big, sizeof big), 0);
  ASSERT_EQ(::setsockopt(p.r, SOL_SOCKET, SO_RCVBUF, &big, sizeof big), 0);
  buffer b(1 << 30);
  b.append("pre:");
  auto free_space = b.capacity() - b.size();
  ASSERT_LT(free_space, 1000u);
  auto payload = pattern(free_space + 30000, 3);
  p.write_all(payload);
  std::size_t total = 0;
  while (total < payload.size()) {
    auto n = b.read_from(p.r);
    ASSERT_TRUE(n) << n.error().message();
    ASSERT_GT(*n, 0u);
    total += *n;
  }
  EXPECT_EQ(b.view(), "pre:" + payload);
}

TEST(buffer, read_from_respects_max_bytes) {
  fd_pair p;
  p.write_all(pattern(5000));
  buffer b;
  auto n = b.read_from(p.r, 100);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 100u);
  EXPECT_EQ(b.view(), pattern(100));
  b.prepare(4096);  // now with free space bigger than max_bytes
  auto m = b.read_from(p.r, 10);
  ASSERT_TRUE(m);
  EXPECT_EQ(*m, 10u);
  EXPECT_EQ(b.view(), pattern(110));
}

TEST(buffer, read_from_reports_eof_and_errors) {
  {
    fd_pair p;
    ::close(p.w);
    p.w = -1;
    buffer b;
    auto n = b.read_from(p.r);
    ASSERT_FALSE(n) << "end of stream is an error value, never 0 bytes";
    EXPECT_EQ(n.error(), errc::end_of_stream);
    EXPECT_TRUE(b.empty());
  }
  {
    fd_pair p;
    ASSERT_EQ(::fcntl(p.r, F_SETFL, O_NONBLOCK), 0);
    buffer b;
    auto n = b.read_from(p.r);
    ASSERT_FALSE(n);
    EXPECT_EQ(n.error(), errc::would_block);
    EXPECT_EQ(n.error(), std::errc::resource_unavailable_try_again);
    EXPECT_TRUE(b.empty());
  }
  {
    buffer b;
    auto n = b.read_from(-1);
    ASSERT_FALSE(n);
    EXPECT_EQ(n.error(), std::errc::bad_file_descriptor);
  }
}

TEST(buffer, read_from_a_pipe) {
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  auto payload = pattern(40000, 11);
  ASSERT_EQ(::write(fds[1], payload.data(), payload.size()), static_cast<ssize_t>(payload.size()));
  ::close(fds[1]);
  buffer b;
  for (int i = 0; i < 1000; ++i) {
    auto n = b.read_from(fds[0]);
    if (!n && n.error() == errc::end_of_stream) break;
    ASSERT_TRUE(n) << n.error().message();
  }
  ::close(fds[0]);
  EXPECT_EQ(b.view(), payload);
}

}  // namespace
}  // namespace sockit
