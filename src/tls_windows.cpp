// TLS on Windows: not in this build. Debian ships OpenSSL for Linux only (no mingw-w64 build of
// it), so a context cannot be made and says errc::not_supported; with no context there is never
// a session, and the rest below is unreachable. tls_stream.cpp, built on tls_session, is shared.
#include "sockit/error.hpp"
#include "sockit/tls_context.hpp"
#include "sockit/tls_error.hpp"
#include "sockit/tls_session.hpp"

namespace sockit {

namespace {

class unavailable_category final : public std::error_category {
 public:
  explicit unavailable_category(const char* name) : name_(name) {}
  const char* name() const noexcept override { return name_; }
  std::string message(int ev) const override { return "TLS error " + std::to_string(ev) + " (no TLS in the Windows build)"; }

 private:
  const char* name_;
};

}  // namespace

const std::error_category& tls_category() noexcept {
  static const unavailable_category c("tls");
  return c;
}
const std::error_category& tls_verify_category() noexcept {
  static const unavailable_category c("tls-verify");
  return c;
}
const std::error_category& tls_handshake_category() noexcept {
  static const unavailable_category c("tls-handshake");
  return c;
}
const std::error_category& tls_protocol_category() noexcept {
  static const unavailable_category c("tls-protocol");
  return c;
}
std::error_code make_error_code(tls_errc e) noexcept { return {static_cast<int>(e), tls_category()}; }
bool is_tls_error(std::error_code ec) noexcept {
  const auto& c = ec.category();
  return c == tls_category() || c == tls_verify_category() || c == tls_handshake_category() ||
         c == tls_protocol_category();
}

result<tls_context> tls_context::client(const tls_client_options&) { return errc::not_supported; }
result<tls_context> tls_context::server(const tls_server_options&) { return errc::not_supported; }
result<std::vector<std::string>> parse_alpn_list(const std::string&) { return errc::not_supported; }

result<tls_session> tls_session::client(const tls_context&, std::string_view, std::string_view) {
  return errc::not_supported;
}
result<tls_session> tls_session::server(const tls_context&) { return errc::not_supported; }
tls_session::~tls_session() = default;
void tls_session::ssl_free::operator()(ssl_st*) const noexcept {}
std::error_code tls_session::feed(std::span<const std::byte>) { return errc::not_supported; }
std::size_t tls_session::take_output(buffer&) { return 0; }
std::size_t tls_session::output_pending() const noexcept { return 0; }
std::error_code tls_session::handshake() { return errc::not_supported; }
result<std::size_t> tls_session::read(std::span<std::byte>) { return errc::not_supported; }
std::error_code tls_session::write(std::span<const std::byte>) { return errc::not_supported; }
void tls_session::close_notify() {}
std::error_code tls_session::transport_closed() const noexcept { return errc::not_supported; }
std::string tls_session::describe(std::error_code ec) const { return ec.message(); }
std::string tls_session::version() const { return {}; }
std::string tls_session::cipher() const { return {}; }
std::string tls_session::alpn() const { return {}; }
std::string tls_session::peer_subject() const { return {}; }

}  // namespace sockit
