// sockit ping's statistics text against lines iputils ping 20221126 printed for the same times
// (captured on this machine: ping -c 2 127.0.0.1 and ping -6 -c 2 ::1, and a 100% loss run).
#include <gtest/gtest.h>

#include "ping_stats.hpp"

namespace {

using namespace sockit::cli;

ping_stats with_times(std::initializer_list<std::int64_t> us) {
  ping_stats s;
  for (auto t : us) {
    ++s.transmitted;
    ++s.received;
    s.add_rtt(t);
  }
  return s;
}

TEST(ping_stats, rtt_line_matches_iputils_digits) {
  // "64 bytes ... time=0.035 ms", "time=0.052 ms" -> "rtt min/avg/max/mdev = 0.035/0.043/0.052/0.008 ms"
  EXPECT_EQ(rtt_line(with_times({35, 52})), "rtt min/avg/max/mdev = 0.035/0.043/0.052/0.008 ms");
  // ::1: 0.046 and 0.059 -> 0.046/0.052/0.059/0.006
  EXPECT_EQ(rtt_line(with_times({46, 59})), "rtt min/avg/max/mdev = 0.046/0.052/0.059/0.006 ms");
  EXPECT_EQ(rtt_line(ping_stats{}), "");
}

TEST(ping_stats, reply_time_precision_as_iputils) {
  EXPECT_EQ(format_reply_time(45), "0.045");
  EXPECT_EQ(format_reply_time(999), "0.999");
  EXPECT_EQ(format_reply_time(1234), "1.23");
  EXPECT_EQ(format_reply_time(9994), "9.99");
  EXPECT_EQ(format_reply_time(9995), "10.0");
  EXPECT_EQ(format_reply_time(12345), "12.3");
  EXPECT_EQ(format_reply_time(99949), "99.9");
  EXPECT_EQ(format_reply_time(99950), "100");
  EXPECT_EQ(format_reply_time(123456), "123");
}

TEST(ping_stats, transmitted_line_and_loss) {
  ping_stats s;
  s.transmitted = 2;
  EXPECT_EQ(transmitted_line(s, 222), "2 packets transmitted, 0 received, 100% packet loss, time 222ms");
  s.transmitted = 3;
  s.received = 2;
  s.duplicates = 1;
  EXPECT_EQ(transmitted_line(s, 2003), "3 packets transmitted, 2 received, +1 duplicates, 33.3333% packet loss, time 2003ms");
  ping_stats e;
  e.transmitted = 4;
  e.errors = 4;
  EXPECT_EQ(transmitted_line(e, 1554), "4 packets transmitted, 0 received, +4 errors, 100% packet loss, time 1554ms");
}

TEST(ping_stats, summary_block_shapes) {
  ping_stats s;
  s.transmitted = 2;
  // iputils' 100% loss block ends with an empty line.
  EXPECT_EQ(summary_block("10.9.0.2", s, 222),
            "\n--- 10.9.0.2 ping statistics ---\n2 packets transmitted, 0 received, 100% packet loss, time 222ms\n\n");
  // Four errors answered after all four were sent: "pipe 4" alone on the last line.
  ping_stats e;
  e.transmitted = 4;
  for (std::uint16_t seq = 1; seq <= 4; ++seq) {
    ++e.errors;
    e.acknowledge(seq);
  }
  EXPECT_EQ(summary_block("10.9.0.5", e, 1554),
            "\n--- 10.9.0.5 ping statistics ---\n"
            "4 packets transmitted, 0 received, +4 errors, 100% packet loss, time 1554ms\npipe 4\n");
  auto ok = with_times({35, 52});
  EXPECT_EQ(summary_block("127.0.0.1", ok, 241),
            "\n--- 127.0.0.1 ping statistics ---\n2 packets transmitted, 2 received, 0% packet loss, time 241ms\n"
            "rtt min/avg/max/mdev = 0.035/0.043/0.052/0.008 ms\n");
}

TEST(ping_stats, status_line_for_sigquit) {
  auto s = with_times({35, 52});
  s.transmitted = 3;
  EXPECT_EQ(status_line(s), "2/3 packets, 33% loss, min/avg/ewma/max = 0.035/0.043/0.037/0.052 ms");
  ping_stats none;
  none.transmitted = 1;
  EXPECT_EQ(status_line(none), "0/1 packets, 100% loss");
}

TEST(ping_stats, pipe_follows_sequence_wrap) {
  ping_stats s;
  s.transmitted = 65537;  // sequence 1 again
  s.acknowledge(65535);
  EXPECT_EQ(s.pipe, 3);
}

}  // namespace
