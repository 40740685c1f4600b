// The proto server: one acceptor, connections keyed by pointer, one parse-and-answer pass per
// read. All the answers to one read are encoded into one buffer and handed to one send().
// Idle connections are found by a hashed timer wheel, not by scanning them all.
#include "server.hpp"

#include <algorithm>
#include <chrono>
#include <csignal>
#include <memory>
#include <unordered_map>

#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include "../args.hpp"
#include "../cli.hpp"
#include "../json.hpp"
#include "../services/idle_wheel.hpp"
#include "sockit/error.hpp"
#include "sockit/frame_codec.hpp"
#include "sockit/tcp_acceptor.hpp"
#include "sockit/tcp_connection.hpp"
#include "sockit/timer_wheel.hpp"
#include "time_text.hpp"

namespace sockit::cli::proto {

namespace sp = sockit::proto;
using std::chrono::steady_clock;

namespace {

std::span<const std::byte> bytes_of(std::string_view s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}
std::uint32_t peek_u32le(std::span<const std::byte> b, std::size_t at) {
  std::uint32_t v = 0;
  for (std::size_t i = 0; i < 4 && at + i < b.size(); ++i) v |= static_cast<std::uint32_t>(b[at + i]) << (8 * i);
  return v;
}

// Filed in the idle wheel once per connection; the connection records the time of its last byte
// (no timer work per read), and the entry is re-filed when it comes due if it spoke since.
struct conn_state : timer_wheel::entry {
  explicit conn_state(tcp_connection* c) : conn(c) {}
  tcp_connection* conn;  // the connection owns this state, so it outlives neither
  bool finishing = false;  // an error or QUIT was answered: FIN sent or pending, input discarded
  event_loop::timer_id drain_timer = 0;
  std::uint64_t requests = 0;
};

class server {
 public:
  server(event_loop& loop, const server_options& o) : loop_(loop), opts_(o) {
    limits_.max_payload_v1 = o.max_payload;
    limits_.max_payload_v2 = o.max_payload_v2;
    limits_.accept_v2 = o.v2;
  }

  std::error_code listen() {
    auto a = tcp_acceptor::create(loop_, opts_.at, listen_options{},
                                  [this](socket s, const endpoint& peer) { accept(std::move(s), peer); });
    if (!a) return a.error();
    acceptor_ = std::move(*a);
    if (opts_.idle_timeout > 0) {
      idle_ = seconds_to_ms(opts_.idle_timeout);
      wheel_ = make_idle_wheel(idle_);
      loop_.run_every(wheel_->tick(), [this] { on_idle_tick(); });
    }
    return {};
  }
  const endpoint& local() const { return acceptor_->local_endpoint(); }

  void close_all() {
    if (acceptor_) acceptor_->close();
    std::vector<std::shared_ptr<tcp_connection>> all;
    for (auto& [_, c] : live_) all.push_back(c);
    for (auto& c : all) c->close();
    live_.clear();
  }

  std::uint64_t connections = 0, requests = 0, errors = 0;

 private:
  static conn_state& state(tcp_connection& c) { return *static_cast<conn_state*>(c.context.get()); }

  void accept(socket s, const endpoint& peer) {
    ++connections;
    auto conn = tcp_connection::create(loop_, std::move(s), peer);
    auto fresh = std::make_shared<conn_state>(conn.get());
    conn->context = fresh;
    conn->on_data([this](tcp_connection& c, buffer& in) { on_data(c, in); });
    conn->on_close([this](tcp_connection& c, std::error_code ec) {
      auto& st = state(c);
      if (st.drain_timer) loop_.cancel(st.drain_timer);
      st.cancel();  // out of the wheel now: the state may outlive the server
      bool normal = !ec || ec == std::errc::connection_reset || ec == std::errc::broken_pipe;
      if (normal) {
        spdlog::debug("proto: {} closed after {} request(s){}", c.peer().to_string(), st.requests,
                      ec ? ": " + ec.message() : "");
      } else {
        spdlog::warn("proto: {}", describe(c.peer().to_string(), ec));
      }
      live_.erase(&c);
    });
    auto* key = conn.get();
    live_.emplace(key, conn);
    if (auto ec = conn->start()) {
      spdlog::warn("proto: {}", describe("watch " + peer.to_string(), ec));
      live_.erase(key);
      return;
    }
    if (wheel_) wheel_->schedule(*fresh, conn->last_activity() + idle_);
    spdlog::debug("proto: connection from {}", peer.to_string());
  }

