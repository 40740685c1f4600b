// Internal, Windows only: a Win32 file call's error as a std::error_code, and UTF-8 / ANSI text as
// the wide strings the *W calls take. The file errors a transfer meets compare (and read) as the
// std::errc Linux gives for them, so `sockit recv` says "No such file or directory" on both.
#pragma once

#ifdef _WIN32

#include <string>
#include <string_view>
#include <system_error>

#include <windows.h>

#include "sockit/error.hpp"

namespace sockit::detail {

inline std::error_code win_file_error(DWORD err) noexcept {
  switch (err) {
    case ERROR_FILE_NOT_FOUND:
    case ERROR_PATH_NOT_FOUND:
    case ERROR_INVALID_DRIVE: return std::make_error_code(std::errc::no_such_file_or_directory);
    case ERROR_ACCESS_DENIED: return std::make_error_code(std::errc::permission_denied);
    case ERROR_SHARING_VIOLATION:
    case ERROR_LOCK_VIOLATION: return std::make_error_code(std::errc::device_or_resource_busy);
    case ERROR_FILE_EXISTS:
    case ERROR_ALREADY_EXISTS: return std::make_error_code(std::errc::file_exists);
    case ERROR_DISK_FULL:
    case ERROR_HANDLE_DISK_FULL: return std::make_error_code(std::errc::no_space_on_device);
    case ERROR_DIRECTORY: return std::make_error_code(std::errc::not_a_directory);
    case ERROR_INVALID_NAME:
    case ERROR_BAD_PATHNAME: return std::make_error_code(std::errc::invalid_argument);
    case ERROR_FILENAME_EXCED_RANGE: return std::make_error_code(std::errc::filename_too_long);
    case ERROR_HANDLE_EOF: return make_error_code(errc::end_of_stream);
    default: return {static_cast<int>(err), winsock_category()};  // FormatMessage's text
  }
}

inline std::error_code last_file_error() noexcept { return win_file_error(::GetLastError()); }

// `code_page`: CP_UTF8 for names from the wire, CP_ACP for paths from the command line (main's
// narrow argv is in the ANSI code page).
inline std::wstring widen(std::string_view s, UINT code_page) {
  if (s.empty()) return {};
  int n = ::MultiByteToWideChar(code_page, 0, s.data(), static_cast<int>(s.size()), nullptr, 0);
  std::wstring w(static_cast<std::size_t>(n > 0 ? n : 0), L'\0');
  if (n > 0) ::MultiByteToWideChar(code_page, 0, s.data(), static_cast<int>(s.size()), w.data(), n);
  return w;
}

}  // namespace sockit::detail

#endif
