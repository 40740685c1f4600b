// The engine table as the public API shows it, and the test suite's own copy of its names
// (cmake/engines.cmake, which CMake needs before anything is built) kept equal to it.
#include "sockit/engine.hpp"

#include <gtest/gtest.h>

#include <string>
#include <sys/select.h>

namespace sockit {
namespace {

TEST(engines, cmake_list_is_the_table) {
  std::string names;
  for (const auto& info : available_engines()) names += (names.empty() ? "" : " ") + std::string(info.name);
  EXPECT_EQ(names, SOCKIT_CMAKE_ENGINES) << "cmake/engines.cmake and src/poller/engine_table.cpp disagree";
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
  EXPECT_FALSE(parse_engine(""));
}

}  // namespace
}  // namespace sockit
