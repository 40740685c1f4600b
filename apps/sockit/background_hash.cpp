// Hashing the file being sent on a second thread (see background_hash.hpp).
#include "background_hash.hpp"

#include <algorithm>

#include "stop_signals.hpp"
#include "sockit/file_hash.hpp"

namespace sockit::cli {

namespace {
// A chunk between looks at stop_ and Ctrl+C: small enough that neither waits long.
constexpr std::uint64_t chunk = 8u << 20;
}  // namespace

background_hash::background_hash(int fd, std::uint64_t size) {
#ifdef _WIN32
  // Windows' positioned read moves the handle's file pointer and puts it back, which a
  // TransmitFile running meanwhile on the same handle must not see: hash first, there.
  constexpr bool concurrent = false;
#else
  constexpr bool concurrent = true;
#endif
  // A small file hashes in less time than a thread takes to start and join.
  if (concurrent && size >= chunk) {
    try {
      thread_ = std::thread([this, fd, size] { run(fd, size); });
      return;
    } catch (const std::system_error&) {  // no thread to be had (out of them): hash here instead
    }
  }
  run(fd, size);
}

background_hash::~background_hash() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void background_hash::run(int fd, std::uint64_t size) noexcept {
  for (std::uint64_t at = 0; at < size && !stop_;) {
    if (stop_requested()) {
      ec_ = std::make_error_code(std::errc::operation_canceled);
      failed_ = true;
      return;
    }
    auto n = std::min(chunk, size - at);
    if (auto ec = hash_file_range(fd, at, n, hash_)) {
      ec_ = ec;
      failed_ = true;
      return;
    }
    at += n;
  }
}

result<hash128> background_hash::get() {
  if (thread_.joinable()) thread_.join();
  if (ec_) return ec_;
  return hash_.digest();
}

}  // namespace sockit::cli
