// Windows: `sockit echo`'s TCP sockets served by sockit::iocp_echo_server, the chapter's IOCP
// server (AcceptEx posted ahead, overlapped WSARecv/WSASend, one completion port), each on a
// thread of its own beside the event loop that keeps the UDP side and the signals. The loop drives
// its graceful stop like any other service's (loop_service). Elsewhere this header declares nothing.
#pragma once

#ifdef _WIN32

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "service_loops.hpp"
#include "service_stats.hpp"
#include "sockit/iocp_echo.hpp"
#include "sockit/result.hpp"
#include "sockit/socket.hpp"

namespace sockit::cli {

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
  completion_echo(iocp_echo_server server, service_stats row);
  void join();

  iocp_echo_server server_;
  service_stats row_;  // name, proto and address; the counters come from server_
  std::thread thread_;
  std::atomic<bool> done_{false};
};

// Whether `echo`'s TCP side goes to completion_echo: asked for (host_options::completion_echo),
// on the iocp engine (or auto, which is iocp here), and nothing asks for what the completion
// server does not have (its loop's idle timer, connection cap, TLS, several loops). The reason
// it cannot, for one info line when iocp was chosen by name; empty when it can.
std::string completion_echo_unfit(const host_options& opts, int loops);

}  // namespace sockit::cli

#endif  // _WIN32
