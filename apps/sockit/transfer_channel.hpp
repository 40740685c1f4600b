// The connection `sockit send` and `sockit recv` talk over: wire messages (sockit/transfer_wire.hpp)
// on a non-blocking socket, every wait cut into short slices so Ctrl+C, the idle limit and the
// progress bar are looked at while nothing moves. Private to the CLI.
#pragma once

#include <functional>
#include <string>
#include <system_error>

#include "sockit/deadline.hpp"
#include "sockit/result.hpp"
#include "sockit/socket.hpp"
#include "sockit/transfer_wire.hpp"

namespace sockit::cli {

class transfer_channel {
 public:
  // `idle_seconds`: how long the peer may stay silent (nothing sent, nothing taken) before a wait
  // gives std::errc::timed_out.
  transfer_channel(const socket& s, double idle_seconds) : s_(s), idle_seconds_(idle_seconds) {}

  const socket& sock() const noexcept { return s_; }

  // Called about five times a second while waiting, and after each wait (the progress bar).
  void on_tick(std::function<void()> f) { tick_ = std::move(f); }
  // Whether the last std::errc::timed_out was a message that began but did not finish in time.
  bool message_late() const noexcept { return message_late_; }

  // Waits until the socket is ready for `want` (wait_entry::readable / writable; error and
  // hang-up count as ready) and returns what it is ready for. The first Ctrl+C gives
  // std::errc::operation_canceled, a silent peer std::errc::timed_out.
  result<unsigned> wait(unsigned want);

  std::error_code send(const wire::message& m);
  // One whole message. A close before its first byte is errc::end_of_stream; a close inside it
  // std::errc::connection_aborted; bytes that are not a message the wire error.
  result<wire::message> receive();
  // A message if one has arrived already (e.g. the receiver's error while we send), without waiting
  // for more than one slice.
  result<wire::message> receive_pending();

  // After an error message went out: no more sending (FIN), and what the peer still sends is read
  // and dropped for up to two seconds, so our close does not reset the connection before the
  // peer has read why.
  void linger_close();

 private:
  std::error_code read_exact(std::byte* to, std::size_t n, bool first);
  const socket& s_;
  double idle_seconds_;
  // A message must be whole within idle_seconds of its first byte, not merely never silent that
  // long: a peer dribbling a byte a second would otherwise hold a `recv -k` for good.
  deadline message_by_;
  bool message_late_ = false;
  std::function<void()> tick_;
};

// The one line both sides print for a peer's error message: "<who>: <text>", the text made safe
// for a terminal and kept on one line.
std::string peer_error_line(std::string_view who, const wire::error_message& e);
// A name or text a peer sent, for one line on a terminal: printable(), with tab and newline
// escaped too.
std::string one_line(std::string_view s);

}  // namespace sockit::cli
