// base64_encode: the RFC 4648 test vectors, both kinds of padding, and the two digits that
// differ between alphabets ('+' and '/').
#include "sockit/base64.hpp"

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>

namespace sockit {
namespace {

using namespace std::string_literals;

struct row {
  std::string in, want;
};

void expect_each(std::initializer_list<row> rows) {
  for (const auto& r : rows) EXPECT_EQ(base64_encode(r.in), r.want) << "input: " << testing::PrintToString(r.in);
}

TEST(Base64, Rfc4648Vectors) {
  expect_each({
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
  });
}

TEST(Base64, HighBytesAndTheLastTwoDigits) {
  expect_each({
      {"\xff\xff\xff"s, "////"},
      {"\xfb\xef\xbe"s, "++++"},
      {"\x00\x00\x00"s, "AAAA"},
      {"\x00"s, "AA=="},
      {"caf\xe9"s, "Y2Fm6Q=="},
  });
}

TEST(Base64, EveryByteValue) {
  std::string all;
  for (int c = 0; c < 256; ++c) all += static_cast<char>(c);
  // python3 -c 'import base64; print(base64.b64encode(bytes(range(256))).decode())'
  EXPECT_EQ(base64_encode(all),
            "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+P0BBQkNERUZHSElKS0xN"
            "Tk9QUVJTVFVWV1hZWltcXV5fYGFiY2RlZmdoaWprbG1ub3BxcnN0dXZ3eHl6e3x9fn+AgYKDhIWGh4iJiouMjY6PkJGSk5SVlpeYmZqb"
            "nJ2en6ChoqOkpaanqKmqq6ytrq+wsbKztLW2t7i5uru8vb6/wMHCw8TFxsfIycrLzM3Oz9DR0tPU1dbX2Nna29zd3t/g4eLj5OXm5+jp"
            "6uvs7e7v8PHy8/T19vf4+fr7/P3+/w==");
}

}  // namespace
}  // namespace sockit
