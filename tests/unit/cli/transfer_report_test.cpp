// send/recv's progress line and --json summary.
#include <gtest/gtest.h>

#include "transfer_progress.hpp"
#include "transfer_summary.hpp"

namespace {

using namespace sockit::cli;

TEST(transfer_progress, human_bytes) {
  EXPECT_EQ(human_bytes(0), "0 B");
  EXPECT_EQ(human_bytes(1023), "1023 B");
  EXPECT_EQ(human_bytes(1024), "1.0 KiB");
  EXPECT_EQ(human_bytes(1536ull << 20), "1.5 GiB");
  EXPECT_EQ(human_bytes(~0ull), "16.0 EiB");
}

TEST(transfer_progress, line_has_percent_rate_and_eta) {
  auto line = progress_line("big.iso", 512ull << 20, 1024ull << 20, 0, 1.0, 100);
  EXPECT_NE(line.find("big.iso ["), std::string::npos) << line;
  EXPECT_NE(line.find(" 50% 512.0 MiB / 1.0 GiB"), std::string::npos) << line;
  EXPECT_NE(line.find("536.9 MB/s"), std::string::npos) << line;
  EXPECT_NE(line.find("ETA 0:01"), std::string::npos) << line;
  EXPECT_LE(line.size(), 100u);
  auto done = progress_line("x", 10, 10, 0, 0.5, 80);
  EXPECT_NE(done.find("100%"), std::string::npos);
  EXPECT_NE(done.find("ETA done"), std::string::npos);
  // Nothing moved yet: no rate, no ETA, and no division by zero (an empty file is done).
  EXPECT_NE(progress_line("x", 0, 10, 0, 0, 80).find("ETA --:--"), std::string::npos);
  EXPECT_NE(progress_line("x", 0, 0, 0, 0, 80).find("100%"), std::string::npos);
  // Resumed bytes do not count in the rate.
  EXPECT_NE(progress_line("x", 200, 400, 100, 1.0, 80).find(" 0.0 MB/s"), std::string::npos);
  // Unknown length (recv --raw).
  EXPECT_EQ(progress_line("raw", 2 << 20, 0, 0, 1.0, 80), "raw  2.0 MiB  2.1 MB/s");
  // A narrow terminal drops the bar and shortens the name.
  auto narrow = progress_line(std::string(100, 'n'), 1, 2, 0, 1, 40);
  EXPECT_EQ(narrow.find('['), std::string::npos);
  EXPECT_NE(narrow.find("~"), std::string::npos);
}

TEST(transfer_summary, shape) {
  transfer_totals t;
  t.role = "send";
  t.peer = "127.0.0.1:9000";
  t.files.push_back({"a", 1000000, 0, {1, 2}});
  t.files.push_back({"b\"q", 3000000, 1000000, {3, 4}});
  t.seconds = 1.5;
  EXPECT_EQ(summary_json(t),
            "{\"role\":\"send\",\"peer\":\"127.0.0.1:9000\",\"raw\":false,\"files\":2,\"bytes\":3000000,"
            "\"seconds\":1.5,\"mb_per_s\":2,\"items\":["
            "{\"name\":\"a\",\"size\":1000000,\"resumed_from\":0,\"hash\":\"00000000000000010000000000000002\"},"
            "{\"name\":\"b\\\"q\",\"size\":3000000,\"resumed_from\":1000000,\"hash\":"
            "\"00000000000000030000000000000004\"}],\"socket_options\":[]}");
  // A name that is not UTF-8 (bytes ff fe 41) goes out as base64, not as two other characters.
  transfer_totals odd;
  odd.files.push_back({"\xff\xfe" "A", 1, 0, {0, 0}});
  EXPECT_NE(summary_json(odd).find("{\"name_base64\":\"//5B\",\"size\":1,"), std::string::npos) << summary_json(odd);
  transfer_totals none;
  none.role = "recv";
  EXPECT_NE(summary_json(none).find("\"files\":0,\"bytes\":0,\"seconds\":0,\"mb_per_s\":0,\"items\":[]"),
            std::string::npos);
}

}  // namespace
