// sockit/unix.hpp: Unix domain sockets: the address forms people type ("unix:/path" for a file,
// "unix:@name" for Linux's abstract namespace), connect, listen and datagram sockets returning a
// plain sockit::socket, the socket file a listener owns, and the peer's credentials.
//
// A separate type from `endpoint` on purpose: endpoint is IPv4/IPv6 everywhere (resolve, ports,
// multicast); code that moves bytes (io.hpp's try_send/try_recv, the CLI's relays) works on the
// socket whatever its family, so a Unix socket plugs in where a connected TCP socket did.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#ifdef _WIN32
#include <sys/types.h>

#include "sockit/endpoint.hpp"  // Winsock's headers, in the order they need

#include <afunix.h>
#else
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>
#endif

#include "sockit/deadline.hpp"
#include "sockit/result.hpp"
#include "sockit/socket.hpp"

namespace sockit {

#ifdef _WIN32
// The types the Linux API below is written in. Every call here reports errc::not_supported on
// Windows (src/unix_windows.cpp): its AF_UNIX has no abstract names, credentials or datagrams.
using uid_t = unsigned;
using gid_t = unsigned;
#endif

class unix_address {
 public:
  // sun_path holds 108 bytes with the terminating NUL: a path has at most 107, an abstract name
  // (after its leading NUL) at most 107.
  static constexpr std::size_t max_path = sizeof(sockaddr_un::sun_path) - 1;

  // The unnamed address (an unbound socket, or one whose peer never bound).
  unix_address() noexcept;

  // "unix:/path", "unix:relative/path" or "unix:@name". Errors: errc::bad_unix_address (no
  // "unix:" prefix, empty, a NUL byte in a path), errc::unix_path_too_long.
  static result<unix_address> parse(std::string_view text);
  static result<unix_address> path(std::string_view file);
  static result<unix_address> abstract(std::string_view name);
  // Copies a kernel address (AF_UNIX only; a length of sizeof(sa_family_t) is the unnamed one).
  static result<unix_address> from_sockaddr(const sockaddr* sa, socklen_t len);

  bool is_unnamed() const noexcept { return len_ <= static_cast<socklen_t>(offsetof(sockaddr_un, sun_path)); }
  bool is_abstract() const noexcept { return !is_unnamed() && addr_.sun_path[0] == '\0'; }
  bool is_path() const noexcept { return !is_unnamed() && !is_abstract(); }
  // The file's path, or the abstract name without its leading NUL; "" when unnamed.
  std::string name() const;
  // "unix:/path", "unix:@name" or "unix:(unnamed)": the form parse reads back (except the last).
  std::string to_string() const;

  const sockaddr* data() const noexcept { return reinterpret_cast<const sockaddr*>(&addr_); }
  socklen_t size() const noexcept { return len_; }

  friend bool operator==(const unix_address& a, const unix_address& b) noexcept;

 private:
  sockaddr_un addr_;
  socklen_t len_;
};

// True when text names a Unix address ("unix:..."), whether or not it is a valid one: how a
// command tells it apart from HOST.
bool is_unix_address_text(std::string_view text) noexcept;

// The socket file a listener created. Destroying it (or remove()) unlinks the path only while it
// still names that very socket (same device and inode), so a file someone put there since, or a
// listener started over ours, is never removed. Move-only; empty for abstract names.
class unix_socket_file {
 public:
  unix_socket_file() = default;
  unix_socket_file(std::string path, dev_t dev, ino_t ino) : path_(std::move(path)), dev_(dev), ino_(ino) {}
  unix_socket_file(const unix_socket_file&) = delete;
  unix_socket_file& operator=(const unix_socket_file&) = delete;
  unix_socket_file(unix_socket_file&& o) noexcept;
  unix_socket_file& operator=(unix_socket_file&& o) noexcept;
  ~unix_socket_file() { (void)remove(); }

