// tcp_connect's deadline against a port that drops SYNs: a single address gives up with
// timed_out near the deadline, and several candidates share one budget (the sum is not a budget
// per address). No root needed: a listener with backlog 0 whose accept queue is full makes the
// kernel drop further SYNs, exactly as a filtering firewall does.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "sockit/deadline.hpp"
#include "sockit/endpoint.hpp"
#include "sockit/error.hpp"
#include "sockit/options.hpp"
#include "sockit/tcp.hpp"

namespace sockit {
namespace {

using namespace std::chrono_literals;
using secs = std::chrono::duration<double>;

// A listener on `at` (port 0) that never accepts, its queue filled until a short connect times
// out: from then on SYNs to it are dropped. The fillers must stay open, so they are kept here.
struct dropping_port {
  socket listener;
  std::vector<socket> fillers;
  endpoint where;
};

// Empty `where` when the kernel did not start dropping (then the caller skips with the reason).
dropping_port make_dropping_port(const endpoint& at) {
  dropping_port d;
  listen_options lo;
  lo.backlog = 0;
  auto l = tcp_listen(at, lo);
  if (!l) return d;
  d.listener = std::move(*l);
  auto local = d.listener.local_endpoint();
  if (!local) return d;
  for (int i = 0; i < 8; ++i) {
    auto c = tcp_connect(*local, deadline::after(200ms));
    if (!c) {
      if (c.error() == std::errc::timed_out) d.where = *local;
      return d;
    }
    d.fillers.push_back(std::move(*c));
  }
  return d;
}

TEST(tcp_connect_deadline, dropped_port_times_out_near_the_deadline) {
  auto d = make_dropping_port(endpoint::loopback_v4(0));
  if (d.where.empty()) GTEST_SKIP() << "this kernel does not drop SYNs to a full accept queue";
  auto start = clock::now();
  auto s = tcp_connect(d.where, deadline::after(500ms));
  auto took = secs(clock::now() - start).count();
  ASSERT_FALSE(s) << "connected to a port whose queue is full";
  EXPECT_EQ(s.error(), std::errc::timed_out) << s.error().message();
  EXPECT_GE(took, 0.45);
  EXPECT_LT(took, 3.0);  // generous: a loaded machine; without a deadline it would wait ~2 min
}

TEST(tcp_connect_deadline, candidates_share_one_budget) {
  auto a = make_dropping_port(endpoint::loopback_v4(0));
  auto b = make_dropping_port(*endpoint::numeric("127.0.0.2", 0));
  if (a.where.empty() || b.where.empty()) GTEST_SKIP() << "this kernel does not drop SYNs to a full accept queue";
  std::vector<endpoint> candidates{a.where, b.where, a.where};
  endpoint answered;
  auto start = clock::now();
  auto s = tcp_connect(candidates, deadline::after(1s), &answered);
  auto took = secs(clock::now() - start).count();
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error(), std::errc::timed_out) << s.error().message();
  EXPECT_GE(took, 0.95);
  // A budget per address would take 3 s; one shared budget ends at 1 s (plus scheduling slack).
  EXPECT_LT(took, 1.8) << "the deadline was not shared across the candidates";
}

TEST(tcp_connect_deadline, budget_spent_on_a_dropped_address_is_not_renewed_for_the_next) {
  auto d = make_dropping_port(endpoint::loopback_v4(0));
  if (d.where.empty()) GTEST_SKIP() << "this kernel does not drop SYNs to a full accept queue";
  // The second candidate would accept at once, but the first used the whole budget.
  auto good = tcp_listen(endpoint::loopback_v4(0));
  ASSERT_TRUE(good) << good.error().message();
  std::vector<endpoint> candidates{d.where, *good->local_endpoint()};
  auto start = clock::now();
  auto s = tcp_connect(candidates, deadline::after(300ms));
  auto took = secs(clock::now() - start).count();
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error(), std::errc::timed_out);
  EXPECT_LT(took, 2.0);
}

// connect_options::stop: a flag raised elsewhere (a signal handler in the CLI) ends a connect that
// would otherwise wait for its deadline behind a dropping port, and later candidates are not tried.
TEST(tcp_connect_deadline, stop_ends_a_pending_connect_well_before_the_deadline) {
  auto d = make_dropping_port(endpoint::loopback_v4(0));
  if (d.where.empty()) GTEST_SKIP() << "this kernel does not drop SYNs to a full accept queue";
  auto good = tcp_listen(endpoint::loopback_v4(0));
  ASSERT_TRUE(good) << good.error().message();
  std::vector<endpoint> candidates{d.where, *good->local_endpoint()};
  std::atomic<bool> flag{false};
  int asked = 0;
  connect_options o;
  o.by = deadline::after(30s);
  o.stop = [&] {
    ++asked;
    return flag.load();
  };
  std::thread raiser([&] {
    std::this_thread::sleep_for(300ms);
    flag = true;
  });
  auto start = clock::now();
  auto s = tcp_connect(candidates, o);
  auto took = secs(clock::now() - start).count();
  raiser.join();
  ASSERT_FALSE(s) << "went on to the next candidate after the stop";
  EXPECT_EQ(s.error(), std::errc::operation_canceled) << s.error().message();
  EXPECT_GE(asked, 2);    // asked again while waiting, not only once before
  EXPECT_LT(took, 10.0);  // generous: a loaded machine; without the stop it would wait 30 s
}

TEST(tcp_connect_deadline, options_leave_the_socket_nonblocking_and_say_who_answered) {
  auto good = tcp_listen(endpoint::loopback_v4(0));
  ASSERT_TRUE(good) << good.error().message();
  endpoint answered;
  int prepared = 0;
  connect_options o;
  o.by = deadline::after(5s);
  o.nonblocking = true;
  o.connected_to = &answered;
  o.prepare = [&](const socket&) {
    ++prepared;
    return std::error_code{};
  };
  o.stop = [] { return false; };
  std::vector<endpoint> candidates{*good->local_endpoint()};
  auto s = tcp_connect(candidates, o);
  ASSERT_TRUE(s) << s.error().message();
  EXPECT_EQ(answered, *good->local_endpoint());
  EXPECT_EQ(prepared, 1);
  auto nb = nonblocking(*s);
  if (nb || nb.error() != errc::not_supported) {  // Winsock cannot say
    ASSERT_TRUE(nb) << nb.error().message();
    EXPECT_TRUE(*nb);
  }
}

}  // namespace
}  // namespace sockit
