// The -x / --hex-dump formatter: lines byte for byte as ncat 7.93 writes them (the expected text
// was captured from `ncat --hex-dump`), offsets past ffff, and the dump file of traffic_dumper.
#include "hexdump.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include <unistd.h>

namespace sockit::cli {
namespace {

using namespace std::string_literals;

TEST(Hexdump, MatchesNcatLineForLine) {
  // Space and DEL are shown as '.', hex is lower case, the short last line padded to full width.
  auto data = "hello world, 0123456789abcdef\x00\x01\x7f\xff ~end."s;
  EXPECT_EQ(hexdump(data, 0),
            "0000   68 65 6c 6c 6f 20 77 6f  72 6c 64 2c 20 30 31 32  hello.world,.012\n"
            "0010   33 34 35 36 37 38 39 61  62 63 64 65 66 00 01 7f  3456789abcdef...\n"
            "0020   ff 20 7e 65 6e 64 2e                              ..~end.         \n");
}

TEST(Hexdump, EightBytesKeepTheColumns) {
  EXPECT_EQ(hexdump("12345678", 0), "0000   31 32 33 34 35 36 37 38                           12345678        \n");
  EXPECT_EQ(hexdump("123456789", 0), "0000   31 32 33 34 35 36 37 38  39                       123456789       \n");
}

TEST(Hexdump, PrintableColumnIsExclamationToTilde) {
  std::string all;
  for (int c = 0; c < 256; ++c) all += static_cast<char>(c);
  auto out = hexdump(all, 0);
  std::istringstream lines(out);
  std::string line, text;
  while (std::getline(lines, line)) {
    ASSERT_EQ(line.size(), 73u) << line;
    text += line.substr(57);
  }
  for (int c = 0; c < 256; ++c) {
    char want = (c >= 0x21 && c <= 0x7e) ? static_cast<char>(c) : '.';
    EXPECT_EQ(text[static_cast<std::size_t>(c)], want) << "byte " << c;
  }
}

TEST(Hexdump, OffsetsGrowPastFFFF) {
  auto out = hexdump(std::string(17, 'a'), 0xfff0);
  EXPECT_EQ(out,
            "fff0   61 61 61 61 61 61 61 61  61 61 61 61 61 61 61 61  aaaaaaaaaaaaaaaa\n"
            "10000   61                                                a               \n");
  EXPECT_EQ(hexdump("a", 0x123456789ull).substr(0, 13), "123456789   6");
}

TEST(Hexdump, NothingForNoBytes) { EXPECT_EQ(hexdump("", 0), ""); }

TEST(Hexdump, DumperWritesEachDirectionsOffsetsToTheFile) {
  std::string path = ::testing::TempDir() + "sockit_hexdump_test." + std::to_string(::getpid());
  ASSERT_FALSE(open_hexdump_file(path));
  {
    traffic_dumper dump(false);  // no -x: the file alone
    dump.sent("hi");
    dump.received("yo!");
    dump.sent("x");
  }
  open_hexdump_file("/dev/null");  // let go of the file before reading it
  std::ifstream in(path);
  std::stringstream got;
  got << in.rdbuf();
  EXPECT_EQ(got.str(), hexdump("hi", 0) + hexdump("yo!", 0) + hexdump("x", 2));
  std::remove(path.c_str());
}

TEST(Hexdump, OpeningAMissingDirectoryFails) {
  auto ec = open_hexdump_file("/nonexistent-dir/dump");
  EXPECT_EQ(ec, std::errc::no_such_file_or_directory);
}

}  // namespace
}  // namespace sockit::cli