  void on_data(tcp_connection& c, buffer& in) {
    auto& st = state(c);
    if (st.finishing) {  // draining: read and discard until EOF or the drain deadline
      in.clear();
      return;
    }
    buffer out;
    auto bytes = in.readable();
    std::size_t off = 0;
    while (!st.finishing) {
      auto r = sp::parse_frame(bytes.subspan(off), limits_);
      if (r.kind == sp::parse_result::need_more) break;
      if (r.kind == sp::parse_result::error) {
        reject(c, out, bytes.subspan(off), r);
        break;
      }
      off += r.consumed;
      ++st.requests;
      ++requests;
      answer(c, out, r.view);
    }
    if (st.finishing) {
      in.clear();
    } else {
      in.consume(off);
    }
    // One send for everything this read produced: each response is whole inside it.
    if (!out.empty()) c.send(out.readable());
    if (st.finishing && !c.closed()) finish(c);
  }

  // Every answer is built here, so the payload limit holds for all of them (the chapter's client
  // refuses more than it expects). An OK answer that would not fit becomes a RESP_ERROR and the
  // connection finishes; an error reason that would not fit is cut to the limit.
  void reply(tcp_connection& c, buffer& out, const sp::frame_view& req, std::uint8_t status, std::string_view text,
             std::string_view what = {}) {
    std::size_t limit = req.version == 2 ? opts_.max_payload_v2 : opts_.max_payload;
    std::string why;
    if (text.size() > limit) {
      if (status == sp::status_ok) {
        // Named only on this rare path, so an ordinary ECHO formats nothing.
        auto name = what == "ECHO" ? fmt::format("ECHO of {} bytes", req.payload.size()) : std::string(what);
        why = fmt::format("Response too large: {} would answer {} bytes (limit {})", name, text.size(), limit);
        spdlog::warn("proto: {}: {}; closing", c.peer().to_string(), why);
        ++errors;
        state(c).finishing = true;
        status = sp::status_error;
        text = why;
      }
      text = text.substr(0, limit);
    }
    if (req.version == 2) {
      sp::encode_v2(out, status, 0, req.request_id, bytes_of(text));
    } else {
      sp::encode_v1(out, status, bytes_of(text));
    }
  }

  void answer(tcp_connection& c, buffer& out, const sp::frame_view& req) {
    auto& st = state(c);
    switch (req.code) {
      case sp::cmd_echo: {
        std::string text = "Echo: ";
        text.append(req.text());
        reply(c, out, req, sp::status_ok, text, "ECHO");
        return;
      }
      case sp::cmd_time:
        reply(c, out, req, sp::status_ok, format_time_now(opts_.time_format), "TIME");
        return;
      case sp::cmd_ping:
        reply(c, out, req, sp::status_ok, "PONG", "PING");
        return;
      case sp::cmd_quit:
        reply(c, out, req, sp::status_ok, "Goodbye", "QUIT");
        st.finishing = true;
        spdlog::debug("proto: {} sent QUIT", c.peer().to_string());
        return;
      default:
        spdlog::info("proto: {}: unknown command {}", c.peer().to_string(), req.code);
        reply(c, out, req, sp::status_error, "Unknown command");
        return;
    }
  }

  // A frame the decoder refused: say why in a RESP_ERROR of the frame's own version, then finish.
  void reject(tcp_connection& c, buffer& out, std::span<const std::byte> at, const sp::parse_result& r) {
    auto& st = state(c);
    ++errors;
    std::string why;
    using fe = sp::frame_errc;
    auto e = static_cast<fe>(r.ec.value());
    if (r.ec.category() != sp::frame_category()) {
      why = r.ec.message();
    } else if (e == fe::bad_checksum) {
      auto payload = at.subspan(sp::v1_header_size, r.consumed - sp::v1_header_size);
      why = fmt::format("Bad checksum: header says {}, payload sums to {}", peek_u32le(at, 4), sp::checksum_v1(payload));
    } else if (e == fe::payload_too_large) {
      std::size_t len = r.version == 2 ? peek_u32le(at, 8)
                                       : static_cast<std::size_t>(static_cast<std::uint8_t>(at[1]) |
                                                                  (static_cast<std::uint8_t>(at[2]) << 8));
      why = fmt::format("Payload too large: {} bytes (limit {})", len,
                        r.version == 2 ? opts_.max_payload_v2 : opts_.max_payload);
    } else if (e == fe::bad_version) {
      why = fmt::format("Unsupported protocol version {}", static_cast<unsigned>(at[3]));
    } else if (e == fe::bad_crc) {
      why = "Bad CRC32C";
    } else {
      why = r.ec.message();
    }
    spdlog::warn("proto: {}: {}; closing", c.peer().to_string(), why);
    sp::frame_view v;
    v.version = r.version == 2 ? 2 : 1;
    // The request id is echoed only from a frame whose layout is known: a v2 frame with a bad CRC
    // or length. An unknown version says nothing about where (or whether) an id is, so its
    // answer always carries id 0, however many bytes had arrived.
    if (v.version == 2 && e != fe::bad_version && r.ec.category() == sp::frame_category() && at.size() >= 16)
      v.request_id = peek_u32le(at, 12);
    reply(c, out, v, sp::status_error, why);
    st.finishing = true;
  }

