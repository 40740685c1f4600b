// The reactor: watch/modify/unwatch, callbacks that change the watch set, timers (ordering,
// cancel, periodic), cross-thread post/stop, signals through the loop, run_once.
#include "sockit/event_loop.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <csignal>
#include <future>
#include <thread>
#include <vector>

#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "test_support.hpp"

namespace sockit {
namespace {

using namespace std::chrono_literals;
using test::quick;
using test::run_until;
using test::unix_pair;

// Runs loop.run() on a thread of its own; `ended` becomes ready, with run()'s result, once it
// returns. The thread is joined on destruction.
struct run_in_thread {
  explicit run_in_thread(event_loop& loop) : thread([this, &loop] { done.set_value(loop.run()); }) {}
  std::promise<std::error_code> done;
  std::future<std::error_code> ended = done.get_future();
  std::jthread thread;
};

TEST(event_loop, engine_names) {
  auto loop = test::make_loop();
  EXPECT_EQ(loop->engine_name(), test::expected_engine_name());
  EXPECT_EQ(*parse_engine("auto"), engine::automatic);
  EXPECT_EQ(*parse_engine("epoll"), engine::epoll);
  EXPECT_EQ(*parse_engine("poll"), engine::poll);
  EXPECT_EQ(*parse_engine("select"), engine::select);
  EXPECT_EQ(engine_name(engine::select), "select");
  auto bad = parse_engine("kqueue");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error(), std::errc::invalid_argument);
  EXPECT_EQ(engine_name(engine::epoll), "epoll");
  EXPECT_EQ(engine_name(engine::automatic), "auto");
}

TEST(event_loop, watch_modify_unwatch) {
  auto loop = test::make_loop();
  unix_pair p;
  std::vector<std::uint32_t> seen;
  EXPECT_EQ(loop->watched_count(), 0u);
  ASSERT_FALSE(loop->watch(p.a, io_readable, [&](std::uint32_t ev) { seen.push_back(ev); }));
  EXPECT_TRUE(loop->watching(p.a));
  EXPECT_EQ(loop->watched_count(), 1u);

  ASSERT_FALSE(loop->run_once(10ms));
  EXPECT_TRUE(seen.empty()) << "nothing to read yet";

  p.poke();
  ASSERT_FALSE(loop->run_once(quick));
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_TRUE(seen[0] & io_readable);
  EXPECT_FALSE(seen[0] & io_writable);

  // Level-triggered: still readable until drained.
  ASSERT_FALSE(loop->run_once(quick));
  EXPECT_EQ(seen.size(), 2u);
  char c;
  ASSERT_EQ(::read(p.a, &c, 1), 1);

  seen.clear();
  ASSERT_FALSE(loop->modify(p.a, io_writable));
  ASSERT_FALSE(loop->run_once(quick));
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_TRUE(seen[0] & io_writable);
  EXPECT_FALSE(seen[0] & io_readable);

  ASSERT_FALSE(loop->unwatch(p.a));
  EXPECT_FALSE(loop->watching(p.a));
  EXPECT_EQ(loop->watched_count(), 0u);
  seen.clear();
  p.poke();
  ASSERT_FALSE(loop->run_once(20ms));
  EXPECT_TRUE(seen.empty()) << "unwatched descriptor still reported";
}

TEST(event_loop, watch_errors) {
  auto loop = test::make_loop();
  unix_pair p;
  EXPECT_EQ(loop->watch(-1, io_readable, [](std::uint32_t) {}), std::errc::bad_file_descriptor);
  ASSERT_FALSE(loop->watch(p.a, io_readable, [](std::uint32_t) {}));
  EXPECT_EQ(loop->watch(p.a, io_readable, [](std::uint32_t) {}), std::errc::file_exists);
  EXPECT_TRUE(loop->modify(p.b, io_readable));
  EXPECT_TRUE(loop->unwatch(p.b));
  EXPECT_FALSE(loop->watching(100000));
  int closed = ::dup(p.b);
  ::close(closed);
  EXPECT_TRUE(loop->watch(closed, io_readable, [](std::uint32_t) {})) << "a closed fd cannot be watched";
  EXPECT_FALSE(loop->watching(closed));
}

TEST(event_loop, hangup_is_reported_without_asking) {
  auto loop = test::make_loop();
  unix_pair p;
  std::uint32_t got = 0;
  // select(2) has no hang-up bit: there a hang-up shows only as readability, so it needs read
  // interest (documented in docs/design.md). epoll and poll report it with no interest at all.
  bool is_select = test::engine_under_test() == engine::select;
  ASSERT_FALSE(loop->watch(p.a, is_select ? io_readable : 0, [&](std::uint32_t ev) { got |= ev; }));
  ::close(p.b);
  p.b = -1;
  ASSERT_TRUE(run_until(*loop, [&] { return got != 0; }));
  EXPECT_TRUE(got & (is_select ? io_readable : io_hangup));
}

TEST(event_loop, callback_unwatching_itself) {
  auto loop = test::make_loop();
  unix_pair p;
  p.poke();  // stays readable: a level-triggered loop would call again if still watched
  int calls = 0;
  ASSERT_FALSE(loop->watch(p.a, io_readable, [&](std::uint32_t) {
    ++calls;
    EXPECT_FALSE(loop->unwatch(p.a));
  }));
  for (int i = 0; i < 3; ++i) ASSERT_FALSE(loop->run_once(10ms));
  EXPECT_EQ(calls, 1);
  EXPECT_FALSE(loop->watching(p.a));
  // And it can be watched again afterwards.
  ASSERT_FALSE(loop->watch(p.a, io_readable, [&](std::uint32_t) { calls += 10; }));
  ASSERT_FALSE(loop->run_once(quick));
  EXPECT_EQ(calls, 11);
}

TEST(event_loop, callback_watching_new_descriptors) {
  auto loop = test::make_loop();
  unix_pair first;
  std::vector<std::unique_ptr<unix_pair>> more;
  int new_calls = 0;
  first.poke();
  ASSERT_FALSE(loop->watch(first.a, io_readable, [&](std::uint32_t) {
    char c;
    (void)::read(first.a, &c, 1);
    // Enough new registrations to force the loop's fd table to grow under this callback.
    for (int i = 0; i < 50; ++i) {
      more.push_back(std::make_unique<unix_pair>());
      more.back()->poke();
      EXPECT_FALSE(loop->watch(more.back()->a, io_readable, [&, fd = more.back()->a](std::uint32_t) {
        ++new_calls;
        char d;
        (void)::read(fd, &d, 1);
      }));
    }
  }));
  ASSERT_FALSE(loop->run_once(quick));
  EXPECT_EQ(more.size(), 50u);
  ASSERT_TRUE(run_until(*loop, [&] { return new_calls == 50; })) << new_calls;
  for (auto& s : more) EXPECT_FALSE(loop->unwatch(s->a));
}

TEST(event_loop, no_stale_event_for_a_descriptor_reused_in_the_same_turn) {
  auto loop = test::make_loop();
  auto p1 = std::make_unique<unix_pair>();
  auto p2 = std::make_unique<unix_pair>();
  p1->poke();
  p2->poke();
  bool done = false;
  bool new_called = false;
  int reused_fd = -1;
  // Whichever runs first closes the other and puts a quiet descriptor under the same number.
  auto first_cb = [&](int other_idx) {
    return [&, other_idx](std::uint32_t) {
      if (done) return;
      done = true;
      auto& victim = other_idx == 1 ? p1 : p2;
      int victim_fd = victim->a;
      EXPECT_FALSE(loop->unwatch(victim_fd));
      int quiet = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);  // never readable
      ASSERT_GE(quiet, 0);
      ASSERT_EQ(::dup2(quiet, victim_fd), victim_fd);  // closes the old one, reuses its number
      ::close(quiet);
      victim->a = -1;
      reused_fd = victim_fd;
      EXPECT_FALSE(loop->watch(victim_fd, io_readable, [&](std::uint32_t) { new_called = true; }));
    };
  };
  ASSERT_FALSE(loop->watch(p1->a, io_readable, first_cb(2)));
  ASSERT_FALSE(loop->watch(p2->a, io_readable, first_cb(1)));
  ASSERT_FALSE(loop->run_once(quick));
  ASSERT_GE(reused_fd, 0);
  EXPECT_FALSE(new_called) << "the closed descriptor's readiness was delivered to its successor";
  (void)loop->unwatch(reused_fd);
  ::close(reused_fd);
}

