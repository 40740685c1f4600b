// Each backend hands back, with every ready event, the generation its registration was given: the
// loop relies on it to drop events meant for a descriptor that was closed and whose number was
// reused (see ready_event). Runs once per engine, like the loop tests.
#include "poller/poller.hpp"

#include <gtest/gtest.h>

#include <sys/socket.h>
#include <unistd.h>

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
  ASSERT_EQ(::write(first.b, "x", 1), 1);  // readable from now on
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
  const int number = first.a;
  ASSERT_FALSE(p.remove(number));
  unix_pair second;
  ASSERT_EQ(::dup2(second.a, number), number);
  ASSERT_EQ(::write(second.b, "y", 1), 1);
  ASSERT_FALSE(p.add(number, io_readable, 0xfffffff0u));  // high bits survive too
  ev = wait_for_one(p);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].fd, number);
  EXPECT_EQ(ev[0].generation, 0xfffffff0u);
  ASSERT_FALSE(p.remove(number));
}

}  // namespace
}  // namespace sockit
