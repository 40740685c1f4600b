// Accepting on the event loop, with the reserve-descriptor trick for EMFILE/ENFILE (as in libev
// and muduo): without it a level-triggered listener with a pending connection and no free
// descriptor wakes the loop forever.
#include "sockit/tcp_acceptor.hpp"

#include <cerrno>

#include "detail/net.hpp"
#include "sockit/error.hpp"
#include "sockit/options.hpp"

namespace sockit {

namespace {
constexpr int max_accepts_per_wakeup = 64;
#ifdef _WIN32
// Windows has no per-process descriptor limit to run into (EMFILE): no reserve.
int open_reserve() { return -1; }
void close_reserve(int) {}
#else
int open_reserve() { return ::open("/dev/null", O_RDONLY | O_CLOEXEC); }
void close_reserve(int fd) { ::close(fd); }
#endif

// EMFILE/ENFILE, told by value: a comparison with std::errc is a virtual call, which a sanitized
// run checks with a pipe it cannot have at that moment (a false report).
bool out_of_descriptors(const std::error_code& ec) noexcept {
#ifdef _WIN32
  (void)ec;
  return false;
#else
  return &ec.category() == &std::system_category() && (ec.value() == EMFILE || ec.value() == ENFILE);
#endif
}
}  // namespace

result<std::unique_ptr<tcp_acceptor>> tcp_acceptor::create(event_loop& loop, const endpoint& at,
                                                           const listen_options& opts,
                                                           connection_handler on_connection) {
  auto o = opts;
  o.nonblocking = true;
  auto s = tcp_listen(at, o);
  if (!s) return s.error();
  return adopt(loop, std::move(*s), std::move(on_connection));
}

result<std::unique_ptr<tcp_acceptor>> tcp_acceptor::adopt(event_loop& loop, socket listener,
                                                          connection_handler on_connection) {
  // Anything else (a UDP socket, a connected one) would fail every accept: its readiness would
  // keep the loop retrying for ever.
  if (!detail::is_listening(listener.native_handle())) return std::make_error_code(std::errc::invalid_argument);
  if (auto ec = set_nonblocking(listener, true)) return ec;
  // A Unix stream listener accepts the same way; it has no IP endpoint (local_endpoint() stays
  // empty, as does each accepted peer's).
  auto local = listener.local_endpoint();
  if (!local && local.error() != std::errc::address_family_not_supported) return local.error();
  auto a = std::make_unique<tcp_acceptor>(loop, std::move(listener), local ? *local : endpoint(),
                                          std::move(on_connection));
  auto* raw = a.get();
  if (auto ec = loop.watch(raw->listener_.native_handle(), io_readable,
                           [raw](std::uint32_t) { raw->handle_readable(); })) {
    return ec;
  }
  return a;
}

tcp_acceptor::tcp_acceptor(event_loop& loop, socket listener, endpoint local, connection_handler h)
    : loop_(loop), listener_(std::move(listener)), local_(local), on_connection_(std::move(h)),
      reserve_fd_(open_reserve()) {}

tcp_acceptor::~tcp_acceptor() {
  close();
  if (reserve_fd_ >= 0) close_reserve(reserve_fd_);
}

void tcp_acceptor::close() {
  if (retry_timer_) loop_.cancel(retry_timer_);
  retry_timer_ = 0;
  if (!listener_) return;
  (void)loop_.unwatch(listener_.native_handle());
  (void)listener_.close();
}

void tcp_acceptor::handle_readable() {
  // The reserve is lost when another thread takes the descriptor it freed (or none was free at
  // construction): take one back before any accept can, or shedding stays off for good.
  if (reserve_fd_ < 0) reserve_fd_ = open_reserve();
  for (int i = 0; i < max_accepts_per_wakeup && listener_; ++i) {
    endpoint peer;
    auto s = tcp_accept(listener_, accept_options{.nonblocking = true, .peer = &peer});
    if (s) {
      ++accepted_;
      on_connection_(std::move(*s), peer);
      continue;
    }
    auto ec = s.error();
    const bool out_of_fds = out_of_descriptors(ec);
    if (!out_of_fds && (ec == std::errc::resource_unavailable_try_again || ec == std::errc::operation_would_block)) return;
    if (out_of_fds && reserve_fd_ >= 0) {
      // Free one descriptor, take the connection off the queue and close it at once.
      close_reserve(reserve_fd_);
      reserve_fd_ = -1;
      if (auto excess = tcp_accept(listener_)) ++shed_;
      reserve_fd_ = open_reserve();
      continue;
    }
    // Out of memory/buffers, or no reserve: stop watching for a moment instead of spinning.
    (void)loop_.unwatch(listener_.native_handle());
    retry_timer_ = loop_.run_after(std::chrono::milliseconds(100), [this] {
      retry_timer_ = 0;
      if (reserve_fd_ < 0) reserve_fd_ = open_reserve();  // see handle_readable
      if (listener_ && !loop_.watching(listener_.native_handle())) {
        (void)loop_.watch(listener_.native_handle(), io_readable, [this](std::uint32_t) { handle_readable(); });
      }
    });
    return;
  }
}

}  // namespace sockit
