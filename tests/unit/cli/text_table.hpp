// Table-driven checks for the CLI's text functions (encoders, escapers, parsers' refusals): each
// row is an input and the text expected for it. Test-only.
#pragma once

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>

namespace sockit::cli::test {

struct text_row {
  std::string in;    // std::string, not a view: rows built from "..."s keep their NUL bytes
  std::string want;
};

// EXPECT_EQ(f(row.in), row.want) for every row; a failure names the row's input.
template <class F>
void expect_each(F&& f, std::initializer_list<text_row> rows) {
  for (const auto& row : rows) EXPECT_EQ(f(row.in), row.want) << "input: " << testing::PrintToString(row.in);
}

}  // namespace sockit::cli::test
