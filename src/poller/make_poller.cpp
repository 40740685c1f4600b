// Chooses a backend at run time, like muduo's DefaultPoller, and names the engines.
#include "poller/poller.hpp"

namespace sockit {

result<engine> parse_engine(std::string_view name) {
  if (name == "auto") return engine::automatic;
  if (name == "epoll") return engine::epoll;
  return std::errc::invalid_argument;
}

std::string_view engine_name(engine e) noexcept {
  switch (e) {
    case engine::automatic: return "auto";
    case engine::epoll: return "epoll";
  }
  return "?";
}

namespace detail {

result<std::unique_ptr<poller>> make_poller(engine e) {
  switch (e) {
    case engine::automatic:
    case engine::epoll:
      return make_epoll_poller();
  }
  return std::errc::invalid_argument;
}

}  // namespace detail
}  // namespace sockit
