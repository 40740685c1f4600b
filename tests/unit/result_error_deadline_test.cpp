// result<T>, transfer, the error categories and describe(), and deadlines.
#include <gtest/gtest.h>

#include <cerrno>
#include <cmath>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include <netdb.h>

#include "sockit/deadline.hpp"
#include "sockit/error.hpp"
#include "sockit/result.hpp"

namespace sockit {
namespace {

using namespace std::chrono_literals;

result<int> half(int x) {
  if (x % 2) return std::errc::invalid_argument;
  return x / 2;
}

TEST(result, holds_a_value_or_an_error_never_both) {
  auto ok = half(8);
  ASSERT_TRUE(ok);
  EXPECT_TRUE(ok.has_value());
  EXPECT_EQ(*ok, 4);
  EXPECT_EQ(ok.value(), 4);
  EXPECT_FALSE(ok.error()) << "a value carries no error";
  EXPECT_EQ(ok.value_or(-1), 4);

  auto bad = half(3);
  EXPECT_FALSE(bad);
  EXPECT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error(), std::errc::invalid_argument);
  EXPECT_EQ(bad.value_or(-1), -1);
}

TEST(result, accepts_sockit_errc_and_error_codes) {
  result<int> a = errc::bad_port;
  EXPECT_EQ(a.error(), make_error_code(errc::bad_port));
  EXPECT_EQ(a.error().category(), sockit_category());
  result<int> b = std::error_code(ECONNREFUSED, std::system_category());
  EXPECT_EQ(b.error(), std::errc::connection_refused);
}

TEST(result, move_only_values) {
  result<std::unique_ptr<int>> r = std::make_unique<int>(42);
  ASSERT_TRUE(r);
  EXPECT_EQ(**r, 42);
  auto p = std::move(r).value();
  ASSERT_TRUE(p);
  EXPECT_EQ(*p, 42);
  result<std::string> s = std::string("abc");
  EXPECT_EQ(s->size(), 3u);
}

TEST(transfer, reports_bytes_with_the_error) {
  transfer t;
  EXPECT_TRUE(t.ok());
  EXPECT_TRUE(static_cast<bool>(t));
  t.bytes = 10;
  t.ec = make_error_code(errc::end_of_stream);
  EXPECT_FALSE(t.ok());
  EXPECT_EQ(t.bytes, 10u);
}

TEST(error, describe_renders_context_message_and_errno_name) {
  EXPECT_EQ(describe("connect 127.0.0.1:7", std::error_code(ECONNREFUSED, std::system_category())),
            "connect 127.0.0.1:7: Connection refused (ECONNREFUSED)");
  EXPECT_EQ(describe("connect 127.0.0.1:7", std::make_error_code(std::errc::connection_refused)),
            "connect 127.0.0.1:7: Connection refused (ECONNREFUSED)");
  EXPECT_EQ(describe("recv", std::make_error_code(std::errc::timed_out)), "recv: Connection timed out (ETIMEDOUT)");
  EXPECT_EQ(describe("", std::error_code(EPIPE, std::system_category())), "Broken pipe (EPIPE)");
}

TEST(error, sockit_errors_have_messages_and_no_errno_name) {
  auto d = describe("parse '1.2.3.4:70000'", errc::bad_port);
  EXPECT_EQ(d, "parse '1.2.3.4:70000': port must be a number from 0 to 65535");
  for (auto e : {errc::end_of_stream, errc::bad_address, errc::bad_port, errc::bad_host, errc::fd_out_of_range,
                 errc::message_too_long, errc::no_addresses, errc::bad_duration, errc::would_block}) {
    auto ec = make_error_code(e);
    EXPECT_NE(ec.message(), "unknown sockit error");
    EXPECT_FALSE(ec.message().empty());
    EXPECT_EQ(describe("x", ec).find('('), std::string::npos) << describe("x", ec);
  }
  EXPECT_NE(make_error_code(errc::end_of_stream), std::errc::connection_reset);
  // would_block is EAGAIN by another name, so either spelling tests for it.
  EXPECT_EQ(make_error_code(errc::would_block), std::errc::resource_unavailable_try_again);
  EXPECT_EQ(make_error_code(errc::would_block), std::errc::operation_would_block);
  EXPECT_NE(make_error_code(errc::end_of_stream), std::errc::resource_unavailable_try_again);
  EXPECT_STREQ(sockit_category().name(), "sockit");
}

TEST(error, resolver_errors_use_gai_strerror) {
  std::error_code ec(EAI_NONAME, resolver_category());
  EXPECT_EQ(ec.message(), ::gai_strerror(EAI_NONAME));
  EXPECT_STREQ(resolver_category().name(), "resolver");
  auto d = describe("resolve nowhere.invalid", ec);
  EXPECT_EQ(d, std::string("resolve nowhere.invalid: ") + ::gai_strerror(EAI_NONAME));
}

TEST(error, errno_names) {
  EXPECT_EQ(errno_name(ECONNRESET), "ECONNRESET");
  EXPECT_EQ(errno_name(EAGAIN), "EAGAIN");
  EXPECT_EQ(errno_name(99999), "");
}

TEST(error, last_error_reads_errno) {
  errno = EHOSTUNREACH;
  auto ec = last_error();
  EXPECT_EQ(ec, std::errc::host_unreachable);
  EXPECT_EQ(ec.category(), std::system_category());
}

TEST(deadline, never_waits_forever) {
  deadline d;
  EXPECT_TRUE(d.is_never());
  EXPECT_FALSE(d.expired());
  EXPECT_EQ(d.poll_timeout_ms(), -1);
  EXPECT_TRUE(deadline::never().is_never());
}

TEST(deadline, after_counts_down_and_expires) {
  auto d = deadline::after(10s);
  EXPECT_FALSE(d.is_never());
  EXPECT_FALSE(d.expired());
  int ms = d.poll_timeout_ms();
  EXPECT_GT(ms, 9000);
  EXPECT_LE(ms, 10000);

  auto past = deadline::at(clock::now() - 1s);
  EXPECT_TRUE(past.expired());
  EXPECT_EQ(past.poll_timeout_ms(), 0);

  auto soon = deadline::after(20ms);
  std::this_thread::sleep_for(30ms);
  EXPECT_TRUE(soon.expired());
  EXPECT_EQ(soon.poll_timeout_ms(), 0);
}

TEST(deadline, sub_millisecond_remainder_rounds_up) {
  auto d = deadline::after(std::chrono::microseconds(500));
  int ms = d.poll_timeout_ms();
  if (ms == 0) {
    EXPECT_TRUE(d.expired()) << "0 ms while time is left would be a busy poll";
  } else {
    EXPECT_EQ(ms, 1);
  }
  auto exact = deadline::at(clock::now() + 2500us);
  int m = exact.poll_timeout_ms();
  EXPECT_TRUE(m == 3 || m == 2) << m;
}

TEST(deadline, within_takes_the_earlier) {
  // No deadline: the slice.
  auto a = deadline::never().within(200ms);
  EXPECT_FALSE(a.is_never());
  EXPECT_GT(a.poll_timeout_ms(), 100);
  EXPECT_LE(a.poll_timeout_ms(), 200);
  // A later deadline: the slice.
  auto b = deadline::after(10s).within(200ms);
  EXPECT_LE(b.poll_timeout_ms(), 200);
  // An earlier one, or one already past: itself.
  auto soon = deadline::after(50ms);
  EXPECT_EQ(soon.within(200ms).when(), soon.when());
  auto past = deadline::at(clock::now() - 1s);
  EXPECT_TRUE(past.within(200ms).expired());
  // A huge slice saturates instead of wrapping into the past.
  EXPECT_FALSE(deadline::never().within(clock::duration::max()).expired());
}

TEST(deadline, after_seconds) {
  EXPECT_TRUE(deadline::after_seconds(-1).is_never());
  EXPECT_TRUE(deadline::after_seconds(std::nan("")).is_never());
  auto half = deadline::after_seconds(0.5);
  EXPECT_FALSE(half.is_never());
  EXPECT_GT(half.poll_timeout_ms(), 400);
  EXPECT_LE(half.poll_timeout_ms(), 500);
  EXPECT_TRUE(deadline::after_seconds(0).expired());
  auto huge = deadline::after_seconds(1e300);  // clamped, no overflow into the past
  EXPECT_FALSE(huge.is_never());
  EXPECT_FALSE(huge.expired());
  EXPECT_GT(huge.poll_timeout_ms(), 1000000);
}

}  // namespace
}  // namespace sockit
