// Names a receiver accepts from a sender, and where it keeps a partial file.
#include <gtest/gtest.h>

#include <string>

#include "sockit/transfer_name.hpp"

namespace {

using sockit::partial_name;
using sockit::transfer_name_problem;

TEST(transfer_name, ordinary_names_pass) {
  for (const char* n : {"a", "a.txt", "..a", "a..b", "...", ".hidden", "with space", "ünïcödé.txt", "x.sockit-part",
                        "back\\slash", "-rf"}) {
    EXPECT_EQ(transfer_name_problem(n), "") << n;
  }
  EXPECT_EQ(transfer_name_problem(std::string(255, 'a')), "");
}

TEST(transfer_name, hostile_names_are_refused) {
  using namespace std::string_literals;
  for (const std::string& n : {""s, "."s, ".."s, "/etc/passwd"s, "../x"s, "a/b"s, "a/"s, "/"s, "a\0b"s,
                               "a\nb"s, "a\rb"s, "\x1b[2J"s, "a\x7f"s, "tab\t"s, "c1\xc2\x9b"s,
                               std::string(256, 'a'), ".x.sockit-part"s}) {
    EXPECT_NE(transfer_name_problem(n), "") << "accepted: " << n;
  }
}

TEST(transfer_name, windows_refuses_more) {
  for (const char* n : {"a\\b", "..\\x", "c:x", "s:stream", "a*", "a?", "a\"b", "a<b", "a>b", "a|b", "dot.", "space ",
                        "CON", "nul.txt", "Aux", "com1", "LPT9.log", "con .txt"}) {
    EXPECT_NE(sockit::windows_name_problem(n), "") << "accepted: " << n;
  }
  for (const char* n : {"a.txt", ".hidden", "console", "com0", "com10", "lpt", "nul_", "ünïcödé.txt", "a..b"}) {
    EXPECT_EQ(sockit::windows_name_problem(n), "") << n;
  }
#ifdef _WIN32
  EXPECT_NE(sockit::local_name_problem("back\\slash"), "");
#else
  EXPECT_EQ(sockit::local_name_problem("back\\slash"), "");  // a name like any other on Linux
#endif
}

TEST(transfer_name, partial_names) {
  EXPECT_EQ(partial_name("a.txt"), ".a.txt.sockit-part");
  // ".NAME.sockit-part" would pass 255 bytes: a hash of the name instead, still unique per name.
  std::string longest(255, 'n');
  auto p = partial_name(longest);
  EXPECT_LE(p.size(), 255u);
  EXPECT_TRUE(p.starts_with("."));
  EXPECT_TRUE(p.ends_with(".sockit-part"));
  EXPECT_NE(p, partial_name(std::string(254, 'n') + "m"));
  EXPECT_EQ(partial_name(std::string(242, 'n')).size(), 255u);
}

}  // namespace
