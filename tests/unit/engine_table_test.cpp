// The engine table as the public API shows it, and the test suite's own copy of its names
// (cmake/engines.cmake, which CMake needs before anything is built) kept equal to it.
#include "sockit/engine.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <sys/select.h>

namespace sockit {
namespace {

TEST(engines, cmake_list_is_the_table) {
  // The table lists uring even where this process cannot open a ring (available_engines() leaves
  // it out then), so put it back before comparing.
  std::string names = engine_status(engine::uring) ? "uring" : "";
  for (const auto& info : available_engines()) names += (names.empty() ? "" : " ") + std::string(info.name);
  EXPECT_EQ(names, SOCKIT_CMAKE_ENGINES) << "cmake/engines.cmake and src/poller/engine_table.cpp disagree";
}

TEST(engines, uring_runs_in_ci_and_automatic_picks_it) {
  auto why = engine_status(engine::uring);
  const char* ci = std::getenv("CI");
  if (why && !(ci != nullptr && std::string(ci) == "true")) GTEST_SKIP() << "io_uring unavailable here: " << why.message();
  ASSERT_FALSE(why) << "io_uring_setup: " << why.message();
  EXPECT_EQ(available_engines().front().id, engine::uring);
  EXPECT_FALSE(engine_status(engine::epoll));
  EXPECT_EQ(engine_status(engine::automatic), std::errc::invalid_argument);
}

TEST(engines, names_and_limits_come_from_one_row) {
  auto all = available_engines();
  ASSERT_FALSE(all.empty());
  for (const auto& info : all) {
    auto parsed = parse_engine(info.name);
    ASSERT_TRUE(parsed) << info.name;
    EXPECT_EQ(*parsed, info.id);
    EXPECT_EQ(engine_name(info.id), info.name);
    EXPECT_EQ(info.max_fds, info.id == engine::select ? std::size_t{FD_SETSIZE} : 0u) << info.name;
  }
  EXPECT_EQ(*parse_engine("auto"), engine::automatic);
  EXPECT_EQ(engine_name(engine::automatic), "auto");
  EXPECT_FALSE(parse_engine("kqueue"));
  // Windows' rows are not Linux's.
  EXPECT_FALSE(parse_engine("iocp"));
  EXPECT_FALSE(parse_engine("wsapoll"));
  EXPECT_EQ(engine_status(engine::iocp), std::errc::invalid_argument);
  EXPECT_FALSE(parse_engine(""));
}

}  // namespace
}  // namespace sockit
