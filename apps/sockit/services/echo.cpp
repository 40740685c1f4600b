// RFC 862 echo.
#include "echo.hpp"

namespace sockit::cli {

udp_service::responder echo_responder() {
  return [](std::span<const std::byte> in, std::string& reply) {
    reply.assign(reinterpret_cast<const char*>(in.data()), in.size());
    return true;
  };
}

}  // namespace sockit::cli
