// sockit/file_hash.hpp: XXH3-128 over a range of a file's bytes, for the transfer's content hash
// and the resume check (public).
#pragma once

#include <cstdint>
#include <memory>
#include <system_error>

#include "sockit/result.hpp"
#include "sockit/xxh3.hpp"

namespace sockit {

// Adds bytes [offset, offset + length) of `fd` to `h`, read with pread(2) into a small buffer, so
// a file that shrinks meanwhile gives errc::end_of_stream instead of a crash.
std::error_code hash_file_range(int fd, std::uint64_t offset, std::uint64_t length, xxh3_128& h);

// The same through mmap(2) of the page cache, one copy fewer: only for a file nobody else can
// truncate meanwhile (the receiver's own locked partial file), as a mapping of bytes the file no
// longer has raises SIGBUS. A range past the file's end as it is when mapped is
// errc::end_of_stream.
std::error_code hash_mapped_range(int fd, std::uint64_t offset, std::uint64_t length, xxh3_128& h);

// Hashes a file while this thread writes it, on a thread of its own, up to what the writer says
// has reached the file (advance), through a mapping as hash_mapped_range: so the writing thread
// only moves bytes, and the hash runs on the other core meanwhile. It keeps a descriptor of its
// own, so the caller may close or discard the file at any time. On Windows it hashes in
// advance(), on the calling thread, through the caller's descriptor, which must stay open until
// the last advance().
class file_hash_follower {
 public:
  // Follows `fd` from byte `from`; `h` is the hash of the bytes before it.
  static result<std::unique_ptr<file_hash_follower>> start(int fd, std::uint64_t from, xxh3_128 h);
  file_hash_follower(const file_hash_follower&) = delete;
  file_hash_follower& operator=(const file_hash_follower&) = delete;
  ~file_hash_follower();  // stops at the next chunk, without finishing

  // Bytes before `to` are in the file.
  void advance(std::uint64_t to);
  // Hashes up to the last advance, stops, and moves the hash into `out`; or the first error met
  // (a read, or the file shrank), `out` then untouched.
  std::error_code finish(xxh3_128& out);

  struct impl;

 private:
  explicit file_hash_follower(std::unique_ptr<impl> p) noexcept;
  std::unique_ptr<impl> impl_;
};

}  // namespace sockit
