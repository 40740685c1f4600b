// Chooses a backend at run time, like muduo's DefaultPoller, and names the engines.
#include "poller/poller.hpp"

namespace sockit {

result<engine> parse_engine(std::string_view name) {
  if (name == "auto") return engine::automatic;
  if (name == "epoll") return engine::epoll;
  if (name == "poll") return engine::poll;
  if (name == "select") return engine::select;
  return std::errc::invalid_argument;
}

std::string_view engine_name(engine e) noexcept {
  switch (e) {
    case engine::automatic: return "auto";
    case engine::epoll: return "epoll";
    case engine::poll: return "poll";
    case engine::select: return "select";
  }
  return "?";
}

namespace detail {

result<std::unique_ptr<poller>> make_poller(engine e) {
  switch (e) {
    case engine::automatic:
    case engine::epoll:
      return make_epoll_poller();
    case engine::poll:
      return make_poll_poller();
    case engine::select:
      return make_select_poller();
  }
  return std::errc::invalid_argument;
}

}  // namespace detail
}  // namespace sockit
