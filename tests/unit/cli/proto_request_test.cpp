// proto call's command lines to request frames: the command word in any case, the text after one
// space kept byte for byte, raw codes 0-255, and a reason for every refusal.
#include "proto/request.hpp"

#include <gtest/gtest.h>

#include <string>

#include "sockit/frame_codec.hpp"

#include "text_table.hpp"

namespace sockit::cli::proto {
namespace {

request parsed(std::string_view line) {
  request r;
  std::string error;
  EXPECT_TRUE(parse_request(line, r, error)) << "'" << line << "': " << error;
  return r;
}

std::string refused(std::string_view line) {
  request r;
  std::string error;
  EXPECT_FALSE(parse_request(line, r, error)) << "'" << line << "' was accepted";
  EXPECT_FALSE(error.empty()) << "'" << line << "': no reason given";
  return error;
}

TEST(proto_request, commands_without_text) {
  EXPECT_EQ(parsed("ping").code, sockit::proto::cmd_ping);
  EXPECT_EQ(parsed("TIME").code, sockit::proto::cmd_time);
  EXPECT_EQ(parsed("Quit").code, sockit::proto::cmd_quit);
  EXPECT_EQ(parsed("  ping").name, "ping");  // leading blanks are not a word
  EXPECT_TRUE(parsed("ping").payload.empty());
}

TEST(proto_request, echo_keeps_its_text_byte_for_byte) {
  auto r = parsed("echo  two  spaces\tand a tab ");
  EXPECT_EQ(r.code, sockit::proto::cmd_echo);
  EXPECT_EQ(r.name, "echo");
  EXPECT_EQ(r.payload, " two  spaces\tand a tab ");
  EXPECT_EQ(parsed("ECHO").payload, "");
  EXPECT_EQ(parsed("echo -x --").payload, "-x --");
}

TEST(proto_request, raw_takes_any_code_byte) {
  auto r = parsed("raw 99 some text");
  EXPECT_EQ(r.code, 99);
  EXPECT_EQ(r.payload, "some text");
  EXPECT_EQ(parsed("raw 0").code, 0);
  EXPECT_EQ(parsed("raw 255").code, 255);
  EXPECT_EQ(parsed("RAW 1").name, "raw");
}

TEST(proto_request, refusals_say_why) {
  cli::test::expect_each(refused, {
      {"", "empty command"},
      {"   ", "empty command"},
      {"Bogus thing", "unknown command 'Bogus'"},
      {"ping now", "'ping' takes no text"},
      {"time x", "'time' takes no text"},
  });
  for (auto bad : {"raw", "raw 256", "raw -1", "raw x", "raw 1x", "raw  1"}) {
    EXPECT_NE(refused(bad).find("raw needs a command code from 0 to 255"), std::string::npos) << bad;
  }
}

}  // namespace
}  // namespace sockit::cli::proto
