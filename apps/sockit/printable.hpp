// Text a peer controls, made safe for a terminal before it is shown to a human (proto call's
// response lines, udp recv's labelled datagrams). Data streams (connect, listen, --raw) never
// pass through it.
#pragma once

#include <string>
#include <string_view>

namespace sockit::cli {

// Returns s with every byte that a terminal could act on written as \xNN (two lower-case hex
// digits): C0 controls except tab and newline (so ESC[2J cannot clear the screen), DEL, C1
// controls (U+0080-U+009F, whose UTF-8 form C2 80-C2 9F is two escapes), and every byte that is
// not part of well-formed UTF-8 (a lone 0x9b is CSI to an 8-bit terminal). Well-formed UTF-8
// otherwise prints as it is; a backslash is left alone, as `cat -v` leaves '^'.
std::string printable(std::string_view s);

}  // namespace sockit::cli
