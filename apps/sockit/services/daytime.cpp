// RFC 867 daytime.
#include "daytime.hpp"

#include <ctime>

namespace sockit::cli {

namespace {
// Our own tables, not strftime's %A/%B: those follow LC_TIME, and the line must stay ASCII English.
constexpr const char* weekdays[] = {"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"};
constexpr const char* months[] = {"January", "February", "March",     "April",   "May",      "June",
                                  "July",    "August",   "September", "October", "November", "December"};
}  // namespace

std::string daytime_line(std::chrono::system_clock::time_point t) {
  std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
#ifdef _WIN32
  ::gmtime_s(&tm, &secs);
#else
  ::gmtime_r(&secs, &tm);
#endif
  char out[96];
  std::snprintf(out, sizeof out, "%s, %s %02d, %04d %02d:%02d:%02d-UTC\r\n", weekdays[tm.tm_wday % 7],
                months[tm.tm_mon % 12], tm.tm_mday, tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return out;
}

void daytime_open(tcp_connection& c) {
  c.on_data([](tcp_connection&, buffer& input) { input.clear(); });
  c.send(daytime_line(std::chrono::system_clock::now()));
  c.close_after_drain();
}

udp_service::responder daytime_responder() {
  return [](std::span<const std::byte>, std::string& reply) {
    reply = daytime_line(std::chrono::system_clock::now());
    return true;
  };
}

}  // namespace sockit::cli
