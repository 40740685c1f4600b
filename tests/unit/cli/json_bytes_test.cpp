// The --json writer's byte fields: valid UTF-8 goes under the plain key, anything else as base64
// under KEY_base64, never both; so "caf\xc3\xa9" and a payload that really is "Ã©" differ.
#include "json.hpp"

#include <gtest/gtest.h>

#include <string>

namespace sockit::cli {
namespace {

using namespace std::string_literals;

std::string one(std::string_view bytes) { return json_object().add_bytes("data", bytes).str(); }

TEST(JsonBytes, ValidUtf8StaysText) {
  EXPECT_EQ(one("hello"), R"({"data":"hello"})");
  EXPECT_EQ(one(""), R"({"data":""})");
  EXPECT_EQ(one("caf\xc3\xa9"s), "{\"data\":\"caf\xc3\xa9\"}");
  EXPECT_EQ(one("\xc3\x83\xc2\xa9"s), "{\"data\":\"\xc3\x83\xc2\xa9\"}");  // "Ã©" as UTF-8
  EXPECT_EQ(one("a\"b\\c\n\x01"s), R"({"data":"a\"b\\c\n\u0001"})");
}

TEST(JsonBytes, AnythingElseIsBase64UnderItsOwnKey) {
  EXPECT_EQ(one("caf\xe9"s), R"({"data_base64":"Y2Fm6Q=="})");           // Latin-1 é
  EXPECT_EQ(one("\xc3\xa9\xff"s), R"({"data_base64":"w6n/"})");         // stray byte after UTF-8
  EXPECT_EQ(one("\xed\xa0\x80"s), R"({"data_base64":"7aCA"})");         // a surrogate
  EXPECT_EQ(one("\xc3"s), R"({"data_base64":"ww=="})");                 // cut in the middle
  EXPECT_EQ(json_object().add("from", "x").add_bytes("payload", "\x80"s).add("size", 1).str(),
            R"({"from":"x","payload_base64":"gA==","size":1})");
}

TEST(JsonBytes, NeverBothKeys) {
  for (auto bytes : {"ok"s, "\x80"s, "\xe2\x82\xac"s, "\xe2\x82"s}) {
    auto s = one(bytes);
    bool text = s.find("\"data\":") != std::string::npos;
    bool b64 = s.find("\"data_base64\":") != std::string::npos;
    EXPECT_NE(text, b64) << s;
  }
}

}  // namespace
}  // namespace sockit::cli
