// RFC 863 discard: reads everything, answers nothing, over TCP (until the client's EOF) and UDP.
#pragma once

#include "tcp_service.hpp"
#include "udp_service.hpp"

namespace sockit::cli {

void discard_open(tcp_connection& c);
// Null: the UDP service then never replies (and never needs the guard).
inline udp_service::responder discard_responder() { return {}; }

}  // namespace sockit::cli
