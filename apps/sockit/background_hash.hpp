// The XXH3-128 of a whole file computed on a thread of its own while `sockit send` sends the same
// bytes with sendfile, so the body starts at once instead of after a pass over the file (the hash
// then travels in the trailer, wire::flag_hash_after). Private to the CLI.
#pragma once

#include <atomic>
#include <cstdint>
#include <system_error>
#include <thread>

#include "sockit/result.hpp"
#include "sockit/xxh3.hpp"

namespace sockit::cli {

class background_hash {
 public:
  // Starts hashing bytes [0, size) of `fd`, which must stay open until get() or destruction. A
  // small file, or one on Windows, or where no thread can be started, is hashed here and now.
  background_hash(int fd, std::uint64_t size);
  background_hash(const background_hash&) = delete;
  background_hash& operator=(const background_hash&) = delete;
  ~background_hash();  // stops the thread at its next chunk and joins it

  // True once hashing has failed (a read error, the file shrank): the body need not go on.
  bool failed() const noexcept { return failed_; }
  // Waits for the hash; a read error, errc::end_of_stream for a file that shrank, or
  // operation_canceled after Ctrl+C (which the hash looks at between chunks).
  result<hash128> get();

 private:
  void run(int fd, std::uint64_t size) noexcept;
  std::atomic<bool> stop_{false};
  std::atomic<bool> failed_{false};
  xxh3_128 hash_;
  std::error_code ec_;
  std::thread thread_;  // last: started once the members it writes exist
};

}  // namespace sockit::cli
