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
#include "responder.hpp"
#include "sockit/error.hpp"
#include "sockit/tcp_connection.hpp"
#include "sockit/tls_stream.hpp"
#ifdef __linux__
#include "sockit/uring_stream_server.hpp"
#endif

namespace sockit::cli::proto {

namespace {

// Per connection; the connection owns it (its `context`).
struct conn_state {
  conn_state(const server_options& o, proto_counters& counters, endpoint peer) : proto(o, counters, std::move(peer)) {}
  responder proto;
  event_loop::timer_id drain_timer = 0;
};

// The protocol as a per-connection handler of the host's TCP service; Conn is tcp_connection, or
// tls_stream for proto serve --tls (the same callback contract).
class handler {
 public:
  handler(const server_options& o, proto_counters& counters) : opts_(o), counters_(counters) {}
  const server_options& options() const noexcept { return opts_; }
  proto_counters& counters() const noexcept { return counters_; }

  template <class Conn>
  void open(Conn& c) {
    c.context = std::make_shared<conn_state>(opts_, counters_, c.peer());
    c.on_data([this](Conn& conn, buffer& in) { on_data(conn, in); });
    spdlog::debug("proto: connection from {}", c.peer().to_string());
  }

  template <class Conn>
  void closed(Conn& c, std::error_code ec) {
    if (!c.context) return;  // closed before it was opened
    auto& st = state(c);
    if (st.drain_timer) c.loop().cancel(st.drain_timer);
    st.drain_timer = 0;
    if constexpr (std::is_same_v<Conn, tls_stream>) {
      if (!c.handshake_done()) return;  // the service's warning said why (and it has no requests)
    }
    st.proto.closed(ec);
  }

  // Silent for --idle-timeout: FIN and drain, as after QUIT. One already finishing is left to its
  // drain deadline.
  template <class Conn>
  void idle(Conn& c) {
    if (state(c).proto.finishing()) return;
    spdlog::info("proto: {}: idle for {} s; closing", c.peer().to_string(), opts_.idle_timeout);
    finish(c);
  }

 private:
  template <class Conn>
  static conn_state& state(Conn& c) { return *static_cast<conn_state*>(c.context.get()); }

  template <class Conn>
  void on_data(Conn& c, buffer& in) {
    auto& st = state(c);
    if (st.proto.finishing()) {  // draining: read and discard until EOF or the drain deadline
      in.clear();
      return;
    }
    buffer out;
    in.consume(st.proto.feed(in.readable(), out));
    // One send for everything this read produced: each response is whole inside it.
    if (!out.empty()) c.send(out.readable());
    if (st.proto.finishing() && !c.closed()) finish(c);
  }

  // FIN once the answer is out, then discard what the peer still sends until its EOF (the
  // connection then closes itself) or the drain deadline: closing with unread input would RST.
  template <class Conn>
  void finish(Conn& c) {
    auto& st = state(c);
    st.proto.set_finishing();
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
};

#ifdef __linux__
// The protocol as an io_uring session (proto serve on --engine uring or auto): the ring's server
// receives, sends, finishes (FIN, then discards to the peer's close or the drain deadline).
class ring_session final : public stream_session {
 public:
  ring_session(const server_options& o, proto_counters& counters, endpoint peer) : proto_(o, counters, std::move(peer)) {
    spdlog::debug("proto: connection from {}", proto_.peer().to_string());
  }
  step on_data(std::span<const std::byte> in, buffer& out) override {
    std::size_t used = proto_.feed(in, out);
    return {used, proto_.finishing()};
  }
  void on_close(std::error_code ec) noexcept override {
    // The finish's deadline is an ordinary end here, as the loop's drain timer's close is.
    proto_.closed(ec == std::errc::timed_out ? std::error_code{} : ec);
  }

 private:
  responder proto_;
};
#endif

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
#ifdef __linux__
  ho.completion = true;  // on io_uring completions when it fits (Windows' IOCP server only echoes)
  ho.completion_sessions = [h](const endpoint& peer) -> std::unique_ptr<stream_session> {
    return std::make_unique<ring_session>(h->options(), h->counters(), peer);
  };
#endif
  proto_report report(opts, counters);
  return run_services(ho, {spec}, report);
}

}  // namespace sockit::cli::proto
