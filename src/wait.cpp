// Waiting on a few descriptors: poll(2), or ppoll(2) when a signal mask is given.
#include "sockit/wait.hpp"

#include <vector>

#include "detail/net.hpp"
#include "detail/syscall.hpp"
#include "sockit/error.hpp"

namespace sockit {

#ifdef _WIN32
using pollfd = WSAPOLLFD;
#endif

result<std::size_t> wait_any(std::span<wait_entry> entries, deadline by, const sigset_t* mask) {
  // A small array on the stack covers every caller; more entries take the heap.
  constexpr std::size_t on_stack = 8;
  pollfd small[on_stack];
  std::vector<pollfd> big;
  pollfd* fds = small;
  if (entries.size() > on_stack) {
    big.resize(entries.size());
    fds = big.data();
  }
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const auto& e = entries[i];
    short ev = 0;
    if (e.want & wait_entry::readable) ev |= POLLIN;
    if (e.want & wait_entry::writable) ev |= POLLOUT;
    fds[i] = {detail::native(e.fd), ev, 0};
  }
#ifdef _WIN32
  // Winsock has no signal mask to apply; a console control event arrives on its own thread.
  (void)mask;
  auto n = detail::check_res(
      [&] { return ::WSAPoll(fds, static_cast<ULONG>(entries.size()), by.poll_timeout_ms()); });
#else
  auto n = mask ? [&]() -> result<int> {
    // Not check_res: an interrupted ppoll is the caller's news (its handler ran).
    int t = by.poll_timeout_ms();
    timespec ts{t / 1000, static_cast<long>(t % 1000) * 1000000L};
    int rc = ::ppoll(fds, entries.size(), t < 0 ? nullptr : &ts, mask);
    if (rc < 0) return detail::syscall_error();
    return rc;
  }()
                : detail::check_res([&] { return ::poll(fds, entries.size(), by.poll_timeout_ms()); });
#endif
  if (!n) return n.error();
  for (std::size_t i = 0; i < entries.size(); ++i) {
    short r = fds[i].revents;
    unsigned ready = 0;
    if (r & POLLIN) ready |= wait_entry::readable;
    if (r & POLLOUT) ready |= wait_entry::writable;
    if (r & POLLERR) ready |= wait_entry::error;
    if (r & POLLHUP) ready |= wait_entry::hangup;
    if (r & POLLNVAL) ready |= wait_entry::invalid;
    entries[i].ready = ready;
  }
  return static_cast<std::size_t>(*n);
}

}  // namespace sockit
