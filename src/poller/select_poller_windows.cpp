// The select backend on Windows. Winsock's fd_set is not a bitmap but an array of up to
// FD_SETSIZE sockets (1024 here, set by the build), so the limit is a count of sockets, not a
// descriptor value: the 1025th registration is refused with errc::fd_out_of_range. A failed
// non-blocking connect shows in the except set, not the write set, so a watch for writability
// also watches for exceptions and reports them as errors.
#include <algorithm>
#include <cstdint>
#include <thread>
#include <vector>

#include "detail/net.hpp"
#include "poller/poller.hpp"
#include "sockit/error.hpp"

namespace sockit::detail {
namespace {

struct entry {
  int fd;
  std::uint32_t events;
  std::uint32_t generation;
};

class select_poller final : public poller {
 public:
  std::string_view name() const noexcept override { return "select"; }

  std::error_code add(int fd, std::uint32_t events, std::uint32_t generation) override {
    if (!is_open_socket(fd)) return std::make_error_code(std::errc::bad_file_descriptor);
    if (find(fd) != entries_.end()) return std::make_error_code(std::errc::file_exists);
    if (entries_.size() >= FD_SETSIZE) return make_error_code(errc::fd_out_of_range);
    entries_.push_back({fd, events, generation});
    return {};
  }

  std::error_code modify(int fd, std::uint32_t events) override {
    auto it = find(fd);
    if (it == entries_.end()) return std::make_error_code(std::errc::no_such_file_or_directory);
    it->events = events;
    return {};
  }

  std::error_code remove(int fd) override {
    auto it = find(fd);
    if (it == entries_.end()) return std::make_error_code(std::errc::no_such_file_or_directory);
    *it = entries_.back();
    entries_.pop_back();
    return {};
  }

  std::error_code wait(std::vector<ready_event>& out, int timeout_ms) override {
    out.clear();
    FD_ZERO(&read_);
    FD_ZERO(&write_);
    FD_ZERO(&except_);
    bool any = false;
    for (const auto& e : entries_) {
      auto s = static_cast<SOCKET>(e.fd);
      if (e.events & io_readable) FD_SET(s, &read_);
      if (e.events & io_writable) {
        FD_SET(s, &write_);
        FD_SET(s, &except_);
      }
      any = any || (e.events & (io_readable | io_writable)) != 0;
    }
    if (!any) {
      // Winsock's select refuses three empty sets (WSAEINVAL) where POSIX's would just sleep.
      if (timeout_ms != 0) std::this_thread::sleep_for(std::chrono::milliseconds(timeout_ms < 0 ? 1000 : timeout_ms));
      return {};
    }
    timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    int n = ::select(0, &read_, &write_, &except_, timeout_ms < 0 ? nullptr : &tv);
    if (n == SOCKET_ERROR) {
      int err = last_socket_error();
      return interrupted(err) ? std::error_code{} : std::error_code(err, winsock_category());
    }
    for (const auto& e : entries_) {
      if (n <= 0) break;
      auto s = static_cast<SOCKET>(e.fd);
      std::uint32_t m = (FD_ISSET(s, &read_) ? io_readable : 0u) | (FD_ISSET(s, &write_) ? io_writable : 0u);
      if (FD_ISSET(s, &except_)) m |= io_writable | io_error;
      if (m) {
        out.push_back({e.fd, e.generation, m});
        --n;
      }
    }
    return {};
  }

 private:
  std::vector<entry>::iterator find(int fd) {
    return std::find_if(entries_.begin(), entries_.end(), [fd](const entry& e) { return e.fd == fd; });
  }

  std::vector<entry> entries_;
  fd_set read_, write_, except_;
};

}  // namespace

result<std::unique_ptr<poller>> make_select_poller() { return std::unique_ptr<poller>(new select_poller()); }

}  // namespace sockit::detail
