// Every option setter/getter pair, round-tripped through a real socket: the getter must report
// what the kernel really set (for buffers, Linux doubles the request and clamps it).
#include "sockit/options.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <string_view>
#include <vector>

#include "sockit/udp.hpp"
#include "test_support.hpp"

namespace sockit {
namespace {

using namespace std::chrono_literals;

socket tcp_socket() {
  auto s = socket::open(AF_INET, SOCK_STREAM);
  EXPECT_TRUE(s) << s.error().message();
  return s ? std::move(*s) : socket{};
}

long read_sysctl(const char* path, long fallback) {
  std::ifstream f(path);
  long v = fallback;
  if (!(f >> v)) return fallback;
  return v;
}

TEST(options, nonblocking_round_trip) {
  auto s = tcp_socket();
  auto nb = nonblocking(s);
  ASSERT_TRUE(nb);
  EXPECT_FALSE(*nb);
  ASSERT_FALSE(set_nonblocking(s, true));
  EXPECT_TRUE(*nonblocking(s));
  ASSERT_FALSE(set_nonblocking(s, true));  // idempotent
  EXPECT_TRUE(*nonblocking(s));
  ASSERT_FALSE(set_nonblocking(s, false));
  EXPECT_FALSE(*nonblocking(s));
}

TEST(options, timeouts_round_trip) {
  auto s = tcp_socket();
  for (auto t : {microseconds(1500000), microseconds(250000), microseconds(0), microseconds(7000000)}) {
    ASSERT_FALSE(set_recv_timeout(s, t));
    auto r = recv_timeout(s);
    ASSERT_TRUE(r);
    // The kernel keeps timeouts in jiffies and rounds up: read back what it really set.
    EXPECT_GE(r->count(), t.count());
    EXPECT_LE(r->count(), t.count() + 20000);
    ASSERT_FALSE(set_send_timeout(s, t));
    auto w = send_timeout(s);
    ASSERT_TRUE(w);
    EXPECT_GE(w->count(), t.count());
    EXPECT_LE(w->count(), t.count() + 20000);
    EXPECT_EQ(t.count() == 0, w->count() == 0) << "zero (no timeout) must stay zero";
  }
  // Distinct options: setting one leaves the other.
  ASSERT_FALSE(set_recv_timeout(s, 2s));
  ASSERT_FALSE(set_send_timeout(s, 0s));
  EXPECT_EQ(recv_timeout(s)->count(), 2000000);
  EXPECT_EQ(send_timeout(s)->count(), 0);
}

TEST(options, recv_timeout_really_bounds_a_blocking_recv) {
  auto [c, a] = test::tcp_pair();
  ASSERT_FALSE(set_recv_timeout(c, 100ms));
  char b;
  auto start = clock::now();
  ssize_t n = ::recv(c.native_handle(), &b, 1, 0);
  int err = errno;
  EXPECT_EQ(n, -1);
  EXPECT_TRUE(err == EAGAIN || err == EWOULDBLOCK) << err;
  EXPECT_GE(clock::now() - start, 80ms);
  EXPECT_LT(clock::now() - start, 5s);
}

struct flag_case {
  const char* name;
  std::error_code (*set)(const socket&, bool);
  result<bool> (*get)(const socket&);
  int type;
};

class flag_options : public ::testing::TestWithParam<flag_case> {};

TEST_P(flag_options, round_trip) {
  const auto& c = GetParam();
  auto s = socket::open(AF_INET, c.type);
  ASSERT_TRUE(s);
  auto initial = c.get(*s);
  ASSERT_TRUE(initial) << c.name << ": " << initial.error().message();
  EXPECT_FALSE(*initial) << c.name << " defaults to off";
  for (bool v : {true, false, true}) {
    ASSERT_FALSE(c.set(*s, v)) << c.name;
    auto got = c.get(*s);
    ASSERT_TRUE(got) << c.name;
    EXPECT_EQ(*got, v) << c.name;
  }
}

INSTANTIATE_TEST_SUITE_P(
    options, flag_options,
    ::testing::Values(flag_case{"nodelay", set_tcp_nodelay, tcp_nodelay, SOCK_STREAM},
                      flag_case{"cork", set_tcp_cork, tcp_cork, SOCK_STREAM},
                      flag_case{"reuse_address", set_reuse_address, reuse_address, SOCK_STREAM},
                      flag_case{"reuse_port", set_reuse_port, reuse_port, SOCK_STREAM},
                      flag_case{"udp_reuse_port", set_reuse_port, reuse_port, SOCK_DGRAM},
                      flag_case{"broadcast", set_broadcast, broadcast, SOCK_DGRAM}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(options, nodelay_on_a_connected_socket) {
  auto [c, a] = test::tcp_pair();
  ASSERT_FALSE(set_tcp_nodelay(c, true));
  EXPECT_TRUE(*tcp_nodelay(c));
  EXPECT_FALSE(*tcp_nodelay(a));
}

TEST(options, keepalive_round_trip) {
  auto s = tcp_socket();
  keepalive_config k{.enabled = true, .idle = 30s, .interval = 5s, .count = 3};
  ASSERT_FALSE(set_keepalive(s, k));
  auto got = keepalive(s);
  ASSERT_TRUE(got) << got.error().message();
  EXPECT_EQ(*got, k);

  keepalive_config k2{.enabled = true, .idle = 1s, .interval = 1s, .count = 1};
  ASSERT_FALSE(set_keepalive(s, k2));
  EXPECT_EQ(*keepalive(s), k2);

  ASSERT_FALSE(set_keepalive(s, keepalive_config{}));
  auto off = keepalive(s);
  ASSERT_TRUE(off);
  EXPECT_FALSE(off->enabled);
}

TEST(options, keepalive_refuses_out_of_range_values) {
  auto s = tcp_socket();
  keepalive_config bad{.enabled = true, .idle = 0s, .interval = 5s, .count = 3};
  EXPECT_EQ(set_keepalive(s, bad), std::errc::invalid_argument);
  keepalive_config bad_count{.enabled = true, .idle = 10s, .interval = 5s, .count = 0};
  EXPECT_EQ(set_keepalive(s, bad_count), std::errc::invalid_argument);
}

TEST(options, buffer_sizes_report_what_the_kernel_set) {
  long wmax = read_sysctl("/proc/sys/net/core/wmem_max", 212992);
  long rmax = read_sysctl("/proc/sys/net/core/rmem_max", 212992);
  auto s = tcp_socket();
  for (int req : {16384, 65536}) {
    ASSERT_FALSE(set_send_buffer_size(s, req));
    auto snd = send_buffer_size(s);
    ASSERT_TRUE(snd);
    EXPECT_EQ(*snd, 2 * std::min<long>(req, wmax)) << "request " << req;
    ASSERT_FALSE(set_recv_buffer_size(s, req));
    auto rcv = recv_buffer_size(s);
    ASSERT_TRUE(rcv);
    EXPECT_EQ(*rcv, 2 * std::min<long>(req, rmax)) << "request " << req;
  }
  // A request over the limit is clamped, not refused.
  ASSERT_FALSE(set_send_buffer_size(s, 1 << 30));
  EXPECT_EQ(*send_buffer_size(s), 2 * std::min<long>(1 << 30, wmax));
  // A tiny request is raised to the kernel's minimum (which is more than asked).
  ASSERT_FALSE(set_send_buffer_size(s, 1));
  auto tiny = send_buffer_size(s);
  ASSERT_TRUE(tiny);
  EXPECT_GT(*tiny, 1);
  EXPECT_LT(*tiny, 16384);
}

TEST(options, linger_round_trip) {
  auto s = tcp_socket();
  auto initial = linger(s);
  ASSERT_TRUE(initial);
  EXPECT_FALSE(initial->has_value());
  for (auto v : {std::optional<seconds>(0s), std::optional<seconds>(5s), std::optional<seconds>()}) {
    ASSERT_FALSE(set_linger(s, v));
    auto got = linger(s);
    ASSERT_TRUE(got);
    EXPECT_EQ(got->has_value(), v.has_value());
    if (v && *got) {
      EXPECT_EQ((*got)->count(), v->count());
    }
  }
}

TEST(options, udp_broadcast_on_a_bound_socket) {
  auto u = udp_bind(endpoint::loopback_v4(0));
  ASSERT_TRUE(u);
  EXPECT_FALSE(*broadcast(*u));
  ASSERT_FALSE(set_broadcast(*u, true));
  EXPECT_TRUE(*broadcast(*u));
}

TEST(options, errors_on_a_closed_descriptor) {
  socket none;
  EXPECT_EQ(set_tcp_nodelay(none, true), std::errc::bad_file_descriptor);
  auto r = tcp_nodelay(none);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), std::errc::bad_file_descriptor);
  EXPECT_FALSE(nonblocking(none));
  EXPECT_FALSE(keepalive(none));
  EXPECT_FALSE(linger(none));
}

TEST(options, tcp_options_on_udp_are_refused) {
  auto u = udp_open(AF_INET);
  ASSERT_TRUE(u);
  EXPECT_TRUE(set_tcp_nodelay(*u, true));
  EXPECT_FALSE(tcp_cork(*u));
}

TEST(options, tcp_user_timeout_round_trip) {
  auto s = tcp_socket();
  auto t = tcp_user_timeout(s);
  ASSERT_TRUE(t) << t.error().message();
  EXPECT_EQ(*t, 0ms) << "the kernel default";
  ASSERT_FALSE(set_tcp_user_timeout(s, 1500ms));
  EXPECT_EQ(*tcp_user_timeout(s), 1500ms);
  ASSERT_FALSE(set_tcp_user_timeout(s, 0ms));
  EXPECT_EQ(*tcp_user_timeout(s), 0ms);
}

TEST(options, bind_address_no_port_round_trip) {
  auto s = tcp_socket();
  EXPECT_FALSE(*bind_address_no_port(s));
  ASSERT_FALSE(set_bind_address_no_port(s, true));
  EXPECT_TRUE(*bind_address_no_port(s));
  ASSERT_FALSE(set_bind_address_no_port(s, false));
  EXPECT_FALSE(*bind_address_no_port(s));
}

TEST(options, v6_only_round_trip) {
  auto s = socket::open(AF_INET6, SOCK_STREAM);
  if (!s) GTEST_SKIP() << "no IPv6 sockets: " << s.error().message();
  ASSERT_FALSE(set_v6_only(*s, true));
  EXPECT_TRUE(*v6_only(*s));
  ASSERT_FALSE(set_v6_only(*s, false));
  EXPECT_FALSE(*v6_only(*s));
  EXPECT_FALSE(v6_only(tcp_socket())) << "an IPv4 socket has no IPV6_V6ONLY";
}

TEST(options, bind_device_round_trip) {
  auto u = udp_open(AF_INET);
  ASSERT_TRUE(u);
  auto none = bind_device(*u);
  ASSERT_TRUE(none) << none.error().message();
  EXPECT_EQ(*none, "");
  auto ec = set_bind_device(*u, "lo");
  if (ec == std::errc::operation_not_permitted) GTEST_SKIP() << "SO_BINDTODEVICE needs CAP_NET_RAW before Linux 5.7";
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(*bind_device(*u), "lo");
  ASSERT_FALSE(set_bind_device(*u, ""));
  EXPECT_EQ(*bind_device(*u), "");
  EXPECT_EQ(set_bind_device(*u, "no-such-if0"), std::errc::no_such_device);
  // 16 bytes or more: the kernel would bind whatever its first 15 name; refused before it is asked.
  EXPECT_EQ(set_bind_device(*u, "lo_and_a_much_longer_name"), std::errc::invalid_argument);
  EXPECT_EQ(set_bind_device(*u, std::string_view("lo\0x", 4)), std::errc::invalid_argument);
}

TEST(options, dont_fragment_round_trip_both_families) {
  auto u = udp_open(AF_INET);
  ASSERT_TRUE(u);
  EXPECT_FALSE(*dont_fragment(*u));
  ASSERT_FALSE(set_dont_fragment(*u, true));
  EXPECT_TRUE(*dont_fragment(*u));
  ASSERT_FALSE(set_dont_fragment(*u, false));
  EXPECT_FALSE(*dont_fragment(*u));
  auto u6 = udp_open(AF_INET6);
  if (!u6) GTEST_SKIP() << "no IPv6 sockets: " << u6.error().message();
  ASSERT_FALSE(set_dont_fragment(*u6, true));
  EXPECT_TRUE(*dont_fragment(*u6));
}

TEST(options, path_mtu_of_a_connected_socket) {
  auto u = udp_open(AF_INET);
  ASSERT_TRUE(u);
  EXPECT_EQ(path_mtu(*u).error(), std::errc::not_connected);
  ASSERT_FALSE(udp_connect(*u, endpoint::loopback_v4(9)));
  auto mtu = path_mtu(*u);
  ASSERT_TRUE(mtu) << mtu.error().message();
  EXPECT_GE(*mtu, 1280);  // lo: 65536 by default
}

}  // namespace
}  // namespace sockit
