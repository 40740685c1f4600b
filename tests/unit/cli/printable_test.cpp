// printable(): what a peer sends is shown to a human without letting it drive the terminal. C0
// controls but tab and newline, DEL, C1 and bytes outside well-formed UTF-8 become \xNN; text,
// UTF-8 included, is unchanged.
#include "printable.hpp"

#include <gtest/gtest.h>

#include <string>

#include "text_table.hpp"
#include "utf8.hpp"

namespace sockit::cli {
namespace {

using namespace std::string_literals;

TEST(Printable, TextIsUnchanged) {
  test::expect_each(printable, {
      {"", ""},
      {"OK Echo: hello world", "OK Echo: hello world"},
      {"tab\tand\nnewline", "tab\tand\nnewline"},
      {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"s, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"s},
      {"\xc2\xa0nbsp"s, "\xc2\xa0nbsp"s},  // U+00A0, the first character past C1
      {"back\\slash ~", "back\\slash ~"},
  });
}

TEST(Printable, TerminalControlsAreEscaped) {
  test::expect_each(printable, {
      {"\x1b[2J\x1b]0;pwned\x07"s, "\\x1b[2J\\x1b]0;pwned\\x07"},
      {"a\rb\x08\x7f"s, "a\\x0db\\x08\\x7f"},
      {"\x00\x01\x1f"s, "\\x00\\x01\\x1f"},
  });
}

TEST(Printable, EveryC0ControlButTabAndNewline) {
  for (int c = 0; c < 0x20; ++c) {
    auto out = printable(std::string(1, static_cast<char>(c)));
    if (c == '\t' || c == '\n') {
      EXPECT_EQ(out, std::string(1, static_cast<char>(c)));
    } else {
      EXPECT_EQ(out.size(), 4u) << c;
      EXPECT_EQ(out.substr(0, 2), "\\x") << c;
    }
  }
}

TEST(Printable, C1AsUtf8AndAsRawBytes) {
  test::expect_each(printable, {
      {"\xc2\x9b" "2J"s, "\\xc2\\x9b2J"},  // U+009B, CSI
      {"\xc2\x80\xc2\x9f"s, "\\xc2\\x80\\xc2\\x9f"},
      {"\x9b" "2J"s, "\\x9b2J"},  // a lone CSI byte, not UTF-8
  });
}

TEST(Printable, BytesOutsideUtf8AreEscapedOneByOne) {
  test::expect_each(printable, {
      {"caf\xe9!"s, "caf\\xe9!"},
      {"\xe2\x82"s, "\\xe2\\x82"},  // cut short
      {"\xed\xa0\x80"s, "\\xed\\xa0\\x80"},  // surrogate
      {"\xc0\xaf"s, "\\xc0\\xaf"},  // overlong '/'
      {"\xff\xc3\xa9"s, "\\xff\xc3\xa9"s},  // good UTF-8 right after a bad byte
  });
}

TEST(Utf8, CharacterLengths) {
  EXPECT_EQ(utf8_char_length(""), 0u);
  EXPECT_EQ(utf8_char_length("a"), 1u);
  EXPECT_EQ(utf8_char_length("\xc3\xa9x"s), 2u);
  EXPECT_EQ(utf8_char_length("\xe2\x82\xac"s), 3u);
  EXPECT_EQ(utf8_char_length("\xf4\x8f\xbf\xbf"s), 4u);  // U+10FFFF
  EXPECT_EQ(utf8_char_length("\xf4\x90\x80\x80"s), 0u);  // above it
  EXPECT_EQ(utf8_char_length("\x80"s), 0u);
  EXPECT_TRUE(valid_utf8("caf\xc3\xa9"s));
  EXPECT_FALSE(valid_utf8("caf\xe9"s));
}

}  // namespace
}  // namespace sockit::cli
