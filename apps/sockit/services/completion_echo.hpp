// `sockit echo`'s TCP sockets served on completions rather than readiness: on Windows by
// sockit::iocp_echo_server, the chapter's IOCP server (AcceptEx posted ahead, overlapped
// WSARecv/WSASend, one completion port); on Linux by sockit::uring_echo_server (multishot accept
// and receive on io_uring, provided buffers, sends completed by the ring). Each listening socket
// gets one on a thread of its own beside the event loop that keeps the UDP side and the signals;
// the loop drives its graceful stop like any other service's (loop_service).
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "service_loops.hpp"
#include "service_stats.hpp"
#include "sockit/engine.hpp"
#include "sockit/result.hpp"
#include "sockit/socket.hpp"
#ifdef _WIN32
#include "sockit/iocp_echo.hpp"
#else
#include "sockit/uring_echo.hpp"
#endif

namespace sockit::cli {

#ifdef _WIN32
using completion_echo_server = iocp_echo_server;
#else
using completion_echo_server = uring_echo_server;
#endif

struct host_options;

class completion_echo final : public loop_service {
 public:
  // Listens at `at` (the socket prepared with `prepare` before bind) and starts serving at once;
  // `drain` bounds the graceful stop as the loop's deadline does.
  static result<std::unique_ptr<completion_echo>> start(std::string name, const endpoint& at,
                                                        const socket_prepare& prepare,
                                                        std::chrono::milliseconds drain);
  ~completion_echo() override;

  void begin_drain() override;
  std::size_t sweep_drained() override;
  void close_all() override;

  // The row of the listening table and of the totals; safe while serving.
  service_stats totals() const;

 private:
  completion_echo(completion_echo_server server, service_stats row);
  void join();

  completion_echo_server server_;
  service_stats row_;  // name, proto and address; the counters come from server_
  std::thread thread_;
  std::atomic<bool> done_{false};
};

// Whether `echo`'s TCP side goes to completion_echo: asked for (host_options::completion_echo),
// on the engine that has it (iocp on Windows, uring on Linux, or auto, which is that engine where
// it runs), the kernel can run it,
// and nothing asks for what the completion server does not have (its loop's idle timer,
// connection cap, TLS, several loops). The reason it cannot, for one info line when that engine
// was chosen by name; empty when it can.
std::string completion_echo_unfit(const host_options& opts, int loops);

// How the info line names the completion path ("AcceptEx and overlapped WSARecv/WSASend").
std::string_view completion_echo_mechanism() noexcept;
// The engine whose name asks for the completion path: iocp on Windows, uring on Linux.
engine completion_echo_engine() noexcept;

}  // namespace sockit::cli
