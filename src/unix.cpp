// Unix domain sockets (Linux): connect, listen with the stale-file rule, datagrams, SO_PEERCRED.
#include "sockit/unix.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <thread>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "detail/sockopt.hpp"
#include "detail/syscall.hpp"
#include "sockit/error.hpp"
#include "sockit/options.hpp"

namespace sockit {
namespace {

result<struct stat> lstat_path(const std::string& path) {
  struct stat st {};
  if (auto ec = detail::check_ec([&] { return ::lstat(path.c_str(), &st); })) return ec;
  return st;
}

template <class Get>
result<unix_address> address_by(const socket& s, Get get) {
  sockaddr_un sa{};
  socklen_t len = sizeof sa;
  if (auto ec = detail::check_ec([&] { return get(s.native_handle(), reinterpret_cast<sockaddr*>(&sa), &len); })) {
    return ec;
  }
  return unix_address::from_sockaddr(reinterpret_cast<sockaddr*>(&sa), len);
}

std::error_code unix_connect_once(const socket& s, const unix_address& to) {
  return detail::check_ec([&] { return ::connect(s.native_handle(), to.data(), to.size()); });
}

// Binding the unnamed address (only the family) asks the kernel for an autobind name: five hex
// digits in the abstract namespace.
std::error_code autobind(const socket& s) {
  sa_family_t family = AF_UNIX;
  return detail::check_ec(
      [&] { return ::bind(s.native_handle(), reinterpret_cast<const sockaddr*>(&family), sizeof family); });
}

// What holds a socket file we could not bind. The probe is a datagram connect, which nobody
// notices: a stream connect would be a real connection, and a one-shot server (nc -l, listen
// without -k) would take it as its client. Linux answers ECONNREFUSED when no socket is bound to the
// file (a server that died without unlinking it), EPROTOTYPE when a live socket of another type is,
// and connects (or EPERM: it has its own peer) when a live datagram socket is. Other errors
// (EACCES...) say nothing, and the caller returns bind's own.
enum class holder { dead, live, unknown };
holder probe(const unix_address& at) {
  auto s = socket::open(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK);
  if (!s) return holder::unknown;
  auto ec = unix_connect_once(*s, at);
  if (!ec || ec == std::errc::wrong_protocol_type || ec == std::errc::operation_not_permitted ||
      ec == errc::would_block) {
    return holder::live;
  }
  if (ec == std::errc::connection_refused) return holder::dead;
  return holder::unknown;
}

// socket, prepare, fchmod, bind with the stale-file rule, the mode made exact, the file recorded.
result<socket> open_bound_unix(const unix_address& at, int type, const unix_listen_options& o,
                               unix_socket_file* created) {
  auto s = socket::open(AF_UNIX, type | (o.nonblocking ? SOCK_NONBLOCK : 0));
  if (!s) return s.error();
  if (o.prepare) {
    if (auto ec = o.prepare(*s)) return ec;
  }
  if (at.is_unnamed()) {
    if (auto ec = autobind(*s)) return ec;
    return std::move(*s);
  }
  const bool file = at.is_path();
  const unsigned mode = o.mode.value_or(0777) & 07777;
  // Linux creates the socket file with the socket inode's mode less the umask: set it here and
  // the file is never wider than asked, without touching the process-wide umask.
  if (file && o.mode) {
    if (auto ec = detail::check_ec([&] { return ::fchmod(s->native_handle(), mode); })) return ec;
  }
  auto ec = detail::check_ec([&] { return ::bind(s->native_handle(), at.data(), at.size()); });
  if (ec == std::errc::address_in_use) {
    if (!file) return errc::unix_in_use;  // an abstract name lives exactly as long as its socket
    const std::string path = at.name();
    auto st = lstat_path(path);
    if (st && !S_ISSOCK(st->st_mode)) return errc::not_a_socket_file;
    if (st && o.replace_stale) {
      switch (probe(at)) {
        case holder::live: return errc::unix_in_use;
        case holder::unknown: return ec;
        case holder::dead: break;
      }
      // Gone already (another starter removed it) is as good as removed.
      if (auto uc = detail::check_ec([&] { return ::unlink(path.c_str()); }); uc && uc != std::errc::no_such_file_or_directory) {
        return uc;
      }
      ec = detail::check_ec([&] { return ::bind(s->native_handle(), at.data(), at.size()); });
      if (ec == std::errc::address_in_use) return errc::unix_in_use;  // someone was faster
    }
  }
  if (ec) return ec;
  if (!file) return std::move(*s);
  const std::string path = at.name();
  auto st = lstat_path(path);
  if (!st) return st.error();
  // Ours from here on: any failure below removes it again.
  unix_socket_file ours(path, st->st_dev, st->st_ino);
  // The umask may have taken bits the caller asked for: add them back (only ever widening to
  // exactly `mode`).
  if (o.mode && (st->st_mode & 07777) != mode) {
    if (auto mc = detail::check_ec([&] { return ::chmod(path.c_str(), mode); })) return mc;
  }
  if (created) {
    *created = std::move(ours);
  } else {
    ours.release();
  }
  return std::move(*s);
}

}  // namespace

std::error_code unix_socket_file::remove() {
  if (path_.empty()) return {};
  std::string path = std::move(path_);
  path_.clear();
  auto st = lstat_path(path);
  if (!st) return st.error() == std::errc::no_such_file_or_directory ? std::error_code{} : st.error();
  if (!S_ISSOCK(st->st_mode) || st->st_dev != dev_ || st->st_ino != ino_) return {};  // not ours any more
  auto ec = detail::check_ec([&] { return ::unlink(path.c_str()); });
  return ec == std::errc::no_such_file_or_directory ? std::error_code{} : ec;
}

std::error_code unix_connect(const socket& s, const unix_address& to) { return unix_connect_once(s, to); }

result<socket> unix_connect(const unix_address& to, const unix_connect_options& opts) {
  if (to.is_unnamed()) return errc::bad_unix_address;
  // Non-blocking unless the caller waits without a deadline: a Unix connect completes at once or
  // says EAGAIN (backlog full), which has no readiness event to wait for, so it is retried.
  const bool poll_retry = opts.type != SOCK_DGRAM && !opts.by.is_never();
  auto s = socket::open(AF_UNIX, opts.type | (poll_retry ? SOCK_NONBLOCK : 0));
  if (!s) return s.error();
  if (opts.prepare) {
    if (auto ec = opts.prepare(*s)) return ec;
  }
  if (opts.type == SOCK_DGRAM && opts.autobind) {
    if (auto ec = autobind(*s)) return ec;
  }
  for (;;) {
    auto ec = unix_connect(*s, to);
    if (!ec) break;
    if (!(poll_retry && ec == errc::would_block)) return ec;
    if (opts.by.expired()) return std::errc::timed_out;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (poll_retry != opts.nonblocking) {
    if (auto ec = set_nonblocking(*s, opts.nonblocking)) return ec;
  }
  return std::move(*s);
}

result<socket> unix_listen(const unix_address& at, const unix_listen_options& opts, unix_socket_file* created,
                           int type) {
  if (at.is_unnamed()) return errc::bad_unix_address;
  unix_socket_file file;
  auto s = open_bound_unix(at, type, opts, &file);
  if (!s) return s.error();
  if (auto ec = detail::check_ec([&] { return ::listen(s->native_handle(), opts.backlog); })) return ec;
  if (created) {
    *created = std::move(file);
  } else {
    file.release();
  }
  return std::move(*s);
}

result<socket> unix_bind_datagram(const unix_address& at, const unix_listen_options& opts,
                                  unix_socket_file* created) {
  return open_bound_unix(at, SOCK_DGRAM, opts, created);
}

result<unix_address> unix_local_address(const socket& s) { return address_by(s, ::getsockname); }

result<unix_address> unix_peer_address(const socket& s) { return address_by(s, ::getpeername); }

result<unix_datagram> try_unix_recv_from(const socket& s, std::span<std::byte> buffer) {
  sockaddr_un sa{};
  socklen_t len = sizeof sa;
  auto n = detail::check_size([&] {
    return ::recvfrom(s.native_handle(), buffer.data(), buffer.size(), MSG_DONTWAIT | MSG_TRUNC,
                      reinterpret_cast<sockaddr*>(&sa), &len);
  });
  if (!n) return n.error();
  unix_datagram d;
  d.wire_size = *n;
  d.size = std::min(d.wire_size, buffer.size());
  if (auto from = unix_address::from_sockaddr(reinterpret_cast<sockaddr*>(&sa), len)) d.from = *from;
  return d;
}

result<std::size_t> try_unix_send_to(const socket& s, std::span<const std::byte> data, const unix_address& to) {
  return detail::check_size([&] {
    return ::sendto(s.native_handle(), data.data(), data.size(), MSG_DONTWAIT | MSG_NOSIGNAL, to.data(), to.size());
  });
}

result<unix_credentials> peer_credentials(const socket& s) {
  auto c = detail::get_opt<ucred>(s, SOL_SOCKET, SO_PEERCRED);
  if (!c) return c.error();
  return unix_credentials{c->pid, c->uid, c->gid};
}

}  // namespace sockit
