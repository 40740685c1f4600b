// sockit/file_hash.hpp: XXH3-128 over a range of a file's bytes, for the transfer's content hash
// and the resume check (public).
#pragma once

#include <cstdint>
#include <system_error>

#include "sockit/xxh3.hpp"

namespace sockit {

// Adds bytes [offset, offset + length) of `fd` to `h`, read with pread(2) into a small buffer, so
// a file that shrinks meanwhile gives errc::end_of_stream instead of a crash.
std::error_code hash_file_range(int fd, std::uint64_t offset, std::uint64_t length, xxh3_128& h);

// The same through mmap(2) of the page cache, one copy fewer: only for a file nobody else can
// truncate meanwhile (the receiver's own locked partial file), as a mapping of bytes the file no
// longer has raises SIGBUS.
std::error_code hash_mapped_range(int fd, std::uint64_t offset, std::uint64_t length, xxh3_128& h);

}  // namespace sockit