  // FIN once the answer is out, then discard what the peer still sends until its EOF (the
  // connection then closes itself) or the drain deadline: closing with unread input would RST.
  void finish(tcp_connection& c) {
    auto& st = state(c);
    st.finishing = true;
    c.shutdown_write();
    if (c.closed() || st.drain_timer) return;
    std::weak_ptr<tcp_connection> weak = c.shared_from_this();
    auto d = std::chrono::duration<double>(opts_.drain_timeout);
    st.drain_timer = loop_.run_after(std::chrono::duration_cast<event_loop::duration>(d), [weak] {
      if (auto self = weak.lock()) {
        static_cast<conn_state*>(self->context.get())->drain_timer = 0;
        self->close();
      }
    });
  }

  void on_idle_tick() {
    auto now = steady_clock::now();
    wheel_->advance(now, [&](timer_wheel::entry& e) {
      auto& st = static_cast<conn_state&>(e);
      if (st.finishing) return;  // the drain deadline closes it
      auto due = st.conn->last_activity() + idle_;
      if (due > now) {
        wheel_->schedule(st, due);  // spoke since it was filed: file it again
        return;
      }
      auto keep = st.conn->shared_from_this();  // finish() may close it, which frees st
      spdlog::info("proto: {}: idle for {} s; closing", keep->peer().to_string(), opts_.idle_timeout);
      finish(*keep);
    });
  }

  event_loop& loop_;
  server_options opts_;
  sp::frame_limits limits_;
  std::unique_ptr<tcp_acceptor> acceptor_;
  // Declared before live_ so that it is destroyed after the connections filed in it.
  std::unique_ptr<timer_wheel> wheel_;  // only with --idle-timeout
  std::chrono::milliseconds idle_{};
  std::unordered_map<tcp_connection*, std::shared_ptr<tcp_connection>> live_;
};

}  // namespace

int run_server(const server_options& opts) {
  auto loop_r = event_loop::create(opts.eng);
  if (!loop_r) return fail("event loop", loop_r.error());
  auto& loop = **loop_r;
  bool stopped = false;
  if (auto ec = loop.on_signals({SIGINT, SIGTERM}, [&](int) {
        stopped = true;
        loop.stop();
      })) {
    return fail("signalfd", ec);
  }
  server srv(loop, opts);
  if (auto ec = srv.listen()) {
    auto line = describe("bind proto tcp " + opts.at.to_string(), ec);
    if (ec == std::errc::address_in_use) line += "; another program holds it (choose another with --port)";
    if (ec == std::errc::permission_denied) line += "; low ports need root or CAP_NET_BIND_SERVICE";
    return fail_message(line);
  }
  const char* versions = opts.v2 ? "v1+v2" : "v1";
  announce_listening(srv.local(), "tcp", "proto");
  if (opts.json) {
    json_object o;
    o.add("event", "listening").add("service", "proto").add("proto", "tcp").add("address", srv.local().to_string());
    o.add("versions", versions);
    print_json(o);
  } else {
    print_out("proto listening on {} ({}, max payload {})\n", srv.local().to_string(), versions, opts.max_payload);
    std::fflush(stdout);
  }
  spdlog::info("proto: serving on the {} engine; Ctrl+C stops", loop.engine_name());
  auto ec = loop.run();
  srv.close_all();
  if (opts.json) {
    json_object o;
    o.add("event", "totals").add("connections", srv.connections).add("requests", srv.requests).add("errors", srv.errors);
    print_json(o);
  } else {
    print_out("proto: {} connection(s), {} request(s), {} bad input(s)\n", srv.connections, srv.requests, srv.errors);
  }
  if (ec) return fail("event loop", ec);
  return stopped ? exit_ok : exit_failure;
}

}  // namespace sockit::cli::proto
