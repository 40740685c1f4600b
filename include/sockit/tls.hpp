// sockit/tls.hpp: TLS over OpenSSL 3 (public): contexts (tls_context.hpp), the I/O-free session
// (tls_session.hpp), the stream on the event loop (tls_stream.hpp) and their errors (tls_error.hpp).
#pragma once

#include "sockit/tls_context.hpp"
#include "sockit/tls_error.hpp"
#include "sockit/tls_session.hpp"
#include "sockit/tls_stream.hpp"
