// Internal: how a buffered connection (tcp_connection, tls_stream) runs its close handler after an
// error found inside a caller's call, so both keep one contract.
#pragma once

#include <system_error>
#include <utility>

#include "sockit/event_loop.hpp"

namespace sockit::detail {

// An error found inside a caller's call: libuv's contract is that the caller of send() (often a
// handler of this very connection) never sees on_close run inside its call; the handler runs at the
// end of the loop turn, holding the connection alive until then. Without a shared owner there is
// nothing to hold: it runs now.
template <class Conn, class Handler>
void run_close_handler_later(event_loop& loop, Conn& c, Handler Conn::*handler, std::error_code ec) {
  auto self = c.weak_from_this().lock();
  if (!self) {
    if (c.*handler) (c.*handler)(c, ec);
    return;
  }
  loop.post([self = std::move(self), handler, ec] {
    if ((*self).*handler) ((*self).*handler)(*self, ec);
  });
}

}  // namespace sockit::detail
