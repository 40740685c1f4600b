// The --json writer: objects in the order built, strings escaped so any bytes give valid JSON,
// valid UTF-8 kept as it is, numbers that JSON cannot carry written as null.
#include "json.hpp"
#include "utf8.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "utf8.hpp"

namespace sockit::cli {
namespace {

using namespace std::string_literals;

TEST(json_escape, quotes_and_escapes_what_json_requires) {
  EXPECT_EQ(json_escape(""), R"("")");
  EXPECT_EQ(json_escape("plain"), R"("plain")");
  EXPECT_EQ(json_escape(R"(a"b\c)"), R"("a\"b\\c")");
  EXPECT_EQ(json_escape("l1\nl2\r\t"), R"("l1\nl2\r\t")");
  EXPECT_EQ(json_escape("\x01\x1f\x7f"), R"("\u0001\u001f\u007f")");
  EXPECT_EQ(json_escape("a\0b"s), R"("a\u0000b")");
}

TEST(json_escape, keeps_valid_utf8_and_escapes_other_bytes_one_by_one) {
  EXPECT_EQ(json_escape("caf\xc3\xa9 \xe2\x82\xac"), "\"caf\xc3\xa9 \xe2\x82\xac\"");
  // Not UTF-8 (a lone continuation byte): every byte above 0x7f is escaped as Latin-1.
  EXPECT_EQ(json_escape("\xc3\xa9\x80"), R"("\u00c3\u00a9\u0080")");
  EXPECT_EQ(json_escape("\xff"), R"("\u00ff")");
}

TEST(valid_utf8, follows_rfc_3629) {
  EXPECT_TRUE(valid_utf8(""));
  EXPECT_TRUE(valid_utf8("ascii"));
  EXPECT_TRUE(valid_utf8("\xc2\x80"));               // U+0080
  EXPECT_TRUE(valid_utf8("\xed\x9f\xbf"));           // U+D7FF, just below the surrogates
  EXPECT_TRUE(valid_utf8("\xf4\x8f\xbf\xbf"));       // U+10FFFF
  EXPECT_FALSE(valid_utf8("\xc0\xaf"));              // overlong '/'
  EXPECT_FALSE(valid_utf8("\xe0\x80\xaf"));          // overlong, three bytes
  EXPECT_FALSE(valid_utf8("\xed\xa0\x80"));          // a surrogate, U+D800
  EXPECT_FALSE(valid_utf8("\xf4\x90\x80\x80"));      // above U+10FFFF
  EXPECT_FALSE(valid_utf8("\xe2\x82"));              // cut short
  EXPECT_FALSE(valid_utf8("\xe2\x28\xa1"));          // bad continuation
  EXPECT_FALSE(valid_utf8("\xf5\x80\x80\x80"));      // no such lead byte
}

TEST(json_object, keeps_the_order_and_types_it_was_given) {
  json_object o;
  o.add("event", "listening").add("port", 7).add("ok", true).add("big", std::uint64_t{18446744073709551615u});
  o.add("neg", std::int64_t{-5}).add_null("none").add_raw("list", "[1,2]");
  EXPECT_EQ(o.str(),
            R"({"event":"listening","port":7,"ok":true,"big":18446744073709551615,"neg":-5,"none":null,"list":[1,2]})");
  EXPECT_EQ(json_object().str(), "{}");
}

TEST(json_object, escapes_keys_and_values) {
  json_object o;
  o.add("k\"ey", "v\nal");
  EXPECT_EQ(o.str(), R"({"k\"ey":"v\nal"})");
}

TEST(json_object, numbers_json_cannot_carry_are_null) {
  json_object o;
  o.add("half", 0.5).add("nan", std::nan("")).add("inf", std::numeric_limits<double>::infinity());
  EXPECT_EQ(o.str(), R"({"half":0.5,"nan":null,"inf":null})");
}

}  // namespace
}  // namespace sockit::cli
