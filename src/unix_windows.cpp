// Unix domain sockets on Windows: not offered. Windows 10's AF_UNIX has stream sockets only, no
// abstract names, datagrams or peer credentials, and Wine does not carry it, so nothing here could
// be tested; every call says errc::not_supported (the addresses themselves parse as on Linux).
#include "sockit/error.hpp"
#include "sockit/unix.hpp"

namespace sockit {

std::error_code unix_socket_file::remove() {
  path_.clear();  // never created here
  return {};
}

std::error_code unix_connect(const socket&, const unix_address&) { return errc::not_supported; }
result<socket> unix_connect(const unix_address&, const unix_connect_options&) { return errc::not_supported; }
result<socket> unix_listen(const unix_address&, const unix_listen_options&, unix_socket_file*, int) {
  return errc::not_supported;
}
result<socket> unix_bind_datagram(const unix_address&, const unix_listen_options&, unix_socket_file*) {
  return errc::not_supported;
}
result<unix_address> unix_local_address(const socket&) { return errc::not_supported; }
result<unix_address> unix_peer_address(const socket&) { return errc::not_supported; }
result<unix_datagram> try_unix_recv_from(const socket&, std::span<std::byte>) { return errc::not_supported; }
result<std::size_t> try_unix_send_to(const socket&, std::span<const std::byte>, const unix_address&) {
  return errc::not_supported;
}
result<unix_credentials> peer_credentials(const socket&) { return errc::not_supported; }

}  // namespace sockit
