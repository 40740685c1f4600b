// Each backend hands back, with every ready event, the generation its registration was given: the
// loop relies on it to drop events meant for a descriptor that was closed and whose number was
// reused (see ready_event). Runs once per engine, like the loop tests.
#include "poller/poller.hpp"

#include <gtest/gtest.h>

#include <chrono>


#include "test_support.hpp"

namespace sockit {
namespace {

using test::unix_pair;

std::vector<detail::ready_event> wait_for_one(detail::poller& p) {
  std::vector<detail::ready_event> out;
  for (int i = 0; i < 100 && out.empty(); ++i) EXPECT_FALSE(p.wait(out, 10));
  return out;
}

TEST(poller, events_carry_their_registrations_generation) {
  auto made = detail::make_poller(test::engine_under_test());
  ASSERT_TRUE(made) << made.error().message();
  auto& p = **made;
  unix_pair first;
  ASSERT_EQ(test::raw_send(first.b, "x", 1), 1);  // readable from now on
  ASSERT_FALSE(p.add(first.a, io_readable, 7));
  auto ev = wait_for_one(p);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].fd, first.a);
  EXPECT_EQ(ev[0].generation, 7u);
  EXPECT_TRUE(ev[0].events & io_readable);

  // A change of interest keeps the registration, and so its generation.
  ASSERT_FALSE(p.modify(first.a, io_readable | io_writable));
  ev = wait_for_one(p);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].generation, 7u);

  // The descriptor closed and its number reused by a new one: the new registration's number.
  ASSERT_FALSE(p.remove(first.a));
#ifndef _WIN32
  const int number = first.a;
#endif
  unix_pair second;
#ifdef _WIN32
  // Winsock cannot give a socket a chosen number (no dup2): the new registration has its own.
  const int number = second.a;
#else
  ASSERT_EQ(::dup2(second.a, number), number);
#endif
  ASSERT_EQ(test::raw_send(second.b, "y", 1), 1);
  ASSERT_FALSE(p.add(number, io_readable, 0xfffffff0u));  // high bits survive too
  ev = wait_for_one(p);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].fd, number);
  EXPECT_EQ(ev[0].generation, 0xfffffff0u);
  ASSERT_FALSE(p.remove(number));
}

// How many waits of up to 20 ms return in `span`, checking none brings an event: a registration
// that keeps firing with nothing to deliver (a busy loop) returns thousands.
int quiet_waits(detail::poller& p, std::chrono::milliseconds span) {
  std::vector<detail::ready_event> out;
  int waits = 0;
  auto end = std::chrono::steady_clock::now() + span;
  while (std::chrono::steady_clock::now() < end && waits < 100000) {
    EXPECT_FALSE(p.wait(out, 20));
    EXPECT_TRUE(out.empty()) << "unexpected event " << (out.empty() ? 0 : out[0].events);
    ++waits;
  }
  return waits;
}

// A peer that half-closed leaves the socket readable for good (EOF). A registration that is not
// reading must not be woken for it on any backend (io_uring always reports POLLRDHUP, whatever was
// asked), while it still hears what it asked for, and errors and hang-ups.
TEST(poller, a_half_closed_peer_does_not_wake_a_registration_that_is_not_reading) {
  using namespace std::chrono_literals;
  auto made = detail::make_poller(test::engine_under_test());
  ASSERT_TRUE(made) << made.error().message();
  auto& p = **made;
  unix_pair s;
  ASSERT_EQ(test::raw_shutdown_write(s.b), 0);

  ASSERT_FALSE(p.add(s.a, io_readable, 3));  // the EOF is seen once...
  auto ev = wait_for_one(p);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_TRUE(ev[0].events & io_readable);
  ASSERT_FALSE(p.modify(s.a, 0));  // ...then the owner stops reading
  EXPECT_LE(quiet_waits(p, 300ms), 40);

  // Watching for writability only, with the send buffer full: quiet until the peer reads.
  char chunk[4096] = {};
  while (test::raw_send(s.a, chunk, sizeof chunk) > 0) {
  }
  ASSERT_FALSE(p.modify(s.a, io_writable));
  EXPECT_LE(quiet_waits(p, 300ms), 40);
  while (test::raw_recv(s.b, chunk, sizeof chunk) > 0) {
  }
  ev = wait_for_one(p);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].generation, 3u);
  EXPECT_TRUE(ev[0].events & io_writable);

  // Reading again: the EOF is reported again (level-triggered).
  ASSERT_FALSE(p.modify(s.a, io_readable));
  ev = wait_for_one(p);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_TRUE(ev[0].events & io_readable);

  // Watching nothing, then the peer closes: the hang-up still arrives (select has no set for it:
  // it hears a hang-up only as readability or writability, when asked for one).
  ASSERT_FALSE(p.modify(s.a, 0));
  // select has no set for a hang-up; WSAPoll reports a peer's FIN as POLLHUP, the same for a
  // half-close and a close, so it too hears the close only when asked to read (tested above);
  // so does iocp's AFD poll (AFD_POLL_DISCONNECT).
  if (p.name() == "select" || p.name() == "wsapoll" || p.name() == "iocp") return;
  EXPECT_LE(quiet_waits(p, 100ms), 20);
  test::raw_close(s.b);
  s.b = -1;
  ev = wait_for_one(p);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_TRUE(ev[0].events & (io_hangup | io_error)) << ev[0].events;
  ASSERT_FALSE(p.remove(s.a));
}

}  // namespace
}  // namespace sockit
