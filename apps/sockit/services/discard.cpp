// RFC 863 discard.
#include "discard.hpp"

namespace sockit::cli {

void discard_open(tcp_connection& c) {
  c.on_data([](tcp_connection&, buffer& input) { input.clear(); });
}

}  // namespace sockit::cli
