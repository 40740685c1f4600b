// listen -k / --broker: many clients at once (see listen_hub.hpp).
//
// One event loop, no thread per client. Each client is a tcp_connection (tls_stream) whose output queue holds
// what stdin (or, in broker mode, the other clients) gave it and its kernel buffers have not taken
// yet. The flow rule, ncat's pacing with a way out:
//   - stdin is read only while at least one client is connected (as ncat: what a file gives before
//     anyone connects goes to the first client) and no client's queue is over queue_limit; in
//     broker mode the clients' input is held by the same rule;
//   - a client that stays over the limit without taking a byte for stall_seconds is dropped with a
//     line on stderr, so a client that never reads holds the others up for that long, once.
// Memory is thus bounded by about queue_limit + one read per client.
#include "listen_hub.hpp"

#include <chrono>
#include <cmath>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include <unistd.h>

#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include "cli.hpp"
#include "fd_limit.hpp"
#include "output.hpp"
#include "stop_signals.hpp"
#include "tls_flags.hpp"
#include "unix_flags.hpp"
#include "stdin_port.hpp"
#include "sockit/error.hpp"
#include "sockit/event_loop.hpp"
#include "sockit/io.hpp"
#include "sockit/tcp_acceptor.hpp"
#include "sockit/tcp_connection.hpp"
#include "sockit/tls_stream.hpp"

namespace sockit::cli {

namespace {

using clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr std::size_t stdin_chunk = 64 * 1024;
constexpr auto tick = 100ms;  // stall and --recv-timeout checks, and the ^C check between waits

// Bytes a client's socket has taken (for TLS: ciphertext), which is how the stall check sees progress.
std::uint64_t taken(const tcp_connection& c) { return c.bytes_out(); }
std::uint64_t taken(const tls_stream& c) { return c.wire_bytes_out(); }

std::chrono::milliseconds to_ms(double seconds) {
  return std::chrono::milliseconds(static_cast<long long>(std::max(1.0, std::min(std::ceil(seconds * 1000.0), 1e12))));
}

// Conn: tcp_connection, or tls_stream for --tls (the same callback contract; each client's
// handshake runs on the loop, and what stdin gives before it ends waits in the stream).
template <class Conn>
class hub {
 public:
  hub(event_loop& loop, const hub_options& o, traffic_dumper& dump, std::uint64_t fd_limit)
      : loop_(loop), o_(o), dump_(dump), fd_limit_(fd_limit) {}

  int run(std::vector<bound_socket>& listeners);

 private:
  struct client {
    std::shared_ptr<Conn> conn;
    std::string name;
    clock::time_point last_recv;  // also when it connected, before it sent anything
    clock::time_point progress_at;  // when it last took a byte while over the limit (or got under it)
    std::uint64_t progress_mark = 0;
    bool eof = false;
  };

  void take_client(socket s, const endpoint& peer);
  void on_data(std::uint64_t id, Conn& c, buffer& input);
  void on_peer_eof(std::uint64_t id, Conn& c);
  void on_close(std::uint64_t id, std::error_code ec);
  void on_tick();
  void start_quit_clock();

  void start_stdin();
  void read_stdin();
  void stdin_done();
  void update_stdin();
  bool want_stdin() const;
  void send_stdin(std::string_view data);
  void pump_lines();
  void broadcast(std::string_view data, std::uint64_t except);
  bool blocked() const;
  void update_flow();
  void finish(int code);

  event_loop& loop_;
  const hub_options& o_;
  traffic_dumper& dump_;
  std::vector<std::unique_ptr<tcp_acceptor>> acceptors_;
  std::map<std::uint64_t, client> clients_;
  std::uint64_t next_id_ = 1;
  std::uint64_t fd_limit_;       // the soft RLIMIT_NOFILE, for the line about shed clients
  std::uint64_t shed_told_ = 0;  // clients refused at descriptor exhaustion, as last logged
  std::vector<char> inbuf_ = std::vector<char>(stdin_chunk);