  bool empty() const noexcept { return path_.empty(); }
  const std::string& path() const noexcept { return path_; }
  dev_t device() const noexcept { return dev_; }
  ino_t inode() const noexcept { return ino_; }
  // Unlinks the file if it is still ours; {} also when it is gone or no longer ours. Empty after.
  std::error_code remove();
  // Keeps the file (it outlives this object) and empties it.
  void release() noexcept { path_.clear(); }

 private:
  std::string path_;
  dev_t dev_ = 0;
  ino_t ino_ = 0;
};

struct unix_connect_options {
  int type = SOCK_STREAM;  // SOCK_STREAM, SOCK_DGRAM or SOCK_SEQPACKET
  // Stream: how long to wait while the listener's backlog is full (a Unix connect never waits
  // for a handshake). Never: block in connect(2) until the backlog has room.
  deadline by = deadline::never();
  bool nonblocking = false;  // leave the returned socket non-blocking
  // SOCK_DGRAM: bind an autobind address (an abstract name the kernel picks) before connecting,
  // so the peer can send replies back; an unbound datagram socket cannot be answered.
  bool autobind = true;
  socket_prepare prepare;  // runs before bind/connect (buffer sizes...)
};

// A socket connected to `to`. A missing file is ENOENT, a file nobody listens on ECONNREFUSED, a
// listener of the other type EPROTOTYPE, a backlog full until the deadline std::errc::timed_out.
result<socket> unix_connect(const unix_address& to, const unix_connect_options& opts = {});
// Connects an existing socket (a datagram socket to the sender it answers).
std::error_code unix_connect(const socket& s, const unix_address& to);

struct unix_listen_options {
  int backlog = 511;  // stream and seqpacket only
  // The socket file's permission bits (e.g. 0660); ignored for abstract names. Applied with
  // fchmod before bind, so the file is created with them (less what the umask removes, added back
  // with chmod after bind): at no moment wider than asked. Unset: 0777 less the umask, as bind does.
  std::optional<unsigned> mode;
  // A socket file left by a dead server (no socket bound to it: a connect is refused) is unlinked
  // and bound again. The probe is a datagram connect, so a live server sees no connection. A
  // live one is errc::unix_in_use; a file that is not a socket is errc::not_a_socket_file and
  // stays. Off: EADDRINUSE as bind says.
  bool replace_stale = true;
  bool nonblocking = false;
  socket_prepare prepare;  // runs before bind
};

// A listening stream (or seqpacket, with `type`) socket at `at`. `created`, if given, receives
// the socket file, to be removed when the server is done (see unix_socket_file).
result<socket> unix_listen(const unix_address& at, const unix_listen_options& opts = {},
                           unix_socket_file* created = nullptr, int type = SOCK_STREAM);
// A datagram socket bound at `at` (the unnamed address: autobind), with the same file rules.
result<socket> unix_bind_datagram(const unix_address& at, const unix_listen_options& opts = {},
                                  unix_socket_file* created = nullptr);

// Both ends' addresses (getsockname/getpeername).
result<unix_address> unix_local_address(const socket& s);
result<unix_address> unix_peer_address(const socket& s);

// One datagram and its sender (unnamed when the sender never bound: it cannot be answered).
struct unix_datagram {
  std::size_t size = 0;
  std::size_t wire_size = 0;  // > size when truncated
  unix_address from;
  bool truncated() const noexcept { return wire_size > size; }
};
// Non-blocking, never wait: nothing to do now is errc::would_block.
result<unix_datagram> try_unix_recv_from(const socket& s, std::span<std::byte> buffer);
result<std::size_t> try_unix_send_to(const socket& s, std::span<const std::byte> data, const unix_address& to);

// Who is at the other end of a connected Unix socket, as the kernel saw it at connect (or
// socketpair) time: SO_PEERCRED. A datagram socket's peer has none (pid 0, uid/gid -1).
struct unix_credentials {
  pid_t pid = 0;
  uid_t uid = static_cast<uid_t>(-1);
  gid_t gid = static_cast<gid_t>(-1);
};
result<unix_credentials> peer_credentials(const socket& s);

}  // namespace sockit
