// RFC 867 daytime. The RFC leaves the format open; ours is one ASCII line in UTC, in the C locale,
// followed by CRLF:
//   Tuesday, November 24, 2026 01:19:57-UTC\r\n
// (strftime "%A, %B %d, %Y %H:%M:%S-UTC"). TCP: the line is sent at once and the connection
// closed; UDP: every datagram, whatever it holds, gets the line back.
#pragma once

#include <chrono>
#include <string>

#include "tcp_service.hpp"
#include "udp_service.hpp"

namespace sockit::cli {

std::string daytime_line(std::chrono::system_clock::time_point t);
void daytime_open(tcp_connection& c);
udp_service::responder daytime_responder();

}  // namespace sockit::cli
