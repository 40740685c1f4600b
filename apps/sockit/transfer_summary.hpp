// What `sockit send`/`recv --json` print when they finish: one object on stdout with the totals
// and one entry per file (docs/commands/send.md has the shape). Private to the CLI.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sockit/xxh3.hpp"

namespace sockit::cli {

struct file_outcome {
  std::string name;
  std::uint64_t size = 0;          // the whole file
  std::uint64_t resumed_from = 0;  // bytes the receiver already held (not sent again)
  hash128 hash;
};

struct transfer_totals {
  std::string role;  // "send" or "recv"
  std::string peer;  // "127.0.0.1:9000"
  bool raw = false;
  std::vector<file_outcome> files;
  double seconds = 0;
  std::string socket_options = "[]";  // JSON: the option flags as the kernel applied them
};

// {"role":"send","peer":"127.0.0.1:9000","raw":false,"files":1,"bytes":1073741824,"seconds":1.62,
//  "mb_per_s":662.8,"items":[{"name":"big.iso","size":1073741824,"resumed_from":0,"hash":"..."}],
//  "socket_options":[{"option":"SO_RCVBUF","asked":"100000","got":"200000"}]}
// "bytes" counts what crossed the connection (size - resumed_from summed), the rate is over it.
std::string summary_json(const transfer_totals& t);

}  // namespace sockit::cli
