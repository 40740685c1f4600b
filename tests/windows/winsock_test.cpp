// Windows only: Winsock's error category and the library's own start-up.
#include <gtest/gtest.h>

#include "sockit/error.hpp"
#include "sockit/tcp.hpp"

namespace {

TEST(winsock, refused_reads_like_windows_and_compares_like_linux) {
  std::error_code ec(WSAECONNREFUSED, sockit::winsock_category());
  EXPECT_EQ(ec, std::errc::connection_refused);
  auto text = sockit::describe("connect 127.0.0.1:7", ec);
  EXPECT_NE(text.find("(WSAECONNREFUSED)"), std::string::npos) << text;
  EXPECT_EQ(text.rfind("connect 127.0.0.1:7: ", 0), 0u) << text;
  EXPECT_NE(text.back(), '\n');
}

TEST(winsock, common_codes_compare_equal_to_their_posix_conditions) {
  EXPECT_EQ(std::error_code(WSAECONNRESET, sockit::winsock_category()), std::errc::connection_reset);
  EXPECT_EQ(std::error_code(WSAETIMEDOUT, sockit::winsock_category()), std::errc::timed_out);
  EXPECT_EQ(std::error_code(WSAEADDRINUSE, sockit::winsock_category()), std::errc::address_in_use);
  EXPECT_EQ(sockit::make_error_code(sockit::errc::not_supported), std::errc::not_supported);
}

TEST(winsock, the_library_starts_winsock_itself) {
  // No WSAStartup in this test: the library's first socket call must do it.
  auto l = sockit::tcp_listen(sockit::endpoint::loopback_v4(0));
  ASSERT_TRUE(l) << l.error().message();
  auto at = l->local_endpoint();
  ASSERT_TRUE(at);
  auto c = sockit::tcp_connect(*at, sockit::deadline::after(std::chrono::seconds(5)));
  ASSERT_TRUE(c) << sockit::describe("connect", c.error());
}

TEST(winsock, a_refused_connect_is_refused) {
  auto l = sockit::tcp_listen(sockit::endpoint::loopback_v4(0));
  ASSERT_TRUE(l);
  auto at = *l->local_endpoint();
  l = sockit::socket();  // closed: nobody listens there now
  auto c = sockit::tcp_connect(at, sockit::deadline::after(std::chrono::seconds(5)));
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error(), std::errc::connection_refused) << sockit::describe("connect", c.error());
}

}  // namespace
