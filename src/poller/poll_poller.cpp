// The poll(2) backend, and WSAPoll on Windows (engine "wsapoll"): an array of pollfd plus an
// fd -> slot index, so add/modify/remove are O(1) (remove swaps the last slot into the hole) and
// each wait is one pass over the array.
#include <cerrno>
#include <chrono>
#include <thread>

#include "detail/net.hpp"

#include "poller/poller.hpp"
#include "sockit/error.hpp"

namespace sockit::detail {
namespace {

#ifdef _WIN32
using pollfd = WSAPOLLFD;
constexpr short rdhup = 0;
SOCKET native_fd(int fd) { return static_cast<SOCKET>(fd); }
#else
constexpr short rdhup = POLLRDHUP;
int native_fd(int fd) { return fd; }
#endif

short to_native(std::uint32_t events) {
  return static_cast<short>(((events & io_readable) ? POLLIN : 0) | ((events & io_writable) ? POLLOUT : 0));
}

class poll_poller final : public poller {
 public:
#ifdef _WIN32
  std::string_view name() const noexcept override { return "wsapoll"; }
#else
  std::string_view name() const noexcept override { return "poll"; }
#endif

  std::error_code add(int fd, std::uint32_t events, std::uint32_t generation) override {
    // poll and select would silently accept a closed descriptor; refuse it as epoll does.
    if (!is_open_socket(fd)) return std::make_error_code(std::errc::bad_file_descriptor);
    if (static_cast<std::size_t>(fd) >= slot_.size()) slot_.resize(static_cast<std::size_t>(fd) + 1, -1);
    if (slot_[fd] >= 0) return std::make_error_code(std::errc::file_exists);
    slot_[fd] = static_cast<int>(fds_.size());
    fds_.push_back({native_fd(fd), to_native(events), 0});
    generation_.push_back(generation);
    return {};
  }

  std::error_code modify(int fd, std::uint32_t events) override {
    int i = index(fd);
    if (i < 0) return std::make_error_code(std::errc::no_such_file_or_directory);
    fds_[i].events = to_native(events);
    return {};
  }

  std::error_code remove(int fd) override {
    int i = index(fd);
    if (i < 0) return std::make_error_code(std::errc::no_such_file_or_directory);
    fds_[i] = fds_.back();
    generation_[i] = generation_.back();
    slot_[static_cast<int>(fds_[i].fd)] = i;
    fds_.pop_back();
    generation_.pop_back();
    slot_[fd] = -1;
    return {};
  }

  std::error_code wait(std::vector<ready_event>& out, int timeout_ms) override {
    out.clear();
#ifdef _WIN32
    if (fds_.empty()) {
      // WSAPoll refuses an empty array (WSAEINVAL) where poll(2) would just sleep.
      if (timeout_ms != 0) std::this_thread::sleep_for(std::chrono::milliseconds(timeout_ms < 0 ? 1000 : timeout_ms));
      return {};
    }
    int n = ::WSAPoll(fds_.data(), static_cast<ULONG>(fds_.size()), timeout_ms);
    if (n < 0) return interrupted(last_socket_error()) ? std::error_code{} : std::error_code(last_socket_error(), winsock_category());
    bool muted = collect(fds_, n, out);
    if (out.empty() && muted && timeout_ms != 0) {
      // Every event was a FIN for a registration that is not reading (see collect). Wait again
      // without those, so they cannot make a busy loop; they are asked again after at most
      // 50 ms, since a writer among them may become writable.
      quiet_.clear();
      for (const auto& f : fds_) {
        if (f.revents == 0 || (f.revents & ~POLLHUP) != 0) quiet_.push_back({f.fd, f.events, 0});
      }
      int again = timeout_ms < 0 || timeout_ms > 50 ? 50 : timeout_ms;
      if (quiet_.empty()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(again));
        return {};
      }
      n = ::WSAPoll(quiet_.data(), static_cast<ULONG>(quiet_.size()), again);
      if (n < 0) return interrupted(last_socket_error()) ? std::error_code{} : std::error_code(last_socket_error(), winsock_category());
      collect(quiet_, n, out);
    }
#else
    int n = ::poll(fds_.data(), fds_.size(), timeout_ms);
    if (n < 0) return errno == EINTR ? std::error_code{} : last_error();
    collect(fds_, n, out);
#endif
    return {};
  }

 private:
  // Turns the n entries of `fds` with revents into events; true when an event was dropped (on
  // Windows, a FIN for a registration that is not reading).
  bool collect(const std::vector<pollfd>& fds, int n, std::vector<ready_event>& out) const {
    bool dropped = false;
    for (std::size_t i = 0; i < fds.size() && n > 0; ++i) {
      const pollfd& p = fds[i];
      if (p.revents == 0) continue;
      --n;
      short revents = p.revents;
#ifdef _WIN32
      // WSAPoll reports a peer's FIN as POLLHUP, where Linux says POLLRDHUP (and POLLHUP only
      // when both directions are shut): a half-close, not a dead socket. A reader gets it as
      // readable and reads the EOF; a registration that is not reading must not hear it, or it
      // would fire every wait. A reset still comes as POLLERR.
      if (revents & POLLHUP) revents = static_cast<short>((revents & ~POLLHUP) | (p.events & POLLIN ? POLLIN : 0));
      if (revents == 0) {
        dropped = true;
        continue;
      }
#endif
      std::uint32_t m = 0;
      if (revents & (POLLIN | POLLPRI | rdhup)) m |= io_readable;
      if (revents & POLLOUT) m |= io_writable;
      if (revents & (POLLERR | POLLNVAL)) m |= io_error;
      if (revents & POLLHUP) m |= io_hangup;
      int fd = static_cast<int>(p.fd);
      out.push_back({fd, generation_[static_cast<std::size_t>(slot_[fd])], m});
    }
    return dropped;
  }

  int index(int fd) const noexcept {
    return fd >= 0 && static_cast<std::size_t>(fd) < slot_.size() ? slot_[fd] : -1;
  }

  std::vector<pollfd> fds_;
  std::vector<std::uint32_t> generation_;  // parallel to fds_
  std::vector<int> slot_;  // fd -> index in fds_, or -1
#ifdef _WIN32
  std::vector<pollfd> quiet_;  // the second wait's array (see wait)
#endif
};

}  // namespace

result<std::unique_ptr<poller>> make_poll_poller() { return std::unique_ptr<poller>(new poll_poller()); }

}  // namespace sockit::detail
