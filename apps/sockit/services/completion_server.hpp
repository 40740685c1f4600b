// TCP sockets served on completions rather than readiness: `sockit echo`'s on Windows by
// sockit::iocp_echo_server, the chapter's IOCP server (AcceptEx posted ahead, overlapped
// WSARecv/WSASend, one completion port); echo's and proto serve's on Linux by
// sockit::uring_stream_server (accepts into the ring's file table, multishot receive into provided
// buffers, sends completed by the ring), which echoes or runs a session per connection. Each
// listening socket gets one on a thread of its own beside the event loop that keeps the UDP side
// and the signals; the loop drives its graceful stop like any other service's (loop_service).
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "service_loops.hpp"
#include "service_stats.hpp"
#include "sockit/engine.hpp"
#include "sockit/result.hpp"
#include "sockit/socket.hpp"
#ifdef _WIN32
#include "sockit/iocp_echo.hpp"
#else
#include "sockit/uring_stream_server.hpp"
#endif

namespace sockit::cli {

#ifdef _WIN32
using completion_backend = iocp_echo_server;
#else
using completion_backend = uring_stream_server;
#endif

struct host_options;

class completion_server final : public loop_service {
 public:
  // Listens at `at` (the socket prepared with `prepare` before bind) and starts serving at once,
  // echoing or with opts.completion_sessions; opts.drain_timeout bounds the graceful stop as the
  // loop's deadline does, and (sessions) the read to a peer's close after a session finished.
  // With `reuse_port` (--threads: one server per loop) each listens with SO_REUSEPORT and the
  // kernel spreads the connections over them.
  static result<std::unique_ptr<completion_server>> start(std::string name, const endpoint& at,
                                                          const socket_prepare& prepare, const host_options& opts,
                                                          bool reuse_port = false);
  ~completion_server() override;

  void begin_drain() override;
  std::size_t sweep_drained() override;
  void close_all() override;

  // The row of the listening table and of the totals; safe while serving.
  service_stats totals() const;

 private:
  completion_server(completion_backend server, service_stats row);
  void join();

  completion_backend server_;
  service_stats row_;  // name, proto and address; the counters come from server_
  std::thread thread_;
  std::atomic<bool> done_{false};
};

// The row of one listening address served by several completion servers (one per loop): their
// counters summed.
service_stats completion_totals(const std::vector<const completion_server*>& servers);

// Whether the TCP side goes to completion_server: asked for (host_options::completion),
// on the engine that has it (iocp on Windows, uring on Linux, or auto, which is that engine where
// it runs), the kernel can run it,
// and nothing asks for what the completion server does not have (its loop's idle timer,
// connection cap, TLS; on Windows several loops). The reason it cannot, for one info line when that engine
// was chosen by name; empty when it can.
std::string completion_unfit(const host_options& opts, int loops);

// How the info line names the completion path ("AcceptEx and overlapped WSARecv/WSASend").
std::string_view completion_mechanism(const host_options& opts) noexcept;
// The engine whose name asks for the completion path: iocp on Windows, uring on Linux.
engine completion_engine() noexcept;

}  // namespace sockit::cli
