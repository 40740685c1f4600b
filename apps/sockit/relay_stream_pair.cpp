// A relayed connection copied through streams, TLS on one side or both (see the header).
#include "relay_stream_pair.hpp"

#include <chrono>
#include <type_traits>

#include <fmt/core.h>

#include "tls_flags.hpp"
#include "sockit/options.hpp"
#include "sockit/tcp_connection.hpp"
#include "sockit/tls_error.hpp"
#include "sockit/tls_stream.hpp"

namespace sockit::cli {

namespace {

template <class Conn>
constexpr bool is_tls = std::is_same_v<Conn, tls_stream>;

template <class Conn>
result<std::shared_ptr<Conn>> make_side(event_loop& loop, socket s, const endpoint& ep,
                                        [[maybe_unused]] const tls_context* ctx, [[maybe_unused]] const std::string& host) {
  if constexpr (is_tls<Conn>) {
    auto session = ctx->is_server() ? tls_session::server(*ctx) : tls_session::client(*ctx, host);
    if (!session) return session.error();
    return tls_stream::create(loop, std::move(s), ep, std::move(*session));
  } else {
    return tcp_connection::create(loop, std::move(s), ep);
  }
}

template <class Conn>
bool handshaking(const Conn& c) noexcept {
  if constexpr (is_tls<Conn>) return !c.closed() && !c.handshake_done();
  return false;
}

// The stream owns its descriptor and offers no reset of its own: SO_LINGER 0 is set through a
// borrowed socket (given back at once), so that its close sends a reset.
void arm_reset(int fd) {
  if (fd < 0) return;
  socket borrowed(fd);
  (void)set_linger(borrowed, std::chrono::seconds(0));
  (void)borrowed.release();
}

template <class Conn>
void detach(Conn& c) {
  c.on_data(nullptr);
  c.on_close(nullptr);
  c.on_peer_eof(nullptr);
  c.on_drain(nullptr);
  if constexpr (is_tls<Conn>) c.on_handshake(nullptr);
}

template <class Conn>
void shut(Conn& c, bool reset) {
  if (c.closed()) return;
  if (reset) arm_reset(c.fd());
  c.close();
}

template <class In, class Out>
class stream_pair final : public relay_stream_pair {
 public:
  stream_pair(event_loop& loop, std::shared_ptr<In> in, std::shared_ptr<Out> out, const relay_settings& s,
              end_handler on_end)
      : loop_(loop), in_(std::move(in)), out_(std::move(out)), settings_(s), on_end_(std::move(on_end)) {}
  ~stream_pair() override { close(false); }

  std::error_code start() override {
    link(in_, out_, up_eof_, true);
    link(out_, in_, down_eof_, false);
    in_->track_activity(false);
    out_->track_activity(false);
    if (auto ec = in_->start()) return ec;
    if (auto ec = out_->start()) return ec;
    if (handshaking(*in_) || handshaking(*out_)) {
      timer_ = loop_.run_after(settings_.connect_timeout, [this] {
        timer_ = 0;
        auto why = fmt::format("no handshake within {} s (--connect-timeout)",
                               std::chrono::duration<double>(settings_.connect_timeout).count());
        auto ec = std::make_error_code(std::errc::timed_out);
        if (handshaking(*in_)) finish(ending::client_handshake, ec, why);
        else if (handshaking(*out_)) finish(ending::target_handshake, ec, why);
      });
    }
    return {};
  }

  void drain() override {
    if (ended_) return;
    draining_ = true;
    in_->hold_reading(true);
    out_->hold_reading(true);
    in_->shutdown_write();
    out_->shutdown_write();
  }

  bool drained() const noexcept override {
    return ended_ || ((in_->closed() || in_->output_size() == 0) && (out_->closed() || out_->output_size() == 0));
  }

  void close(bool reset) override {
    if (ended_) return;
    ended_ = true;
    stop(reset, reset);
  }

  std::uint64_t bytes_up() const noexcept override { return out_->bytes_out(); }
  std::uint64_t bytes_down() const noexcept override { return in_->bytes_out(); }

  const char* state() const noexcept override {
    if (handshaking(*in_) || handshaking(*out_)) return "handshake";
    if (draining_) return "draining";
    return up_eof_ || down_eof_ ? "half-closed" : "open";
  }

