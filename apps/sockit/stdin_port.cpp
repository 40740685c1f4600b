// Stdin on Linux: the descriptor itself (see stdin_port.hpp).
#include "stdin_port.hpp"

#include <unistd.h>

#include "sockit/io.hpp"

namespace sockit::cli {

int stdin_wait_fd() { return STDIN_FILENO; }

result<std::size_t> read_stdin(std::span<std::byte> into) { return try_read(STDIN_FILENO, into); }

}  // namespace sockit::cli
