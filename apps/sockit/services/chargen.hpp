// RFC 864 character generator. The classic pattern: the 95 printable ASCII characters (32..126)
// in a ring; line n is the 72 characters starting at offset n mod 95, then CRLF.
//
// TCP: lines flow for as long as the client reads. We write a bounded block, and refill only when
// the connection's output has drained (on_drain), so a client that stops reading costs at most
// one block beyond the kernel's buffers. If the kernel takes a block whole (nothing is queued,
// so no drain will come), the next block waits for the next loop turn: a fast reader cannot
// starve other clients. Anything the client sends is discarded. A client's half-close does not
// stop the stream; its close does.
//
// UDP: each datagram gets one reply of a pseudo-random length from 0 to 512 bytes, cut from
// the same pattern.
#pragma once

#include <cstdint>
#include <string>

#include "tcp_service.hpp"
#include "udp_service.hpp"

namespace sockit::cli {

// Appends `lines` lines of the pattern to out, starting at line number `first`.
void chargen_lines(std::string& out, std::uint64_t first, std::size_t lines);

void chargen_open(tcp_connection& c);
udp_service::responder chargen_responder();

}  // namespace sockit::cli
