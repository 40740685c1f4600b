// The loop at the edges of what its backend can do, on every engine: a descriptor numbered past
// FD_SETSIZE (select must refuse it cleanly, epoll and poll must serve it) and a wait interrupted
// by a signal handler (EINTR is a normal wake-up, not an error).
#include "sockit/event_loop.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <csignal>
#include <thread>

#include <pthread.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sockit/error.hpp"
#include "test_support.hpp"

namespace sockit {
namespace {

using namespace std::chrono_literals;
using test::run_until;
using test::unix_pair;

// Raises the soft RLIMIT_NOFILE for the test's duration (dup2 refuses targets past it).
class fd_room {
 public:
  explicit fd_room(rlim_t need) {
    ok_ = ::getrlimit(RLIMIT_NOFILE, &saved_) == 0;
    if (!ok_ || saved_.rlim_cur >= need) return;
    rlimit more = saved_;
    more.rlim_cur = need;
    ok_ = need <= saved_.rlim_max && ::setrlimit(RLIMIT_NOFILE, &more) == 0;
    restore_ = ok_;
  }
  ~fd_room() {
    if (restore_) ::setrlimit(RLIMIT_NOFILE, &saved_);
  }
  bool ok() const { return ok_; }

 private:
  rlimit saved_{};
  bool ok_ = false, restore_ = false;
};

TEST(event_loop, descriptor_past_fd_setsize) {
  constexpr int high = FD_SETSIZE + 10;
  fd_room room(high + 16);
  if (!room.ok()) GTEST_SKIP() << "RLIMIT_NOFILE hard limit below " << high + 16;
  auto loop = test::make_loop();
  ASSERT_TRUE(loop);
  unix_pair p;
  ASSERT_EQ(::dup2(p.a, high), high);
  int hits = 0;
  auto ec = loop->watch(high, io_readable, [&](std::uint32_t) {
    ++hits;
    char c;
    (void)::read(high, &c, 1);
  });
  if (loop->engine_name() == "select") {
    // select's fd_set has FD_SETSIZE bits: watching past it must fail, not write past the set.
    EXPECT_EQ(ec, make_error_code(errc::fd_out_of_range)) << ec.message();
    EXPECT_FALSE(loop->watching(high));
    EXPECT_EQ(loop->watched_count(), 0u);
  } else {
    ASSERT_FALSE(ec) << ec.message();
  }
  // Either way the loop carries on: a low descriptor still works, and (epoll, poll) the high one.
  unix_pair low;
  int low_hits = 0;
  ASSERT_FALSE(loop->watch(low.a, io_readable, [&](std::uint32_t) {
    ++low_hits;
    char c;
    (void)::read(low.a, &c, 1);
  }));
  ASSERT_EQ(::write(low.b, "x", 1), 1);
  ASSERT_EQ(::write(p.b, "y", 1), 1);
  EXPECT_TRUE(run_until(*loop, [&] { return low_hits > 0 && (ec || hits > 0); }));
  EXPECT_EQ(hits, ec ? 0 : 1);
  if (!ec) (void)loop->unwatch(high);
  (void)loop->unwatch(low.a);
  ::close(high);
}

std::atomic<int> usr1_count{0};
void on_usr1(int) { usr1_count.fetch_add(1); }

TEST(event_loop, wait_interrupted_by_a_signal_carries_on) {
  // A handler without SA_RESTART: the backend's wait returns EINTR.
  struct sigaction sa{}, old{};
  sa.sa_handler = on_usr1;
  sigemptyset(&sa.sa_mask);
  ASSERT_EQ(::sigaction(SIGUSR1, &sa, &old), 0);
  sigset_t unblock, saved_mask;
  sigemptyset(&unblock);
  sigaddset(&unblock, SIGUSR1);
  ASSERT_EQ(::pthread_sigmask(SIG_UNBLOCK, &unblock, &saved_mask), 0);
  usr1_count = 0;
  {
    auto loop = test::make_loop();
    ASSERT_TRUE(loop);
    pthread_t self = ::pthread_self();
    std::thread kicker([self] {
      std::this_thread::sleep_for(100ms);
      ::pthread_kill(self, SIGUSR1);
    });
    auto start = std::chrono::steady_clock::now();
    auto ec = loop->run_once(5s);
    auto took = std::chrono::steady_clock::now() - start;
    kicker.join();
    EXPECT_FALSE(ec) << "EINTR surfaced as an error: " << ec.message();
    EXPECT_EQ(usr1_count.load(), 1);
    EXPECT_LT(took, 4s) << "the signal did not interrupt the wait";
    // And the loop goes on serving.
    unix_pair p;
    int hits = 0;
    ASSERT_FALSE(loop->watch(p.a, io_readable, [&](std::uint32_t) { ++hits; }));
    ASSERT_EQ(::write(p.b, "x", 1), 1);
    bool timer = false;
    loop->run_after(10ms, [&] { timer = true; });
    EXPECT_TRUE(run_until(*loop, [&] { return hits > 0 && timer; }));
    (void)loop->unwatch(p.a);
  }
  ::pthread_sigmask(SIG_SETMASK, &saved_mask, nullptr);
  ::sigaction(SIGUSR1, &old, nullptr);
}

}  // namespace
}  // namespace sockit
