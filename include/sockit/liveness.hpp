// sockit/liveness.hpp: the chapter's two connection-closure checks done right: "has the peer
// closed?" (poll + MSG_PEEK, never consuming data) and "pending socket error" (SO_ERROR).
#pragma once

#include "sockit/result.hpp"
#include "sockit/socket.hpp"

namespace sockit {

// True when the peer has closed (orderly FIN with no unread data, or a reset). Unread data means
// "not closed": the data is left in place. Never blocks.
result<bool> peer_closed(const socket& s);

// The socket's pending error (SO_ERROR), cleared by reading it; empty when there is none. A
// failing getsockopt is reported the same way.
std::error_code pending_error(const socket& s);

}  // namespace sockit
