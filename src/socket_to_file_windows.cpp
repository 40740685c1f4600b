// Windows has no splice(2) and no pipes a socket can feed: open() answers errc::not_supported,
// and a caller (`sockit recv`) receives with recv and writes the file itself.
#include "sockit/socket_to_file.hpp"

#include <utility>

#include "sockit/error.hpp"

namespace sockit {

result<socket_to_file> socket_to_file::open(std::size_t) { return errc::not_supported; }

socket_to_file::socket_to_file(socket_to_file&& other) noexcept
    : copy_(std::move(other.copy_)), pipe_bytes_(other.pipe_bytes_) {}

socket_to_file& socket_to_file::operator=(socket_to_file&& other) noexcept {
  copy_ = std::move(other.copy_);
  pipe_bytes_ = other.pipe_bytes_;
  return *this;
}

socket_to_file::~socket_to_file() = default;

void socket_to_file::close_pipe() noexcept {}

std::error_code socket_to_file::drain_pipe() noexcept { return {}; }

result<std::size_t> socket_to_file::pipe_to_file_by_copy(int, std::size_t) { return errc::not_supported; }

result<std::size_t> socket_to_file::socket_to_file_by_copy(const socket&, int, std::size_t) {
  return errc::not_supported;
}

result<std::size_t> socket_to_file::try_move(const socket&, int, std::size_t) { return errc::not_supported; }

}  // namespace sockit
