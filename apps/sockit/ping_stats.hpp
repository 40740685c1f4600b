// sockit ping's statistics and the text iputils ping prints from them, as pure functions so the
// unit tests compare them with iputils' own output. Private to the CLI.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace sockit::cli {

// One host's counts and round-trip times, in microseconds as iputils keeps them (its printed
// averages and mdev are integer microseconds too, so ours match to the digit).
struct ping_stats {
  std::uint64_t transmitted = 0;
  std::uint64_t received = 0;    // distinct sequences answered
  std::uint64_t duplicates = 0;  // answers to a sequence already answered
  std::uint64_t corrupted = 0;   // replies whose checksum was wrong
  std::uint64_t errors = 0;      // ICMP errors (unreachable, time exceeded) for our requests
  // Over received + duplicates replies, as iputils counts them.
  std::int64_t tmin_us = 0;
  std::int64_t tmax_us = 0;
  std::int64_t tsum_us = 0;
  std::int64_t tsum2_us = 0;  // sum of squares (fits: 2^63 us^2 is ~3e9 s^2 per sum)
  std::int64_t ewma_x8 = 0;   // iputils' smoothed rtt, times 8
  std::uint64_t timed = 0;    // how many times went into the sums
  int pipe = 0;               // the most requests outstanding when one was answered (iputils' "pipe")

  void add_rtt(std::int64_t us);
  // Called for each answer (reply or error) to `seq` once `transmitted` requests were sent.
  void acknowledge(std::uint16_t seq);
};

// A reply's time as iputils prints it: three significant digits below 100 ms ("0.045",
// "12.3", "1.23"), whole milliseconds above ("123").
std::string format_reply_time(std::int64_t us);

// "3 packets transmitted, 3 received, +1 duplicates, 0% packet loss, time 2003ms"
std::string transmitted_line(const ping_stats& s, std::int64_t elapsed_ms);

// The mean deviation in microseconds, computed as iputils does.
std::int64_t mdev_us(const ping_stats& s);

// "rtt min/avg/max/mdev = 0.030/0.041/0.050/0.008 ms", or "" when nothing was timed.
std::string rtt_line(const ping_stats& s);

// The block ping prints at the end for one host: a blank line, "--- HOST ping statistics ---",
// the transmitted line and the rtt line when there is one ("pipe N" appended, or alone, when more
// than one request was in flight), then iputils' closing newline.
std::string summary_block(std::string_view host, const ping_stats& s, std::int64_t elapsed_ms);

// SIGQUIT's running line (stderr): "3/3 packets, 0% loss, min/avg/ewma/max = a/b/c/d ms".
std::string status_line(const ping_stats& s);

// The loss as iputils prints it with %g: "0", "33.3333", "100".
std::string loss_percent(const ping_stats& s);

}  // namespace sockit::cli
