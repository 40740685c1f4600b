// The CLI11 names a header needs to declare a flag adder. CLI11 2.1 is header-only and each file that
// includes it compiles its validators again (about 10 s at -O2 -g), so only the files that define
// options include <CLI/CLI.hpp>.
#pragma once

namespace CLI {
class App;
class Option;
class Validator;
class ParseError;
}  // namespace CLI
