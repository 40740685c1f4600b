// The TCP side on completions (completion_server.hpp): the platform's completion server on a
// thread of its own.
#include "completion_server.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "service_host.hpp"
#include "sockit/error.hpp"
#include "sockit/tcp.hpp"

namespace sockit::cli {
namespace {

// Connections the server shed: io_uring's when its file table is full; the IOCP server has none.
template <class Stats>
std::uint64_t dropped_of(const Stats& s) {
  if constexpr (requires { s.dropped; }) {
    return s.dropped;
  } else {
    return 0;
  }
}

}  // namespace

result<std::unique_ptr<completion_server>> completion_server::start(std::string name, const endpoint& at,
                                                                    const socket_prepare& prepare,
                                                                    const host_options& opts, bool reuse_port) {
  listen_options lo;
  lo.prepare = prepare;
  lo.reuse_port = reuse_port;
  auto listener = tcp_listen(at, lo);
  if (!listener) return listener.error();
  auto local = listener->local_endpoint();
  if (!local) return local.error();
#ifdef _WIN32
  auto server = completion_backend::open(std::move(*listener));
#else
  uring_stream_options so;
  so.sessions = opts.completion_sessions;
  so.finish_timeout = opts.drain_timeout;
  auto server = completion_backend::open(std::move(*listener), so);
#endif
  if (!server) return server.error();
  service_stats row;
  row.service = std::move(name);
  row.proto = "tcp";
  row.local = *local;
  std::unique_ptr<completion_server> c(new completion_server(std::move(*server), std::move(row)));
  auto* self = c.get();
  c->thread_ = std::thread([self, drain = opts.drain_timeout] {
    auto r = self->server_.run(drain);
    if (!r) spdlog::error("{}", describe(self->row_.service + " " + self->row_.local.to_string(), r.error()));
    self->done_ = true;
  });
  return c;
}

completion_server::completion_server(completion_backend server, service_stats row)
    : server_(std::move(server)), row_(std::move(row)) {}

completion_server::~completion_server() { close_all(); }

void completion_server::begin_drain() { server_.stop(); }

// The server drains itself (cancels receives, lets echoes finish, closes what is done, to its
// own deadline); the loop waits while it has a connection left or its thread still runs.
std::size_t completion_server::sweep_drained() {
  if (done_) return 0;
  return std::max<std::size_t>(1, server_.open_connections());
}

void completion_server::close_all() {
  server_.stop();
  join();
}

void completion_server::join() {
  if (thread_.joinable()) thread_.join();
}

service_stats completion_server::totals() const {
  service_stats row = row_;
  auto s = server_.stats();
  row.connections = s.accepted;
  row.bytes_in = s.bytes_in;
  row.bytes_out = s.bytes_out;
  row.dropped = dropped_of(s);
  return row;
}

service_stats completion_totals(const std::vector<const completion_server*>& servers) {
  service_stats sum = servers.front()->totals();
  for (std::size_t k = 1; k < servers.size(); ++k) {
    auto t = servers[k]->totals();
    sum.connections += t.connections;
    sum.bytes_in += t.bytes_in;
    sum.bytes_out += t.bytes_out;
    sum.dropped += t.dropped;
  }
  return sum;
}

#ifdef _WIN32
std::string_view completion_mechanism(const host_options&) noexcept { return "AcceptEx and overlapped WSARecv/WSASend"; }
engine completion_engine() noexcept { return engine::iocp; }
#else
std::string_view completion_mechanism(const host_options& opts) noexcept {
  if (opts.completion_sessions) return "io_uring accept into the file table, multishot receive, provided buffers";
  return "io_uring multishot accept and receive, provided buffers";
}
engine completion_engine() noexcept { return engine::uring; }
#endif

std::string completion_unfit(const host_options& opts, int loops) {
#ifdef _WIN32
  if (opts.eng != engine::iocp && opts.eng != engine::automatic) return "another engine was chosen";
#else
  // auto is uring where the ring opens (the engine table's first row), so it takes this path too.
  if (opts.eng != engine::uring && opts.eng != engine::automatic) return "another engine was chosen";
  if (auto ec = uring_stream_server::available()) return "this kernel (" + ec.message() + ")";
#endif
#ifdef _WIN32
  if (loops > 1) return "--threads (one completion port serves every connection)";
#else
  (void)loops;  // each loop gets its own ring and its own SO_REUSEPORT listener
#endif
  if (opts.tls) return "--tls";
  if (opts.unix_at) return "a unix: address";
  if (opts.idle_timeout.count() > 0) return "--idle-timeout";
  if (opts.max_connections) return "--max-connections";
  return {};
}

}  // namespace sockit::cli