 private:
  // Bytes from `from` go to `to`; `from` waits while `to` is backed up.
  template <class A, class B>
  void link(const std::shared_ptr<A>& from, const std::shared_ptr<B>& to, bool& eof, bool client_side) {
    A* f = from.get();
    B* t = to.get();
    from->on_data([t](A& self, buffer& input) {
      t->send(input.readable());
      input.clear();
      if (t->output_size() > high_water) self.hold_reading(true);
    });
    auto resume = [this, f](B& self) {
      if (!draining_ && self.output_size() <= low_water) f->hold_reading(false);
    };
    to->on_drain(resume);
    if constexpr (is_tls<B>) {
      // What `from` sent before this side's handshake is encrypted and sent now, and may leave
      // without ever being queued (then no drain event would release `from`).
      to->on_handshake([this, resume](B& self) {
        resume(self);
        if (timer_ && !handshaking(*in_) && !handshaking(*out_)) {
          loop_.cancel(timer_);
          timer_ = 0;
        }
      });
    }
    from->on_peer_eof([t, &eof](A&) {
      eof = true;
      t->shutdown_write();
    });
    from->on_close([this, client_side](A& c, std::error_code ec) { closed(c, ec, client_side); });
  }

  template <class Conn>
  void closed(Conn& c, std::error_code ec, bool client_side) {
    if (ended_) return;
    if constexpr (is_tls<Conn>) {
      if (ec && !c.handshake_done()) {
        return finish(client_side ? ending::client_handshake : ending::target_handshake, ec, tls_why(ec, &c.session()));
      }
      // A peer that ends with FIN and no close_notify (many servers do): what it sent has been
      // passed on, so it ends like a FIN would.
      if (ec == make_error_code(tls_errc::closed_without_close_notify)) ec = {};
    }
    if (ec) return finish(ending::reset, ec, {});
    if (in_->closed() && out_->closed()) finish(ending::clean, {}, {});
  }

  void finish(ending e, std::error_code ec, const std::string& why) {
    if (ended_) return;
    ended_ = true;
    // A client whose handshake failed has had its alert; the target never saw a byte from it.
    stop(e == ending::reset || e == ending::target_handshake, e == ending::reset);
    if (on_end_) on_end_(e, ec, why);
  }

  void stop(bool reset_client, bool reset_target) {
    if (timer_) loop_.cancel(timer_);
    timer_ = 0;
    detach(*in_);
    detach(*out_);
    shut(*in_, reset_client);
    shut(*out_, reset_target);
  }

  static constexpr std::size_t high_water = connection_limits{}.high_water;
  static constexpr std::size_t low_water = connection_limits{}.low_water;

  event_loop& loop_;
  std::shared_ptr<In> in_;
  std::shared_ptr<Out> out_;
  const relay_settings& settings_;
  end_handler on_end_;
  event_loop::timer_id timer_ = 0;
  bool up_eof_ = false, down_eof_ = false;  // the client's end, the target's end
  bool draining_ = false;
  bool ended_ = false;
};

template <class In, class Out>
result<std::unique_ptr<relay_stream_pair>> make_pair(event_loop& loop, socket client, const endpoint& client_ep,
                                                     socket target, const relay_settings& s,
                                                     relay_stream_pair::end_handler on_end) {
  auto in = make_side<In>(loop, std::move(client), client_ep, s.tls_in, {});
  if (!in) return in.error();
  auto out = make_side<Out>(loop, std::move(target), s.target, s.tls_out, s.tls_host);
  if (!out) return out.error();
  return std::unique_ptr<relay_stream_pair>(
      std::make_unique<stream_pair<In, Out>>(loop, std::move(*in), std::move(*out), s, std::move(on_end)));
}

}  // namespace

result<std::unique_ptr<relay_stream_pair>> relay_stream_pair::create(event_loop& loop, socket client,
                                                                     const endpoint& client_ep, socket target,
                                                                     const relay_settings& s, end_handler on_end) {
  auto args = [&](auto make) { return make(loop, std::move(client), client_ep, std::move(target), s, std::move(on_end)); };
  // Plain on both sides is relay_flow's (splice): a pair always has TLS on a side.
  if (s.tls_in) return s.tls_out ? args(make_pair<tls_stream, tls_stream>) : args(make_pair<tls_stream, tcp_connection>);
  return args(make_pair<tcp_connection, tls_stream>);
}

}  // namespace sockit::cli
