// The TIME command's answer: the server's local time as text. ISO 8601 with the UTC offset by
// default (the chapter's `d-m-yy hh:nn:ss` had no year century and no zone); any strftime pattern
// on request, e.g. "%-d-%-m-%y %H:%M:%S" for the chapter's look.
#pragma once

#include <ctime>
#include <string>
#include <string_view>

namespace sockit::cli::proto {

// An empty pattern gives ISO 8601 extended with the offset: "2026-11-24T01:19:57+01:00".
std::string format_time(std::string_view pattern, std::time_t when);
std::string format_time_now(std::string_view pattern);

}  // namespace sockit::cli::proto