TEST(event_loop, one_shot_timers_fire_in_order) {
  auto loop = test::make_loop();
  std::vector<int> order;
  auto start = clock::now();
  loop->run_after(60ms, [&] { order.push_back(3); });
  loop->run_after(20ms, [&] { order.push_back(1); });
  loop->run_after(40ms, [&] { order.push_back(2); });
  loop->run_after(40ms, [&] { order.push_back(22); });  // same delay, later id: after 2
  ASSERT_TRUE(run_until(*loop, [&] { return order.size() == 4; }));
  EXPECT_EQ(order, (std::vector<int>{1, 2, 22, 3}));
  EXPECT_GE(clock::now() - start, 55ms);
  // One-shot: they do not fire again.
  ASSERT_FALSE(loop->run_once(80ms));
  EXPECT_EQ(order.size(), 4u);
}

TEST(event_loop, run_once_waits_for_the_next_timer_not_longer) {
  auto loop = test::make_loop();
  bool fired = false;
  loop->run_after(30ms, [&] { fired = true; });
  auto start = clock::now();
  ASSERT_FALSE(loop->run_once(10s));
  if (!fired) ASSERT_FALSE(loop->run_once(10s));  // an early wake-up may need one more turn
  EXPECT_TRUE(fired);
  EXPECT_LT(clock::now() - start, 2s);
  EXPECT_GE(clock::now() - start, 25ms);

  start = clock::now();
  ASSERT_FALSE(loop->run_once(50ms));
  EXPECT_GE(clock::now() - start, 45ms) << "run_once returned before max_wait with nothing to do";
}

