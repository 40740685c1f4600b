// The proto service: one parse-and-answer pass per read, all the answers to one read encoded into
// one buffer and handed to one send(). The acceptor, the connection set, the idle wheel, limits,
// loops and the graceful stop are the service host's (services/), as for serve and echo.
#include "server.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <type_traits>

#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include "../args.hpp"
#include "../cli.hpp"
#include "../json.hpp"
#include "../services/service_host.hpp"
#include "sockit/error.hpp"
#include "sockit/frame_codec.hpp"
#include "sockit/tcp_connection.hpp"
#include "sockit/tls_stream.hpp"
#include "time_text.hpp"

namespace sockit::cli::proto {

namespace sp = sockit::proto;
using std::chrono::steady_clock;

namespace {

std::span<const std::byte> bytes_of(std::string_view s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

// Per connection; the connection owns it (its `context`).
struct conn_state {
  bool finishing = false;  // an error or QUIT was answered: FIN sent or pending, input discarded
  event_loop::timer_id drain_timer = 0;
  std::uint64_t requests = 0;
};

// What proto serve counts besides the host's connection totals; shared by every loop.
struct proto_counters {
  std::atomic<std::uint64_t> requests{0};  // added per connection when it closes
  std::atomic<std::uint64_t> errors{0};    // bad inputs and answers too large to send
};

// The protocol as a per-connection handler of the host's TCP service; Conn is tcp_connection, or
// tls_stream for proto serve --tls (the same callback contract).
class handler {
 public:
  handler(const server_options& o, proto_counters& counters) : opts_(o), counters_(counters) {
    limits_.max_payload_v1 = o.max_payload;
    limits_.max_payload_v2 = o.max_payload_v2;
    limits_.accept_v2 = o.v2;
  }

  template <class Conn>
  void open(Conn& c) {
    c.context = std::make_shared<conn_state>();
    c.on_data([this](Conn& conn, buffer& in) { on_data(conn, in); });
    spdlog::debug("proto: connection from {}", c.peer().to_string());
  }

  template <class Conn>
  void closed(Conn& c, std::error_code ec) {
    if (!c.context) return;  // closed before it was opened
    auto& st = state(c);
    if (st.drain_timer) c.loop().cancel(st.drain_timer);
    st.drain_timer = 0;
    counters_.requests.fetch_add(st.requests, std::memory_order_relaxed);
    if constexpr (std::is_same_v<Conn, tls_stream>) {
      if (!c.handshake_done()) return;  // the service's warning said why
    }
    bool normal = !ec || ec == std::errc::connection_reset || ec == std::errc::broken_pipe;
    if (normal) {
      spdlog::debug("proto: {} closed after {} request(s){}", c.peer().to_string(), st.requests,
                    ec ? ": " + ec.message() : "");
    } else {
      spdlog::warn("proto: {}", describe(c.peer().to_string(), ec));
    }
  }

  // Silent for --idle-timeout: FIN and drain, as after QUIT. One already finishing is left to its
  // drain deadline.
  template <class Conn>
  void idle(Conn& c) {
    if (state(c).finishing) return;
    spdlog::info("proto: {}: idle for {} s; closing", c.peer().to_string(), opts_.idle_timeout);
    finish(c);
  }

 private:
  template <class Conn>
  static conn_state& state(Conn& c) { return *static_cast<conn_state*>(c.context.get()); }

  template <class Conn>
  void on_data(Conn& c, buffer& in) {
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
        reject(c, out, r);
        break;
      }
      off += r.consumed;
      ++st.requests;
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
  template <class Conn>
  void reply(Conn& c, buffer& out, const sp::frame_view& req, std::uint8_t status, std::string_view text,
             std::string_view what = {}) {
    std::size_t limit = req.version == 2 ? opts_.max_payload_v2 : opts_.max_payload;
    std::string why;
    if (text.size() > limit) {
      if (status == sp::status_ok) {
        // Named only on this rare path, so an ordinary ECHO formats nothing.
        auto name = what == "ECHO" ? fmt::format("ECHO of {} bytes", req.payload.size()) : std::string(what);
        why = fmt::format("Response too large: {} would answer {} bytes (limit {})", name, text.size(), limit);
        spdlog::warn("proto: {}: {}; closing", c.peer().to_string(), why);
        counters_.errors.fetch_add(1, std::memory_order_relaxed);
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

  template <class Conn>
  void answer(Conn& c, buffer& out, const sp::frame_view& req) {
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
  // Everything the reason names comes from the decoder's result, never from the header again.
  template <class Conn>
  void reject(Conn& c, buffer& out, const sp::parse_result& r) {
    auto& st = state(c);
    counters_.errors.fetch_add(1, std::memory_order_relaxed);
    std::string why;
    using fe = sp::frame_errc;
    auto e = static_cast<fe>(r.ec.value());
    if (r.ec.category() != sp::frame_category()) {
      why = r.ec.message();
    } else if (e == fe::bad_checksum) {
      why = fmt::format("Bad checksum: header says {}, payload sums to {}", r.declared_check, r.computed_check);
    } else if (e == fe::payload_too_large) {
      why = fmt::format("Payload too large: {} bytes (limit {})", r.declared_length,
                        r.version == 2 ? opts_.max_payload_v2 : opts_.max_payload);
    } else if (e == fe::bad_version) {
      why = fmt::format("Unsupported protocol version {}", static_cast<unsigned>(r.version_byte));
    } else if (e == fe::bad_crc) {
      why = "Bad CRC32C";
    } else {
      why = r.ec.message();
    }
    spdlog::warn("proto: {}: {}; closing", c.peer().to_string(), why);
    sp::frame_view v;
    v.version = r.version == 2 ? 2 : 1;
    // The request id is echoed only from a frame whose layout is known: the decoder fills it from
    // a whole v2 header (a bad CRC or length). An unknown version says nothing about where (or
    // whether) an id is, so its answer always carries id 0.
    if (v.version == 2) v.request_id = r.view.request_id;
    reply(c, out, v, sp::status_error, why);
    st.finishing = true;
  }

  // FIN once the answer is out, then discard what the peer still sends until its EOF (the
  // connection then closes itself) or the drain deadline: closing with unread input would RST.
  template <class Conn>
  void finish(Conn& c) {
    auto& st = state(c);
    st.finishing = true;
    c.shutdown_write();
    if (c.closed() || st.drain_timer) return;
    std::weak_ptr<Conn> weak = c.shared_from_this();
    auto d = std::chrono::duration<double>(opts_.drain_timeout);
    st.drain_timer = c.loop().run_after(std::chrono::duration_cast<event_loop::duration>(d), [weak] {
      if (auto self = weak.lock()) {
        static_cast<conn_state*>(self->context.get())->drain_timer = 0;
        self->close();
      }
    });
  }

  server_options opts_;
  proto_counters& counters_;
  sp::frame_limits limits_;
};

// proto serve's own output: its listening line (with the versions) and its totals line.
class proto_report final : public service_report {
 public:
  proto_report(const server_options& o, const proto_counters& counters) : opts_(o), counters_(counters) {}

  // One line (or JSON object) per socket: 127.0.0.1 and ::1 by default.
  void listening(const std::vector<service_stats>& rows) override {
    const char* versions = opts_.v2 ? "v1+v2" : "v1";
    for (const auto& row : rows) {
      if (row.unix_at.empty()) announce_listening(row.local, row.proto, "proto");  // listen_unix said it
      if (opts_.json) {
        json_object o;
        o.add("event", "listening").add("service", "proto").add("proto", row.proto).add("address", row.where());
        o.add("versions", versions).add_raw("socket_options", row.socket_options);
        print_json(o);
      } else {
        print_out("proto listening on {} ({}, max payload {}{})\n", row.where(), versions, opts_.max_payload,
                  opts_.tls ? ", TLS" : "");
      }
    }
  }

  void totals(const std::vector<service_stats>& rows) override {
    std::uint64_t connections = 0;  // every row is proto's (merged twins, or one unix: socket)
    for (const auto& r : rows) connections += r.connections;
    auto requests = counters_.requests.load();
    auto errors = counters_.errors.load();
    if (opts_.json) {
      json_object o;
      o.add("event", "totals").add("connections", connections).add("requests", requests).add("errors", errors);
      print_json(o);
    } else {
      print_out("proto: {} connection(s), {} request(s), {} bad input(s)\n", connections, requests, errors);
    }
  }

 private:
  const server_options& opts_;
  const proto_counters& counters_;
};

}  // namespace

int run_server(const server_options& opts) {
  proto_counters counters;
  // Shared by every loop's service; it keeps no per-loop state (that is in each connection).
  auto h = std::make_shared<handler>(opts, counters);
  service_spec spec;
  spec.name = "proto";
  spec.port = opts.at.port();
  spec.port_flag = "--port";
  spec.tcp = true;
  spec.udp = false;
  spec.on_open = [h](tcp_connection& c) { h->open(c); };
  spec.on_close = [h](tcp_connection& c, std::error_code ec) { h->closed(c, ec); };
  spec.on_idle = [h](tcp_connection& c) { h->idle(c); };
  spec.tls_hooks.on_open = [h](tls_stream& c) { h->open(c); };
  spec.tls_hooks.on_close = [h](tls_stream& c, std::error_code ec) { h->closed(c, ec); };
  spec.tls_hooks.on_idle = [h](tls_stream& c) { h->idle(c); };
  host_options ho;
  ho.bind = opts.at;
  ho.loopback_pair = opts.loopback_pair;
  ho.eng = opts.eng;
  ho.threads = opts.threads;
  ho.max_connections = opts.max_connections;
  ho.idle_timeout = opts.idle_timeout > 0 ? seconds_to_ms(opts.idle_timeout) : std::chrono::milliseconds(0);
  ho.drain_timeout = seconds_to_ms(opts.drain_timeout);
  ho.json = opts.json;
  ho.sock = opts.sock;
  ho.unix_at = opts.unix_at;
  ho.unix = opts.unix;
  ho.tls = opts.tls;
  ho.tls_handshake_timeout = opts.tls_handshake_timeout;
  proto_report report(opts, counters);
  return run_services(ho, {spec}, report);
}

}  // namespace sockit::cli::proto