  // stdin: watched by the loop, or (a regular file or /dev/null, which epoll refuses and which
  // never block) read by a zero-delay timer.
  bool stdin_watchable_ = true;
  bool stdin_on_ = false;
  event_loop::timer_id stdin_timer_ = 0;
  bool stdin_eof_ = false;
  bool stdin_finished_ = false;  // EOF seen and its last bytes sent: clients half-closed
  bool quit_waiting_ = false;    // -q: stdin has ended; its clock starts once every queue is empty
  clock::time_point stdin_done_at_{};
  std::string pending_;         // -i: lines read, not yet sent
  clock::time_point next_line_ = clock::time_point::min();
  event_loop::timer_id line_timer_ = 0;
  bool last_cr_ = false;  // -C

  bool held_ = false;  // broker: every client's reading held
  bool done_ = false;
  int code_ = exit_ok;
};

template <class Conn>
int hub<Conn>::run(std::vector<bound_socket>& listeners) {
  for (auto& l : listeners) {
    auto a = tcp_acceptor::adopt(loop_, std::move(l.sock),
                                 [this](socket s, const endpoint& peer) { take_client(std::move(s), peer); });
    if (!a) return fail("listen on " + l.at.to_string(), a.error());
    acceptors_.push_back(std::move(*a));
  }
  listeners.clear();
  start_stdin();
  auto ticker = loop_.run_every(tick, [this] { on_tick(); });
  // A turn at a time, so a first Ctrl+C (stop_signals.hpp: its handler interrupts the wait) is seen
  // at once, and a second one exits 130 even while a write to stdout blocks.
  defer_stop(true);
  while (!done_) {
    if (stop_requested()) {
      spdlog::info("interrupted: closing {} connection{}", clients_.size(), clients_.size() == 1 ? "" : "s");
      break;
    }
    if (auto ec = loop_.run_once(tick)) {
      code_ = fail("event loop", ec);
      break;
    }
  }
  loop_.cancel(ticker);
  acceptors_.clear();
  for (auto& [id, c] : clients_) c.conn->on_close(nullptr);
  clients_.clear();
  defer_stop(false);
  return code_;
}

template <class Conn>
void hub<Conn>::finish(int code) {
  if (done_) return;
  done_ = true;
  code_ = code;
}

template <class Conn>
void hub<Conn>::take_client(socket s, const endpoint& peer) {
  if (done_ || !o_.gate.admit(peer, clients_.size())) return;  // `s` closes here
  const std::uint64_t id = next_id_++;
  // A Unix client has no address (usually unnamed): the socket's name and a number tell clients
  // apart, and -v says who it is (SO_PEERCRED).
  std::string name = peer.unmapped().to_string();
  if (peer.empty()) {
    name = fmt::format("{} #{}", accepted_peer_name(s, peer), id);
    log_peer_credentials(s);
  }
  connection_limits lim;
  lim.high_water = std::numeric_limits<std::size_t>::max();  // the hub paces (see above), not each connection
  lim.low_water = lim.high_water;
  std::shared_ptr<Conn> conn;
  if constexpr (std::is_same_v<Conn, tls_stream>) {
    auto session = tls_session::server(*o_.tls);
    if (!session) {
      spdlog::warn("{}: {}", name, describe("TLS setup", session.error()));
      return;
    }
    conn = tls_stream::create(loop_, std::move(s), peer, std::move(*session), lim);
  } else {
    conn = tcp_connection::create(loop_, std::move(s), peer, lim);
    conn->track_activity(false);
  }
  conn->on_data([this, id](Conn& c, buffer& in) { on_data(id, c, in); });
  conn->on_peer_eof([this, id](Conn& c) { on_peer_eof(id, c); });
  conn->on_close([this, id](Conn&, std::error_code ec) { on_close(id, ec); });
  conn->on_drain([this](Conn&) { update_flow(); });
  if (auto ec = conn->start()) {
    spdlog::warn("{}: {}", name, describe("watch", ec));
    return;
  }
  const auto now = clock::now();
  spdlog::info("connection from {} ({} connected)", name, clients_.size() + 1);
  client c{conn, std::move(name), now, now, 0, false};
  clients_.emplace(id, std::move(c));
  if (stdin_finished_ && !o_.broker && !o_.recv_only) conn->shutdown_write();  // nothing more will come
  if (held_) conn->hold_reading(true);
  update_stdin();
}

template <class Conn>
void hub<Conn>::on_data(std::uint64_t id, Conn& c, buffer& input) {
  auto bytes = input.readable();
  std::string_view data(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  auto it = clients_.find(id);
  if (it != clients_.end()) it->second.last_recv = clock::now();
  dump_.received(data);
  if (o_.broker) {
    broadcast(data, id);
    input.clear();
    update_flow();
    return;
  }
  if (!o_.send_only && write_out(data)) {  // stdout failed: stop; main reports it (output.hpp)
    input.clear();
    c.hold_reading(true);
    finish(exit_ok);
    return;
  }
  input.clear();
}

template <class Conn>
void hub<Conn>::on_peer_eof(std::uint64_t id, Conn& c) {
  auto it = clients_.find(id);
  if (it != clients_.end()) it->second.eof = true;
  spdlog::debug("{} closed its side", c.peer().to_string());
  if (o_.broker || o_.recv_only) {
    c.close_after_drain();  // it will send nothing more, and (recv_only) nothing is sent to it
    return;
  }
  // Otherwise it still gets stdin (a `nc -N` client that sent first); once our side is half-closed
  // too, the connection closes itself.
  if (stdin_finished_) c.shutdown_write();
}

template <class Conn>
void hub<Conn>::on_close(std::uint64_t id, std::error_code ec) {
  auto it = clients_.find(id);
  if (it == clients_.end()) return;
  auto conn = it->second.conn;  // alive while its handler runs
  std::string name = std::move(it->second.name);
  clients_.erase(it);
  bool in_handshake = false;
  if constexpr (std::is_same_v<Conn, tls_stream>) in_handshake = !conn->handshake_done();
  if (ec && in_handshake) {
    // One client failing the handshake ends nothing but its connection.
    notice(fmt::format("TLS handshake with {} failed: {} ({} connected)", name, tls_why(ec), clients_.size()));
  } else if (ec && ec != std::errc::connection_reset && ec != std::errc::broken_pipe) {
    spdlog::info("{}: {} ({} connected)", name, describe("connection", ec), clients_.size());
  } else {
    spdlog::info("{} left ({} connected)", name, clients_.size());
  }
  update_flow();
}

template <class Conn>
void hub<Conn>::on_tick() {
  const auto now = clock::now();
  start_quit_clock();
  std::uint64_t shed = 0;
  for (const auto& a : acceptors_) shed += a->shed();
  if (shed > shed_told_) {  // at most one line a tick, however many were refused
    spdlog::warn("refused {} client{}: out of file descriptors (this process may hold {}: ulimit -n)",
                 shed - shed_told_, shed - shed_told_ == 1 ? "" : "s", fd_limit_);
    shed_told_ = shed;
  }
  std::vector<std::shared_ptr<Conn>> drop;
  for (auto& [id, c] : clients_) {
    if (c.conn->closed()) continue;
    if (c.conn->output_size() < o_.queue_limit || taken(*c.conn) != c.progress_mark) {
      c.progress_mark = taken(*c.conn);
      c.progress_at = now;
    } else if (now - c.progress_at >= to_ms(o_.stall_seconds)) {
      spdlog::warn("dropped {}: it took nothing for {} s with {} bytes queued (--send-timeout)", c.name,
                   o_.stall_seconds, c.conn->output_size());
      drop.push_back(c.conn);
      continue;
    }
    if constexpr (std::is_same_v<Conn, tls_stream>) {
      // A client's first bytes are its hello: until the handshake is done, last_recv is when it
      // connected, and nothing it sends counts as data.
      if (!c.conn->handshake_done() && o_.tls_handshake_timeout.count() > 0 &&
          now - c.last_recv >= o_.tls_handshake_timeout) {
        notice(fmt::format("TLS handshake with {} failed: no handshake within {} s (--tls-handshake-timeout)", c.name,
                           std::chrono::duration<double>(o_.tls_handshake_timeout).count()));
        drop.push_back(c.conn);
        continue;
      }
    }
    if (o_.recv_timeout > 0 && !c.eof && now - c.last_recv >= to_ms(o_.recv_timeout)) {
      spdlog::info("dropped {}: nothing received for {} s (--recv-timeout)", c.name, o_.recv_timeout);
      drop.push_back(c.conn);
    }
  }
  for (auto& c : drop) c->close();  // the close handler erases it
  update_flow();
}

// ---- stdin -------------------------------------------------------------------------------------

template <class Conn>
void hub<Conn>::start_stdin() {
  if (o_.recv_only) return;
  // Only a probe: stdin is watched while it is wanted (update_stdin), since a registration without
  // interest would still report a pipe's hang-up, level-triggered, turn after turn.
  auto ec = loop_.watch(stdin_wait_fd(), io_readable, [this](std::uint32_t) { read_stdin(); });
  if (!ec) {
    (void)loop_.unwatch(stdin_wait_fd());
  } else if (ec == std::errc::operation_not_permitted) {  // epoll: a regular file or /dev/null
    stdin_watchable_ = false;
  } else {  // closed (EBADF) or unusable: nothing to send
    spdlog::debug("stdin: {}", describe("watch", ec));
    stdin_eof_ = true;
    stdin_done();
  }
}

template <class Conn>
bool hub<Conn>::want_stdin() const {
  return !o_.recv_only && !stdin_eof_ && !done_ && !clients_.empty() && pending_.empty() && !blocked();
}

template <class Conn>
void hub<Conn>::update_stdin() {
  const bool want = want_stdin();
  if (want == stdin_on_) return;
  stdin_on_ = want;
  if (stdin_watchable_) {
    if (!want) {
      (void)loop_.unwatch(stdin_wait_fd());
    } else if (auto ec = loop_.watch(stdin_wait_fd(), io_readable, [this](std::uint32_t) { read_stdin(); })) {
      finish(fail("watch stdin", ec));
    }
    return;
  }
  if (want) {
    stdin_timer_ = loop_.run_after(0ms, [this] {
      stdin_timer_ = 0;
      stdin_on_ = false;  // one read per turn; update_stdin() re-arms it
      read_stdin();
      update_stdin();
    });
  } else if (stdin_timer_) {
    loop_.cancel(stdin_timer_);
    stdin_timer_ = 0;
  }
}

template <class Conn>
void hub<Conn>::read_stdin() {
  if (!want_stdin()) return;
  auto n = cli::read_stdin(std::as_writable_bytes(std::span(inbuf_)));
  if (!n && n.error() == errc::would_block) return;
  if (!n) {
    if (n.error() != errc::end_of_stream) spdlog::warn("{}", describe("read stdin", n.error()));
    spdlog::debug("stdin: end of file");
    stdin_eof_ = true;
    update_stdin();  // stops watching
    if (pending_.empty()) stdin_done();
    return;
  }
  std::string data(inbuf_.data(), *n);
  if (o_.crlf) {
    std::string out;
    out.reserve(data.size() + data.size() / 8);
    for (char ch : data) {
      if (ch == '\n' && !last_cr_) out += '\r';
      out += ch;
      last_cr_ = ch == '\r';
    }
    data = std::move(out);
  }
  if (o_.line_interval > 0) {
    pending_ = std::move(data);
    pump_lines();
  } else {
    send_stdin(data);
  }
  update_stdin();
}

template <class Conn>
void hub<Conn>::send_stdin(std::string_view data) {
  dump_.sent(data);
  broadcast(data, 0);
  update_flow();
}

// -i: one line of what stdin gave to everyone, then the next one line_interval later.
template <class Conn>
void hub<Conn>::pump_lines() {
  while (!pending_.empty() && !done_) {
    const auto now = clock::now();
    if (now < next_line_) {
      if (!line_timer_) {
        line_timer_ = loop_.run_after(next_line_ - now, [this] {
          line_timer_ = 0;
          pump_lines();
        });
      }
      return;
    }
    auto nl = pending_.find('\n');
    std::size_t len = nl == std::string::npos ? pending_.size() : nl + 1;
    std::string line = pending_.substr(0, len);
    pending_.erase(0, len);
    if (nl != std::string::npos) next_line_ = now + to_ms(o_.line_interval);
    send_stdin(line);
  }
  if (stdin_eof_) {
    stdin_done();
  } else {
    update_stdin();
  }
}

// Stdin has ended and all it gave is queued: half-close every client (those that come later at
// once), as a single peer's stdin EOF does. Broker mode: the clients still talk to each other.
template <class Conn>
void hub<Conn>::stdin_done() {
  if (stdin_finished_) return;
  stdin_finished_ = true;
  if (!o_.broker) {
    std::vector<std::shared_ptr<Conn>> all;
    for (auto& [id, c] : clients_) all.push_back(c.conn);
    for (auto& c : all) c->shutdown_write();  // may close (the peer had closed too): handlers erase
  }
  quit_waiting_ = o_.quit_after_eof >= 0;
  stdin_done_at_ = clock::now();
  start_quit_clock();
}

// -q counts from when stdin's bytes are sent: every client's queue handed to the kernel, so a
// slow reader still gets the end of it; but not past --send-timeout after stdin's end, so a client
// that takes nothing cannot hold the exit up.
template <class Conn>
void hub<Conn>::start_quit_clock() {
  if (!quit_waiting_) return;
  if (clock::now() - stdin_done_at_ < to_ms(o_.stall_seconds)) {
    for (const auto& [id, c] : clients_) {
      if (!c.conn->closed() && c.conn->output_size() > 0) return;
    }
  }
  quit_waiting_ = false;
  loop_.run_after(o_.quit_after_eof > 0 ? std::chrono::duration_cast<event_loop::duration>(to_ms(o_.quit_after_eof))
                                        : event_loop::duration(0),
                  [this] {
                    spdlog::info("{} s after stdin's end (-q): closing {} connection{}", o_.quit_after_eof,
                                 clients_.size(), clients_.size() == 1 ? "" : "s");
                    finish(exit_ok);
                  });
}

// ---- flow --------------------------------------------------------------------------------------

template <class Conn>
void hub<Conn>::broadcast(std::string_view data, std::uint64_t except) {
  if (data.empty()) return;
  // send() may close a client whose peer is gone (its handler runs at the end of the turn).
  for (auto& [id, c] : clients_) {
    if (id != except) c.conn->send(data);
  }
}

template <class Conn>
bool hub<Conn>::blocked() const {
  for (const auto& [id, c] : clients_) {
    if (c.conn->output_size() >= o_.queue_limit) return true;
  }
  return false;
}

template <class Conn>
void hub<Conn>::update_flow() {
  start_quit_clock();
  if (o_.broker) {
    const bool hold = blocked();
    if (hold != held_) {
      held_ = hold;
      spdlog::debug("{} reading from clients: a queue is {}", hold ? "holding" : "resuming", hold ? "full" : "drained");
      for (auto& [id, c] : clients_) c.conn->hold_reading(hold);
    }
  }
  update_stdin();
}

}  // namespace

int run_listen_hub(std::vector<bound_socket>& listeners, const hub_options& o, traffic_dumper& dump) {
  // A stock soft limit of 1024 would cap the clients (fd_limit.hpp).
  const std::uint64_t fd_limit = raise_fd_limit().soft;
  auto loop = event_loop::create(engine::automatic);
  if (!loop) return fail("event loop", loop.error());
  spdlog::info("serving clients at once{} on the {} engine", o.broker ? " (broker: each one's input to the others)" : "",
               (*loop)->engine_name());
  if (o.tls) {
    hub<tls_stream> h(**loop, o, dump, fd_limit);
    return h.run(listeners);
  }
  hub<tcp_connection> h(**loop, o, dump, fd_limit);
  return h.run(listeners);
}

}  // namespace sockit::cli