TEST(event_loop, cancel_before_firing) {
  auto loop = test::make_loop();
  bool fired = false;
  auto id = loop->run_after(20ms, [&] { fired = true; });
  loop->cancel(id);
  loop->cancel(id);         // twice: no-op
  loop->cancel(999999);     // unknown: no-op
  bool later = false;
  loop->run_after(60ms, [&] { later = true; });
  ASSERT_TRUE(run_until(*loop, [&] { return later; }));
  EXPECT_FALSE(fired);
}

TEST(event_loop, periodic_timer_repeats_until_cancelled) {
  auto loop = test::make_loop();
  int ticks = 0;
  auto id = loop->run_every(10ms, [&] { ++ticks; });
  ASSERT_TRUE(run_until(*loop, [&] { return ticks >= 5; }));
  loop->cancel(id);
  int at_cancel = ticks;
  auto end = clock::now() + 60ms;
  while (clock::now() < end) ASSERT_FALSE(loop->run_once(10ms));
  EXPECT_EQ(ticks, at_cancel);
}

TEST(event_loop, periodic_timer_cancelled_from_its_own_callback) {
  auto loop = test::make_loop();
  int ticks = 0;
  event_loop::timer_id id = 0;
  id = loop->run_every(5ms, [&] {
    if (++ticks == 3) loop->cancel(id);
  });
  ASSERT_TRUE(run_until(*loop, [&] { return ticks >= 3; }));
  auto end = clock::now() + 50ms;
  while (clock::now() < end) ASSERT_FALSE(loop->run_once(5ms));
  EXPECT_EQ(ticks, 3);
}

TEST(event_loop, one_shot_cancelling_itself_and_scheduling_another) {
  auto loop = test::make_loop();
  int a = 0, b = 0;
  event_loop::timer_id id = 0;
  id = loop->run_after(5ms, [&] {
    ++a;
    loop->cancel(id);  // already fired: harmless
    loop->run_after(5ms, [&] { ++b; });
  });
  ASSERT_TRUE(run_until(*loop, [&] { return b == 1; }));
  EXPECT_EQ(a, 1);
}

TEST(event_loop, post_from_another_thread_wakes_a_blocked_run) {
  auto loop = test::make_loop();
  std::atomic<bool> ran{false};
  run_in_thread runner(*loop);
  std::this_thread::sleep_for(50ms);  // let run() block in its wait
  auto start = clock::now();
  loop->post([&] {
    EXPECT_TRUE(loop->in_loop_thread());
    ran = true;
    loop->stop();
  });
  ASSERT_EQ(runner.ended.wait_for(quick), std::future_status::ready) << "post() did not wake the loop";
  EXPECT_FALSE(runner.ended.get());
  EXPECT_TRUE(ran);
  EXPECT_LT(clock::now() - start, 2s);
  EXPECT_FALSE(loop->in_loop_thread());
}

