// Wire messages over a non-blocking socket, waiting in slices (see transfer_channel.hpp).
#include "transfer_channel.hpp"

#include <array>
#include <chrono>
#include <vector>

#include "printable.hpp"
#include "stop_signals.hpp"
#include "sockit/error.hpp"
#include "sockit/io.hpp"
#include "sockit/wait.hpp"

namespace sockit::cli {

namespace {
constexpr auto slice = std::chrono::milliseconds(200);
}

result<unsigned> transfer_channel::wait(unsigned want) {
  auto idle_until = idle_seconds_ > 0 ? deadline::after_seconds(idle_seconds_) : deadline::never();
  const bool for_message = !message_by_.is_never() && (idle_until.is_never() || message_by_.when() < idle_until.when());
  if (for_message) idle_until = message_by_;
  message_late_ = false;
  for (;;) {
    if (stop_requested()) return std::errc::operation_canceled;
    wait_entry e{s_.native_handle(), want, 0};
    auto by = deadline::after(slice);
    if (!idle_until.is_never() && idle_until.when() < by.when()) by = idle_until;
    auto n = wait_any({&e, 1}, by);
    if (tick_) tick_();
    if (!n) return n.error();
    if (*n > 0) return e.ready;
    if (idle_until.expired()) {
      message_late_ = for_message;
      return std::errc::timed_out;
    }
  }
}

std::error_code transfer_channel::send(const wire::message& m) {
  auto bytes = wire::encode(m);
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    auto n = try_send(s_, std::span<const std::byte>(bytes).subspan(sent));
    if (n) {
      sent += *n;
      continue;
    }
    if (n.error() != errc::would_block) return n.error();
    auto w = wait(wait_entry::writable);
    if (!w) return w.error();
  }
  return {};
}

std::error_code transfer_channel::read_exact(std::byte* to, std::size_t n, bool first) {
  std::size_t got = 0;
  while (got < n) {
    auto r = try_recv(s_, {to + got, n - got});
    if (r) {
      got += *r;
      if (first && message_by_.is_never() && idle_seconds_ > 0) message_by_ = deadline::after_seconds(idle_seconds_);
      first = false;
      continue;
    }
    if (r.error() == errc::end_of_stream) {
      return first ? make_error_code(errc::end_of_stream) : std::make_error_code(std::errc::connection_aborted);
    }
    if (r.error() != errc::would_block) return r.error();
    auto w = wait(wait_entry::readable);
    if (!w) return w.error();
  }
  return {};
}

result<wire::message> transfer_channel::receive() {
  // Read exactly what wire::needed asks for, so the bytes after the message (a file's body) stay
  // in the socket for splice.
  std::vector<std::byte> buf;
  buf.reserve(64);
  message_by_ = deadline::never();  // set by the message's first byte (read_exact)
  struct clear_deadline {
    deadline& d;
    ~clear_deadline() { d = deadline::never(); }
  } clear{message_by_};
  for (;;) {
    auto need = wire::needed(buf);
    if (!need) return need.error();
    if (*need <= buf.size()) break;
    std::size_t have = buf.size();
    buf.resize(*need);
    if (auto ec = read_exact(buf.data() + have, *need - have, have == 0)) return ec;
  }
  return wire::parse(buf);
}

result<wire::message> transfer_channel::receive_pending() {
  wait_entry e{s_.native_handle(), wait_entry::readable, 0};
  auto n = wait_any({&e, 1}, deadline::after(slice));
  if (!n) return n.error();
  if (*n == 0) return std::errc::timed_out;
  return receive();
}

void transfer_channel::linger_close() {
  (void)s_.shutdown(shutdown_how::write);
  auto until = deadline::after(std::chrono::seconds(2));
  std::array<std::byte, 64 * 1024> sink;
  while (!until.expired()) {
    auto r = try_recv(s_, sink);
    if (r) continue;
    if (r.error() != errc::would_block) return;
    if (wait_readable(s_.native_handle(), deadline::at(std::min(until.when(), deadline::after(slice).when())))) {
      if (stop_requested()) return;
    }
  }
}

std::string one_line(std::string_view s) {
  std::string out;
  for (char c : printable(s)) {
    if (c == '\n') out += "\\x0a";
    else if (c == '\t') out += "\\x09";
    else out += c;
  }
  return out;
}

std::string peer_error_line(std::string_view who, const wire::error_message& e) {
  return std::string(who) + ": " + one_line(e.text);
}

}  // namespace sockit::cli
