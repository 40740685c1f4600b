// The loop-thread check (muduo's assertInLoopThread): while a loop runs on one thread, watch and
// the timer calls from another thread abort with a clear line. Built only with SOCKIT_DEATH_TESTS
// (the asan preset), where the check is on (no NDEBUG) and the forked child is cheap to watch.
#include "sockit/event_loop.hpp"

#include <gtest/gtest.h>

#include <future>
#include <thread>

#include <sys/eventfd.h>
#include <unistd.h>

#include "test_support.hpp"

#if defined(SOCKIT_DEATH_TESTS)

namespace sockit {
namespace {

using namespace std::chrono_literals;

// Starts the loop on its own thread, waits until it runs, then calls `fn` from this thread.
template <class F>
void call_from_outside_a_running_loop(F fn) {
  auto loop = test::make_loop();
  std::promise<void> running;
  loop->post([&] { running.set_value(); });
  std::thread t([&] { (void)loop->run(); });
  running.get_future().wait();
  fn(*loop);
  loop->stop();
  t.join();
}

TEST(event_loop_thread_check, watch_from_another_thread_aborts) {
#ifdef NDEBUG
  GTEST_SKIP() << "the check is off under NDEBUG";
#endif
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(call_from_outside_a_running_loop([](event_loop& loop) {
                 int fd = ::eventfd(0, EFD_CLOEXEC);
                 (void)loop.watch(fd, io_readable, [](std::uint32_t) {});
               }),
               "event_loop::watch called from a thread other than the one running the loop");
  EXPECT_DEATH(call_from_outside_a_running_loop([](event_loop& loop) { (void)loop.run_after(1s, [] {}); }),
               "event_loop::run_after called from a thread other than the one running the loop");
  EXPECT_DEATH(call_from_outside_a_running_loop([](event_loop& loop) { loop.cancel(1); }),
               "event_loop::cancel called from a thread other than the one running the loop");
}

TEST(event_loop_thread_check, setting_up_before_run_and_tearing_down_after_is_fine) {
  // Built on this thread, run on another, then touched here again after the join: no abort.
  auto loop = test::make_loop();
  auto id = loop->run_after(1h, [] {});
  std::thread t([&] {
    loop->post([&] { loop->stop(); });
    (void)loop->run();
  });
  t.join();
  loop->cancel(id);
  SUCCEED();
}

}  // namespace
}  // namespace sockit

#endif