TEST(event_loop, stop_from_another_thread) {
  auto loop = test::make_loop();
  run_in_thread runner(*loop);
  std::this_thread::sleep_for(50ms);
  loop->stop();
  ASSERT_EQ(runner.ended.wait_for(quick), std::future_status::ready) << "stop() did not end run()";
}

TEST(event_loop, stop_right_after_starting_is_never_lost) {
  // The racy window: run() just started on a new thread while another thread stops it.
  for (int i = 0; i < 50; ++i) {
    auto loop = test::make_loop();
    run_in_thread runner(*loop);
    loop->stop();
    ASSERT_EQ(runner.ended.wait_for(quick), std::future_status::ready) << "iteration " << i;
  }
}

TEST(event_loop, many_posts_from_many_threads_all_run_in_order_per_thread) {
  auto loop = test::make_loop();
  constexpr int threads = 4, per_thread = 500;
  std::vector<std::vector<int>> seen(threads);
  std::atomic<int> total{0};
  run_in_thread runner(*loop);
  {
    std::vector<std::jthread> posters;
    for (int t = 0; t < threads; ++t) {
      posters.emplace_back([&, t] {
        for (int i = 0; i < per_thread; ++i) {
          loop->post([&, t, i] {
            seen[t].push_back(i);
            if (++total == threads * per_thread) loop->stop();
          });
        }
      });
    }
  }
  ASSERT_EQ(runner.ended.wait_for(quick), std::future_status::ready) << total.load();
  for (int t = 0; t < threads; ++t) {
    ASSERT_EQ(seen[t].size(), static_cast<std::size_t>(per_thread));
    for (int i = 0; i < per_thread; ++i) EXPECT_EQ(seen[t][i], i);
  }
}

TEST(event_loop, post_on_the_loop_thread_runs_in_the_same_turn) {
  auto loop = test::make_loop();
  int n = 0;
  loop->post([&] {
    ++n;
    loop->post([&] { ++n; });
  });
  auto start = clock::now();
  ASSERT_FALSE(loop->run_once(5s));
  ASSERT_FALSE(loop->run_once(5s));
  EXPECT_EQ(n, 2);
  EXPECT_LT(clock::now() - start, 1s) << "a posted task must not wait for max_wait";
}

TEST(event_loop, stop_before_run_counts_once) {
  auto loop = test::make_loop();
  loop->stop();
  auto start = clock::now();
  EXPECT_FALSE(loop->run());
  EXPECT_LT(clock::now() - start, 2s);
  // The next run() is not stopped by the old request.
  bool ran = false;
  loop->run_after(30ms, [&] {
    ran = true;
    loop->stop();
  });
  EXPECT_FALSE(loop->run());
  EXPECT_TRUE(ran);
}

void expect_signal_through_loop(int sig, bool use_pthread_kill) {
  sigset_t before;
  ASSERT_EQ(::pthread_sigmask(SIG_SETMASK, nullptr, &before), 0);
  {
    auto loop = test::make_loop();
    std::vector<int> got;
    ASSERT_FALSE(loop->on_signals({SIGINT, SIGTERM}, [&](int s) {
      got.push_back(s);
      loop->stop();
    }));
    EXPECT_EQ(loop->watched_count(), 0u) << "the loop's own descriptors are not counted";
    EXPECT_EQ(loop->on_signals({SIGHUP}, [](int) {}), std::errc::device_or_resource_busy);
    // Now blocked in this thread, which runs the loop: the signal waits for the loop.
    if (use_pthread_kill) {
      ASSERT_EQ(::pthread_kill(::pthread_self(), sig), 0);
    } else {
      ASSERT_EQ(::raise(sig), 0);
    }
    ASSERT_TRUE(run_until(*loop, [&] { return !got.empty(); }));
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0], sig);
  }
  sigset_t after;
  ASSERT_EQ(::pthread_sigmask(SIG_SETMASK, nullptr, &after), 0);
  EXPECT_EQ(sigismember(&after, sig), sigismember(&before, sig)) << "mask not restored";
}

TEST(event_loop, sigterm_through_on_signals) { expect_signal_through_loop(SIGTERM, false); }
TEST(event_loop, sigint_through_on_signals) { expect_signal_through_loop(SIGINT, true); }

}  // namespace
}  // namespace sockit
