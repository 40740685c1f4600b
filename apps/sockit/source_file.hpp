// The files `sockit send` reads: opened read-only before anything is sent (binary on Windows, no
// CRLF translation), with what the file header says of them. Linux in source_file.cpp, Windows in
// source_file_windows.cpp. Private to the CLI.
#pragma once

#include <cstdint>
#include <string>

#include "sockit/result.hpp"

namespace sockit::cli {

struct source_info {
  std::uint64_t size = 0;
  std::uint32_t mode = 0;  // permission bits (& 07777); on Windows what the C runtime makes of them
  bool regular = false;
  // A regular file whose size says 0 but which has bytes to read (procfs, sysfs): its length is
  // not known until it is read, and the header must say it first.
  bool size_unknown = false;
};

// A C runtime descriptor for `path`, or the error as open(2) gives it.
result<int> open_source(const std::string& path);
result<source_info> stat_source(int fd);
void close_source(int fd) noexcept;

// The last component of `path`, what the receiver is asked to call the file: after the last '/'
// (and on Windows the last '\' or drive's ':' too), trailing separators ignored.
std::string source_base_name(const std::string& path);

}  // namespace sockit::cli
