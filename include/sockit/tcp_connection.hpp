// sockit/tcp_connection.hpp: a buffered TCP connection on an event loop. Input and output buffers
// grow as needed and shrink back; partial writes are finished when the socket becomes writable;
// half-close works both ways; and a peer whose output is backed up (it sends but does not read)
// is not read from until its output drains below the low-water mark.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string_view>

#include "sockit/buffer.hpp"
#include "sockit/endpoint.hpp"
#include "sockit/event_loop.hpp"
#include "sockit/socket.hpp"

namespace sockit {

struct connection_limits {
  std::size_t high_water = 1 << 20;   // output bytes queued before reading pauses
  std::size_t low_water = 256 << 10;  // output bytes under which reading resumes
  int max_reads_per_wakeup = 16;      // fairness: one busy peer cannot starve the others (at least 1)
};

// The limits as a connection applies them: max_reads_per_wakeup below 1 would never read while
// the socket stays readable (a busy loop), so it counts as 1.
inline connection_limits effective(connection_limits l) noexcept {
  if (l.max_reads_per_wakeup < 1) l.max_reads_per_wakeup = 1;
  return l;
}

class tcp_connection : public std::enable_shared_from_this<tcp_connection> {
 public:
  using limits = connection_limits;
  using data_handler = std::function<void(tcp_connection&, buffer& input)>;
  // Called once, when the connection is closed; ec is empty for an orderly close. An error found
  // inside send() (or while changing what the loop watches for) closes the connection at once,
  // so closed() is true when that call returns, but the handler runs at the end of the loop
  // turn, never inside the caller (libuv's contract): a handler that sends is not re-entered.
  using close_handler = std::function<void(tcp_connection&, std::error_code ec)>;
  using event_handler = std::function<void(tcp_connection&)>;

  // The socket must be a connected TCP socket; it is made non-blocking.
  static std::shared_ptr<tcp_connection> create(event_loop& loop, socket s, endpoint peer,
                                                limits l = limits{});
  ~tcp_connection();

  void on_data(data_handler h) { on_data_ = std::move(h); }
  void on_close(close_handler h) { on_close_ = std::move(h); }
  // The peer half-closed (EOF). Default: finish sending what is queued, then half-close too.
  void on_peer_eof(event_handler h) { on_peer_eof_ = std::move(h); }
  // Output that had to be queued has now been fully written. (A send() the kernel takes whole
  // never queues, so it raises no drain event: producers keep going on their own then.)
  void on_drain(event_handler h) { on_drain_ = std::move(h); }

  // Starts watching the socket; the handlers must be set first.
  std::error_code start();

  // Queues bytes: written at once if possible, the rest when the socket is writable.
  void send(std::span<const std::byte> bytes);
  void send(std::string_view text);
  // Sends FIN once the queued output is written; reading continues until the peer's EOF.
  void shutdown_write();
  // Closes now; queued output is discarded. The close handler runs with `ec`.
  void close(std::error_code ec = {});
  // Stops reading, sends what is queued, then closes.
  void close_after_drain();
  // Graceful stop of a server: nothing new is queued and input is read and thrown away (unread
  // input would make the final close send a reset that destroys the output still in flight);
  // queued output is sent, then FIN. It closes itself on the peer's EOF; otherwise the owner
  // closes it once kernel_unsent() reaches 0, or at its deadline.
  void linger();
  // The owner's own pause, apart from the output backpressure above: while held nothing is read
  // (what the kernel buffers stays there, and the peer's window closes). A relay that fans one
  // peer's input out to others holds its readers while a receiver is backed up.
  void hold_reading(bool on);
  bool reading_held() const noexcept { return held_; }
  // Bytes the kernel still holds for the peer, unsent or unacknowledged (SIOCOUTQ); 0 on error.
  std::size_t kernel_unsent() const noexcept;

  std::size_t output_size() const noexcept { return output_.size(); }
  bool reading_paused() const noexcept { return paused_; }
  bool closed() const noexcept { return closed_; }
  const endpoint& peer() const noexcept { return peer_; }
  int fd() const noexcept { return socket_.native_handle(); }
  std::uint64_t bytes_in() const noexcept { return bytes_in_; }
  std::uint64_t bytes_out() const noexcept { return bytes_out_; }
  // When bytes last moved either way (or start()): what an idle timeout compares against. One
  // clock read per wake-up that moved bytes, nothing else: timers are the owner's business.
  std::chrono::steady_clock::time_point last_activity() const noexcept { return last_activity_; }
  // On by default. An owner that never reads last_activity() (a server without an idle timeout)
  // turns it off to spare that clock read; last_activity() then stays at start().
  void track_activity(bool on) noexcept { track_activity_ = on; }
  event_loop& loop() noexcept { return loop_; }

  // A free slot for the owner's per-connection state (service context, id...).
  std::shared_ptr<void> context;

  tcp_connection(event_loop& loop, socket s, endpoint peer, limits l);  // use create()

 private:
  void handle_events(std::uint32_t ev);
  void handle_io(std::uint32_t ev);
  void handle_read();
  void handle_write();
  void update_interest();
  void maybe_finish();
  // An error found inside a caller's call: closes now, runs the close handler at the end of the turn.
  void close_deferred(std::error_code ec);
  // Marks closed, stops watching, closes the socket, frees the buffers; returns the error to report.
  std::error_code release(std::error_code ec);

  // What every read and write touches first, together (a few cache lines: with 10k connections
  // each wake-up finds its connection cold); the peer's address and the rarer handlers after.
  event_loop& loop_;
  socket socket_;
  limits limits_;
  buffer input_;
  buffer output_;
  data_handler on_data_;
  std::uint64_t bytes_in_ = 0;
  std::uint64_t bytes_out_ = 0;
  std::chrono::steady_clock::time_point last_activity_{};
  std::uint32_t interest_ = 0;
  bool track_activity_ = true;
  bool started_ = false;
  bool paused_ = false;         // reading paused for backpressure
  bool held_ = false;           // reading paused by the owner (hold_reading)
  bool peer_eof_ = false;       // the peer sent FIN
  bool error_event_ = false;    // this turn's event carried an error (Windows: see handle_io)
  bool want_shutdown_ = false;  // FIN to send once output drains
  bool write_shut_ = false;     // FIN sent
  bool closing_ = false;        // close once output drains
  bool lingering_ = false;      // graceful stop: discard input, drain, FIN
  bool closed_ = false;
  close_handler on_close_;
  event_handler on_peer_eof_;
  event_handler on_drain_;
  endpoint peer_;
};

}  // namespace sockit
