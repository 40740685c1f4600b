// The Unix address forms: unix:/path, unix:@name, the 107-byte limit, round trips through
// to_string and from_sockaddr.
#include "sockit/unix.hpp"

#include <gtest/gtest.h>

#include <netinet/in.h>

#include "sockit/error.hpp"

namespace sockit {
namespace {

TEST(unix_address, parses_a_path) {
  auto a = unix_address::parse("unix:/tmp/s.sock");
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->is_path());
  EXPECT_FALSE(a->is_abstract());
  EXPECT_EQ(a->name(), "/tmp/s.sock");
  EXPECT_EQ(a->to_string(), "unix:/tmp/s.sock");
  EXPECT_EQ(a->size(), offsetof(sockaddr_un, sun_path) + 12);  // with the NUL
  auto rel = unix_address::parse("unix:rel/s");
  ASSERT_TRUE(rel);
  EXPECT_EQ(rel->name(), "rel/s");
}

TEST(unix_address, parses_an_abstract_name) {
  auto a = unix_address::parse("unix:@sockit-test");
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->is_abstract());
  EXPECT_EQ(a->name(), "sockit-test");
  EXPECT_EQ(a->to_string(), "unix:@sockit-test");
  EXPECT_EQ(a->size(), offsetof(sockaddr_un, sun_path) + 1 + 11);  // no NUL: every byte counts
}

TEST(unix_address, refuses_what_is_not_one) {
  EXPECT_EQ(unix_address::parse("unix:").error(), errc::bad_unix_address);
  EXPECT_EQ(unix_address::parse("unix:@").error(), errc::bad_unix_address);
  EXPECT_EQ(unix_address::parse("/tmp/s").error(), errc::bad_unix_address);
  EXPECT_EQ(unix_address::parse("tcp:/tmp/s").error(), errc::bad_unix_address);
  EXPECT_EQ(unix_address::path(std::string_view("a\0b", 3)).error(), errc::bad_unix_address);
  EXPECT_FALSE(is_unix_address_text("127.0.0.1"));
  EXPECT_FALSE(is_unix_address_text("unix"));
  EXPECT_TRUE(is_unix_address_text("unix:"));
}

TEST(unix_address, path_limit_is_107_bytes) {
  std::string p = "/" + std::string(106, 'p');
  EXPECT_TRUE(unix_address::path(p));
  EXPECT_EQ(unix_address::path(p + "x").error(), errc::unix_path_too_long);
  EXPECT_EQ(unix_address::parse("unix:/" + std::string(200, 'x')).error(), errc::unix_path_too_long);
  EXPECT_TRUE(unix_address::abstract(std::string(107, 'a')));
  EXPECT_EQ(unix_address::abstract(std::string(108, 'a')).error(), errc::unix_path_too_long);
  EXPECT_NE(describe("unix:/x", make_error_code(errc::unix_path_too_long)).find("at most 107 bytes"),
            std::string::npos);
}

TEST(unix_address, round_trips_through_sockaddr) {
  for (const char* text : {"unix:/run/x.sock", "unix:@abc"}) {
    auto a = unix_address::parse(text);
    ASSERT_TRUE(a);
    auto b = unix_address::from_sockaddr(a->data(), a->size());
    ASSERT_TRUE(b);
    EXPECT_EQ(*a, *b);
    EXPECT_EQ(b->to_string(), text);
  }
  sa_family_t only = AF_UNIX;
  auto u = unix_address::from_sockaddr(reinterpret_cast<const sockaddr*>(&only), sizeof only);
  ASSERT_TRUE(u);
  EXPECT_TRUE(u->is_unnamed());
  EXPECT_EQ(u->to_string(), "unix:(unnamed)");
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  EXPECT_FALSE(unix_address::from_sockaddr(reinterpret_cast<const sockaddr*>(&sin), sizeof sin));
}

TEST(unix_address, in_use_compares_equal_to_eaddrinuse) {
  EXPECT_EQ(make_error_code(errc::unix_in_use), std::errc::address_in_use);
  EXPECT_EQ(describe("unix:/tmp/s", make_error_code(errc::unix_in_use)),
            "unix:/tmp/s: a server is listening there (in use)");
}

}  // namespace
}  // namespace sockit
