// Windows only: Winsock's start-up, its error category, and names for its error codes.
#include "detail/net.hpp"

#include <array>
#include <string>
#include <utility>

#include "sockit/error.hpp"
#include "sockit/wait.hpp"

namespace sockit::detail {
namespace {

// WSAStartup is reference-counted by Winsock itself; this object holds one reference for the
// life of the process and gives it back with WSACleanup at exit.
struct winsock_session {
  winsock_session() noexcept {
    WSADATA d;
    ok = ::WSAStartup(MAKEWORD(2, 2), &d) == 0;
  }
  ~winsock_session() {
    if (ok) ::WSACleanup();
  }
  bool ok = false;
};

struct wsa_row {
  int code;
  const char* name;
  std::errc portable;
};

// The WSAE* codes sockets meet, their names, and the std::errc each is on Linux, so a caller
// compares against one value on both platforms.
constexpr std::array<wsa_row, 32> wsa_rows{{
    {WSAEINTR, "WSAEINTR", std::errc::interrupted},
    {WSAEBADF, "WSAEBADF", std::errc::bad_file_descriptor},
    {WSAEACCES, "WSAEACCES", std::errc::permission_denied},
    {WSAEFAULT, "WSAEFAULT", std::errc::bad_address},
    {WSAEINVAL, "WSAEINVAL", std::errc::invalid_argument},
    {WSAEMFILE, "WSAEMFILE", std::errc::too_many_files_open},
    {WSAEWOULDBLOCK, "WSAEWOULDBLOCK", std::errc::operation_would_block},
    {WSAEINPROGRESS, "WSAEINPROGRESS", std::errc::operation_in_progress},
    {WSAEALREADY, "WSAEALREADY", std::errc::connection_already_in_progress},
    {WSAENOTSOCK, "WSAENOTSOCK", std::errc::not_a_socket},
    {WSAEDESTADDRREQ, "WSAEDESTADDRREQ", std::errc::destination_address_required},
    {WSAEMSGSIZE, "WSAEMSGSIZE", std::errc::message_size},
    {WSAEPROTOTYPE, "WSAEPROTOTYPE", std::errc::wrong_protocol_type},
    {WSAENOPROTOOPT, "WSAENOPROTOOPT", std::errc::no_protocol_option},
    {WSAEPROTONOSUPPORT, "WSAEPROTONOSUPPORT", std::errc::protocol_not_supported},
    {WSAEOPNOTSUPP, "WSAEOPNOTSUPP", std::errc::operation_not_supported},
    {WSAEAFNOSUPPORT, "WSAEAFNOSUPPORT", std::errc::address_family_not_supported},
    {WSAEADDRINUSE, "WSAEADDRINUSE", std::errc::address_in_use},
    {WSAEADDRNOTAVAIL, "WSAEADDRNOTAVAIL", std::errc::address_not_available},
    {WSAENETDOWN, "WSAENETDOWN", std::errc::network_down},
    {WSAENETUNREACH, "WSAENETUNREACH", std::errc::network_unreachable},
    {WSAENETRESET, "WSAENETRESET", std::errc::network_reset},
    {WSAECONNABORTED, "WSAECONNABORTED", std::errc::connection_aborted},
    {WSAECONNRESET, "WSAECONNRESET", std::errc::connection_reset},
    {WSAENOBUFS, "WSAENOBUFS", std::errc::no_buffer_space},
    {WSAEISCONN, "WSAEISCONN", std::errc::already_connected},
    {WSAENOTCONN, "WSAENOTCONN", std::errc::not_connected},
    {WSAESHUTDOWN, "WSAESHUTDOWN", std::errc::broken_pipe},
    {WSAETIMEDOUT, "WSAETIMEDOUT", std::errc::timed_out},
    {WSAECONNREFUSED, "WSAECONNREFUSED", std::errc::connection_refused},
    {WSAEHOSTUNREACH, "WSAEHOSTUNREACH", std::errc::host_unreachable},
    {WSAENAMETOOLONG, "WSAENAMETOOLONG", std::errc::filename_too_long},
}};

const wsa_row* find_row(int code) noexcept {
  for (const auto& r : wsa_rows) {
    if (r.code == code) return &r;
  }
  return nullptr;
}

class winsock_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "winsock"; }
  std::string message(int ev) const override {
    char* text = nullptr;
    DWORD n = ::FormatMessageA(FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM |
                                   FORMAT_MESSAGE_IGNORE_INSERTS,
                               nullptr, static_cast<DWORD>(ev), 0, reinterpret_cast<char*>(&text), 0, nullptr);
    std::string out = n != 0 && text != nullptr ? std::string(text, n) : "Winsock error " + std::to_string(ev);
    if (text != nullptr) ::LocalFree(text);
    // FormatMessage ends its sentences with ".\r\n"; describe() adds the code's name after it.
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r' || out.back() == '.' || out.back() == ' ')) {
      out.pop_back();
    }
    return out;
  }
  std::error_condition default_error_condition(int ev) const noexcept override {
    if (const wsa_row* r = find_row(ev)) return r->portable;
    return {ev, *this};
  }
};

}  // namespace

void ensure_winsock() noexcept { static const winsock_session session; }

std::error_code would_wait(int fd, unsigned want) {
  wait_entry e{fd, want, 0};
  auto n = wait_any({&e, 1}, deadline::after(std::chrono::seconds(0)));
  if (!n) return n.error();
  if (*n == 0) return make_error_code(errc::would_block);
  if (e.ready & (wait_entry::error | wait_entry::hangup)) {
    // Ready with an error (a reset, an ICMP port unreachable on a connected UDP socket): the
    // pending error is the news. The call itself might wait on a blocking socket, or, under
    // Wine, read a reset as an orderly end.
    int err = 0;
    int len = sizeof err;
    if (::getsockopt(static_cast<SOCKET>(fd), SOL_SOCKET, SO_ERROR, reinterpret_cast<char*>(&err), &len) == 0 && err != 0) {
      return {err, winsock_category()};
    }
    // Wine's WSAPoll takes the reset it reports as POLLERR: SO_ERROR then reads 0 and recv 0,
    // an orderly end. POLLERR on a stream socket is a reset or an abort on Windows too.
    if (e.ready & wait_entry::error) return {WSAECONNRESET, winsock_category()};
  }
  return {};
}

}  // namespace sockit::detail

namespace sockit {

const std::error_category& winsock_category() noexcept {
  static const detail::winsock_category_impl c;
  return c;
}

std::string_view winsock_error_name(int err) noexcept {
  const detail::wsa_row* r = detail::find_row(err);
  return r != nullptr ? std::string_view(r->name) : std::string_view();
}

}  // namespace sockit
