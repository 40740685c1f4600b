// sockit/transfer_name.hpp: which file names a receiver may create from what a peer sent (public).
// A name is one path component that cannot climb out of the target directory, hide a terminal
// escape, or collide with the receiver's own partial files.
#pragma once

#include <string>
#include <string_view>

namespace sockit {

// Why `name` must be refused, or "" when it is acceptable; the reason reads after "the name"
// ("is empty", "contains a NUL byte"). Refused: empty, "." and "..", longer
// than 255 bytes, any '/' (so no absolute path), NUL, C0 control characters and DEL, the C1
// controls U+0080-U+009F in UTF-8, and names of the form ".X.sockit-part" (partial files).
std::string_view transfer_name_problem(std::string_view name) noexcept;

// What Windows also refuses in a name, or "": '\\' (a path separator there), ':' (a drive or an
// alternate data stream), * ? " < > |, a trailing dot or space (silently dropped, so two names
// would meet), and the device names CON, PRN, AUX, NUL, COM1-9 and LPT1-9, with any extension.
// Portable, so it is tested on Linux too.
std::string_view windows_name_problem(std::string_view name) noexcept;

// The check a receiver on this system applies: transfer_name_problem, and on Windows
// windows_name_problem as well.
std::string_view local_name_problem(std::string_view name) noexcept;

// Where the receiver keeps a file while it arrives: ".NAME.sockit-part" in the same directory,
// or, when that would pass 255 bytes, ".<32 hex digits of XXH3-128(NAME)>.sockit-part".
std::string partial_name(std::string_view name);

}  // namespace sockit
