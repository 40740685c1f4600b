// Unix socket addresses and the socket file's ownership: plain data, the same on every platform
// (the calls that use them are in unix.cpp, or unix_windows.cpp).
#include <algorithm>
#include <cstring>

#include "sockit/error.hpp"
#include "sockit/unix.hpp"

namespace sockit {
namespace {

constexpr socklen_t path_offset = offsetof(sockaddr_un, sun_path);
// The unnamed address is the family field alone.
constexpr socklen_t unnamed_size = sizeof(sockaddr_un::sun_family);
constexpr std::string_view prefix = "unix:";

}  // namespace

unix_address::unix_address() noexcept : addr_{}, len_(unnamed_size) { addr_.sun_family = AF_UNIX; }

result<unix_address> unix_address::path(std::string_view file) {
  if (file.empty() || file.find('\0') != std::string_view::npos) return errc::bad_unix_address;
  if (file.size() > max_path) return errc::unix_path_too_long;
  unix_address a;
  std::memcpy(a.addr_.sun_path, file.data(), file.size());
  a.addr_.sun_path[file.size()] = '\0';
  // Counting the NUL, as most programs do: getsockname then reports the same length back.
  a.len_ = static_cast<socklen_t>(path_offset + file.size() + 1);
  return a;
}

result<unix_address> unix_address::abstract(std::string_view name) {
  // An empty abstract name would be the unnamed address (autobind), not a name.
  if (name.empty()) return errc::bad_unix_address;
  if (name.size() > max_path) return errc::unix_path_too_long;
  unix_address a;
  a.addr_.sun_path[0] = '\0';
  std::memcpy(a.addr_.sun_path + 1, name.data(), name.size());
  // Every byte of an abstract name counts, so no NUL is added (socat and nc -U agree).
  a.len_ = static_cast<socklen_t>(path_offset + 1 + name.size());
  return a;
}

result<unix_address> unix_address::parse(std::string_view text) {
  if (!is_unix_address_text(text)) return errc::bad_unix_address;
  text.remove_prefix(prefix.size());
  if (!text.empty() && text.front() == '@') return abstract(text.substr(1));
  return path(text);
}

result<unix_address> unix_address::from_sockaddr(const sockaddr* sa, socklen_t len) {
  if (sa == nullptr || len < unnamed_size || sa->sa_family != AF_UNIX) {
    return std::errc::address_family_not_supported;
  }
  unix_address a;
  len = std::min<socklen_t>(len, sizeof(sockaddr_un));
  std::memcpy(&a.addr_, sa, len);
  a.len_ = len;
  if (a.is_path()) {  // a path ends at its NUL, whatever length the kernel reported
    std::size_t n = strnlen(a.addr_.sun_path, len - path_offset);
    if (n == 0) return unix_address();
    a.len_ = static_cast<socklen_t>(path_offset + std::min(n + 1, sizeof a.addr_.sun_path));
  }
  return a;
}

std::string unix_address::name() const {
  if (is_unnamed()) return {};
  if (is_abstract()) return std::string(addr_.sun_path + 1, len_ - path_offset - 1);
  return std::string(addr_.sun_path, strnlen(addr_.sun_path, len_ - path_offset));
}

std::string unix_address::to_string() const {
  if (is_unnamed()) return "unix:(unnamed)";
  return std::string(prefix) + (is_abstract() ? "@" : "") + name();
}

bool operator==(const unix_address& a, const unix_address& b) noexcept {
  return a.len_ == b.len_ && std::memcmp(&a.addr_, &b.addr_, a.len_) == 0;
}

bool is_unix_address_text(std::string_view text) noexcept { return text.substr(0, prefix.size()) == prefix; }

unix_socket_file::unix_socket_file(unix_socket_file&& o) noexcept
    : path_(std::move(o.path_)), dev_(o.dev_), ino_(o.ino_) {
  o.path_.clear();
}

unix_socket_file& unix_socket_file::operator=(unix_socket_file&& o) noexcept {
  if (this != &o) {
    (void)remove();
    path_ = std::move(o.path_);
    dev_ = o.dev_;
    ino_ = o.ino_;
    o.path_.clear();
  }
  return *this;
}

}  // namespace sockit
