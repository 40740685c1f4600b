// A relayed TCP connection: connect to the target, then two flows until both have finished.
#include "relay_connection.hpp"

#include "sys_socket.hpp"

#include <spdlog/spdlog.h>

#include "sockit/error.hpp"
#include "sockit/options.hpp"
#include "sockit/tcp.hpp"
#include "sockit/unix.hpp"

namespace sockit::cli {

relay_connection::relay_connection(event_loop& loop, std::uint64_t id, socket client, endpoint client_ep,
                                   const relay_settings& s, end_handler on_end)
    : loop_(loop),
      id_(id),
      client_(std::move(client)),
      client_ep_(std::move(client_ep)),
      settings_(s),
      on_end_(std::move(on_end)),
      started_(clock::now()) {}

relay_connection::~relay_connection() {
  // Owners end connections before dropping them; this only guards the loop's registrations.
  if (!ended_) {
    on_end_ = nullptr;
    end(outcome::stopped, {});
  }
}

void relay_connection::start() {
  auto later = [this, alive = std::weak_ptr<int>(token_)](outcome o, std::error_code ec) {
    loop_.post([this, alive, o, ec] {
      if (!alive.expired()) end(o, ec);
    });
  };
  if (auto ec = set_nonblocking(client_, true)) return later(outcome::reset, ec);
  auto t = socket::open(settings_.target_unix ? AF_UNIX : settings_.target.family(), SOCK_STREAM | SOCK_NONBLOCK);
  if (!t) return later(outcome::target_failed, t.error());
  target_ = std::move(*t);
  if (settings_.target_prepare) {
    if (auto pec = settings_.target_prepare(target_)) return later(outcome::target_failed, pec);
  }
  // A Unix connect completes (or fails: ENOENT, ECONNREFUSED, would_block for a full backlog) at once;
  // the writability event below then finds it connected, as for a TCP connect that did.
  auto ec = settings_.target_unix ? unix_connect(target_, *settings_.target_unix) : connect_start(target_, settings_.target);
  if (ec && ec != std::errc::operation_in_progress) return later(outcome::target_failed, ec);
  connecting_ = true;
  // Connected at once or not, the writability event says so (and finish() reads the outcome).
  if (auto wec = loop_.watch(target_.native_handle(), io_writable, [this](std::uint32_t ev) { on_io(false, ev); })) {
    return later(wec == make_error_code(errc::fd_out_of_range) ? outcome::reset : outcome::target_failed, wec);
  }
  target_watched_ = true;
  target_interest_ = io_writable;
  connect_timer_ = loop_.run_after(settings_.connect_timeout, [this] {
    connect_timer_ = 0;
    end(outcome::target_failed, std::make_error_code(std::errc::timed_out));
  });
}

void relay_connection::on_connect_event() {
  if (connect_timer_) loop_.cancel(connect_timer_);
  connect_timer_ = 0;
  if (auto ec = connect_finish(target_)) return end(outcome::target_failed, ec);
  connected();
}

void relay_connection::connected() {
  connecting_ = false;
  (void)set_tcp_nodelay(client_, true);  // a relay adds no Nagle delay of its own
  (void)set_tcp_nodelay(target_, true);
  if (settings_.tls_in || settings_.tls_out) return start_streams();
  flow_options up, down;
  up.copy = down.copy = settings_.copy;
  up.pipe_size = down.pipe_size = settings_.pipe_size;
  up.impair = settings_.impair_for(true);
  down.impair = settings_.impair_for(false);
  up.seed = flow_seed(settings_.seed, id_, true);
  down.seed = flow_seed(settings_.seed, id_, false);
  // Windows' overlapped copy reports its completions through the loop (Linux ignores these).
  up.loop = down.loop = &loop_;
  up.on_progress = down.on_progress = [this] { pump(); };
  up_.emplace(client_, target_, up);
  down_.emplace(target_, client_, down);
  up_->start();
  down_->start();
  pump();
}

void relay_connection::start_streams() {
  // The streams watch the sockets from now on.
  if (target_watched_) (void)loop_.unwatch(target_.native_handle());
  target_watched_ = false;
  auto p = relay_stream_pair::create(
      loop_, std::move(client_), client_ep_, std::move(target_), settings_,
      [this](relay_stream_pair::ending e, std::error_code ec, const std::string& why) {
        why_ = why;
        switch (e) {
          case relay_stream_pair::ending::clean: return end(outcome::clean, {});
          case relay_stream_pair::ending::reset: return end(outcome::reset, ec);
          case relay_stream_pair::ending::client_handshake: return end(outcome::client_tls_failed, ec);
          case relay_stream_pair::ending::target_handshake: return end(outcome::target_tls_failed, ec);
        }
      });
  if (!p) return end(outcome::reset, p.error());
  streams_ = std::move(*p);
  if (auto ec = streams_->start()) end(outcome::reset, ec);
}

std::uint64_t relay_connection::bytes_up() const noexcept {
  if (up_) return up_->bytes_out();
  return streams_ ? streams_->bytes_up() : final_up_;  // the streams count on after they close
}

std::uint64_t relay_connection::bytes_down() const noexcept {
  if (down_) return down_->bytes_out();
  return streams_ ? streams_->bytes_down() : final_down_;
}

void relay_connection::on_io(bool client_side, std::uint32_t ev) {
  if (ended_) return;
  if (connecting_) {
    if (!client_side) on_connect_event();
    return;
  }
  if (ev & io_error) {
    // A pending error (a reset): the flows may have nothing to read or write on this side now,
    // and a level-triggered error would wake the loop again and again. SO_ERROR says which.
    if (auto ec = connect_finish(client_side ? client_ : target_)) return end(outcome::reset, ec);
  }
  pump();
}

void relay_connection::pump() {
  if (ended_ || !up_) return;
  auto now = clock::now();
  if (auto ec = up_->pump(now)) return end(outcome::reset, ec);
  if (auto ec = down_->pump(now)) return end(outcome::reset, ec);
  if (up_->finished() && down_->finished()) return end(outcome::clean, {});
  update();
}

void relay_connection::update() {
  std::uint32_t want_client = (up_->wants_read() ? std::uint32_t{io_readable} : 0u) | (down_->wants_write() ? std::uint32_t{io_writable} : 0u);
  std::uint32_t want_target = (down_->wants_read() ? std::uint32_t{io_readable} : 0u) | (up_->wants_write() ? std::uint32_t{io_writable} : 0u);
  // A side with nothing left to read or write is not watched: a hung-up socket would otherwise
  // report its hang-up at every turn.
  // Nor are sockets whose flows complete without readiness (Windows' overlapped copy).
  const bool self_driven = up_->self_driven() && down_->self_driven();
  bool client_done = self_driven || (up_->src_done() && down_->finished());
  bool target_done = self_driven || (down_->src_done() && up_->finished());
  set_interest(client_, client_watched_, client_interest_, want_client, client_done, true);
  if (ended_) return;
  set_interest(target_, target_watched_, target_interest_, want_target, target_done, false);
  if (ended_) return;
  auto a = up_->wake_at(), b = down_->wake_at();
  std::optional<clock::time_point> at = a;
  if (b && (!at || *b < *at)) at = b;
  arm_timer(at);
}

void relay_connection::set_interest(const socket& s, bool& watched, std::uint32_t& current, std::uint32_t want,
                                    bool done, bool client_side) {
  int fd = s.native_handle();
  if (done) {
    if (watched) (void)loop_.unwatch(fd);
    watched = false;
    return;
  }
  std::error_code ec;
  if (!watched) {
    ec = loop_.watch(fd, want, [this, client_side](std::uint32_t ev) { on_io(client_side, ev); });
    if (!ec) watched = true;
  } else if (want != current) {
    ec = loop_.modify(fd, want);
  }
  if (ec) return end(outcome::reset, ec);
  current = want;
}

void relay_connection::arm_timer(std::optional<clock::time_point> at) {
  if (wake_timer_ && wake_at_ == at) return;
  if (wake_timer_) loop_.cancel(wake_timer_);
  wake_timer_ = 0;
  wake_at_ = at;
  if (!at) return;
  auto wait = *at - clock::now();
  if (wait < clock::duration::zero()) wait = clock::duration::zero();
  wake_timer_ = loop_.run_after(wait, [this] {
    wake_timer_ = 0;
    wake_at_.reset();
    pump();
  });
}

void relay_connection::drain() {
  if (ended_) return;
  draining_ = true;
  if (streams_) return streams_->drain();
  if (connecting_ || !up_) return end(outcome::stopped, {});
  up_->stop_reading();
  down_->stop_reading();
  pump();
}

bool relay_connection::drained() const noexcept {
  if (streams_) return ended_ || streams_->drained();
  return ended_ || !up_ || (up_->held() == 0 && down_->held() == 0);
}

void relay_connection::stop() { end(outcome::stopped, {}); }

void relay_connection::end(outcome o, std::error_code ec) {
  if (ended_) return;
  ended_ = true;
  token_.reset();  // tasks posted for this connection do nothing now
  if (connect_timer_) loop_.cancel(connect_timer_);
  if (wake_timer_) loop_.cancel(wake_timer_);
  connect_timer_ = wake_timer_ = 0;
  if (client_watched_) (void)loop_.unwatch(client_.native_handle());
  if (target_watched_) (void)loop_.unwatch(target_.native_handle());
  client_watched_ = target_watched_ = false;
  if (o == outcome::reset || o == outcome::target_failed) {
    // SO_LINGER 0: close sends a reset.
    if (client_.is_open()) (void)set_linger(client_, std::chrono::seconds(0));
    if (target_.is_open()) (void)set_linger(target_, std::chrono::seconds(0));
  }
  if (up_ || streams_) final_path_ = row(clock::now()).path;
  final_up_ = bytes_up();
  final_down_ = bytes_down();
  // Already closed if they ended the connection themselves; kept until the connection goes, since
  // this may run inside one of their own handlers.
  if (streams_) streams_->close(o == outcome::reset || o == outcome::target_failed);
  up_.reset();  // the flows refer to the sockets: gone first
  down_.reset();
  (void)client_.close();
  (void)target_.close();
  if (on_end_) on_end_(*this, o, ec);
}

relay_row relay_connection::row(clock::time_point now) const {
  relay_row r;
  r.id = id_;
  r.client = client_ep_;
  r.seconds = std::chrono::duration<double>(now - started_).count();
  if (streams_) {
    r.state = ended_ ? "ended" : draining_ ? "draining" : streams_->state();
    r.path = settings_.tls_in && settings_.tls_out ? "tls" : settings_.tls_in ? "tls-in" : "tls-out";
    r.bytes_up = streams_->bytes_up();
    r.bytes_down = streams_->bytes_down();
    return r;
  }
  if (!up_) {
    r.state = ended_ ? "ended" : "connecting";
    r.path = final_path_;
    r.bytes_up = final_up_;
    r.bytes_down = final_down_;
    return r;
  }
  r.state = draining_ ? "draining" : (up_->src_done() || down_->src_done()) ? "half-closed" : "open";
  r.path = path_name(up_->current_path());
  if (down_->current_path() != up_->current_path()) r.path += std::string("/") + path_name(down_->current_path());
  r.bytes_up = up_->bytes_out();
  r.bytes_down = down_->bytes_out();
  return r;
}

}  // namespace sockit::cli
