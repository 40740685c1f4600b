// The chapter's event-driven echo server (its epoll server on Linux, its IOCP server's job on
// Windows) on sockit's portable pieces: event_loop, tcp_acceptor, tcp_connection. It builds and
// runs the same on Linux and on Windows (cross-built with mingw-w64, run under Wine).
//   echo_server [--engine NAME] [PORT]   (127.0.0.1; port 0 or none: the system picks one)
//   echo_server --completion [PORT]      (Windows: sockit::iocp_echo_server, the completion model)
// Prints "listening on 127.0.0.1:PORT (engine NAME)" once ready; Ctrl+C prints the totals and
// exits 0.
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include <sockit/engine.hpp>
#include <sockit/error.hpp>
#include <sockit/event_loop.hpp>
#include <sockit/tcp_acceptor.hpp>
#include <sockit/tcp.hpp>
#include <sockit/tcp_connection.hpp>
#ifdef _WIN32
#include <sockit/iocp_echo.hpp>

namespace {

// The chapter's IOCP server proper: AcceptEx and overlapped WSARecv/WSASend on one completion port
// (no event loop). Ctrl+C reaches it through the C runtime's SIGINT, which Windows runs on a
// thread of its own; stop() only posts to the port, so it is safe there.
std::atomic<sockit::iocp_echo_server*> completion_server{nullptr};

extern "C" void stop_completion_server(int sig) {
  if (auto* s = completion_server.load()) s->stop();
  std::signal(sig, stop_completion_server);  // the C runtime resets it to the default each time
}

int run_completion(std::uint16_t port) {
  auto at = sockit::endpoint::loopback_v4(port);
  auto listener = sockit::tcp_listen(at, {.nonblocking = true});
  if (!listener) return std::fprintf(stderr, "%s\n", sockit::describe("listen " + at.to_string(), listener.error()).c_str()), 1;
  auto bound = listener->local_endpoint();
  if (!bound) return std::fprintf(stderr, "%s\n", sockit::describe("getsockname", bound.error()).c_str()), 1;
  auto server = sockit::iocp_echo_server::open(std::move(*listener));
  if (!server) return std::fprintf(stderr, "%s\n", sockit::describe("iocp echo", server.error()).c_str()), 1;
  completion_server = &*server;
  std::signal(SIGINT, stop_completion_server);
  std::signal(SIGBREAK, stop_completion_server);
  std::printf("listening on %s (engine iocp, completions)\n", bound->to_string().c_str());
  std::fflush(stdout);
  auto totals = server->run(std::chrono::seconds(2));
  completion_server = nullptr;
  if (!totals) return std::fprintf(stderr, "%s\n", sockit::describe("iocp echo", totals.error()).c_str()), 1;
  std::printf("stopped: %llu connections, %llu bytes echoed\n", static_cast<unsigned long long>(totals->accepted),
              static_cast<unsigned long long>(totals->bytes_out));
  return 0;
}

}  // namespace
#endif

int main(int argc, char** argv) {
  sockit::engine engine = sockit::engine::automatic;
  bool completion = false;
  unsigned long port = 0;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "-h" || a == "--help") {
      std::printf("usage: echo_server [--engine NAME] [PORT]\n"
#ifdef _WIN32
                  "       echo_server --completion [PORT]   (AcceptEx, WSARecv/WSASend on a completion port)\n"
#endif
                  "Echoes every byte back, on 127.0.0.1:PORT (0 or none: any free port). Ctrl+C stops it.\n");
      return 0;
    }
#ifdef _WIN32
    if (a == "--completion") {
      completion = true;
      continue;
    }
#endif
    if (a == "--engine" && i + 1 < argc) {
      auto e = sockit::parse_engine(argv[++i]);
      if (!e) return std::fprintf(stderr, "echo_server: unknown engine %s\n", argv[i]), 2;
      engine = *e;
    } else {
      char* end = nullptr;
      port = std::strtoul(argv[i], &end, 10);
      if (end == argv[i] || *end != '\0' || port > 65535) {
        return std::fprintf(stderr, "usage: echo_server [--engine NAME] [PORT]\n"), 2;
      }
    }
  }
#ifdef _WIN32
  if (completion) return run_completion(static_cast<std::uint16_t>(port));
#else
  (void)completion;
#endif
  auto loop = sockit::event_loop::create(engine);
  if (!loop) return std::fprintf(stderr, "%s\n", sockit::describe("event loop", loop.error()).c_str()), 1;

  // The open connections by number (not by descriptor: a closed one's number is soon reused).
  std::unordered_map<unsigned long long, std::shared_ptr<sockit::tcp_connection>> open;
  unsigned long long connections = 0, bytes = 0;
  auto at = sockit::endpoint::loopback_v4(static_cast<std::uint16_t>(port));
  auto acceptor = sockit::tcp_acceptor::create(**loop, at, {}, [&](sockit::socket s, const sockit::endpoint& peer) {
    auto conn = sockit::tcp_connection::create(**loop, std::move(s), peer);
    conn->on_data([&](sockit::tcp_connection& c, sockit::buffer& in) {
      bytes += in.size();
      c.send(in.readable());
      in.clear();
    });
    const auto id = ++connections;
    // Dropped after the handler returns: a connection is never destroyed inside its own handler.
    conn->on_close([&, id](sockit::tcp_connection&, std::error_code) { (*loop)->post([&, id] { open.erase(id); }); });
    if (conn->start()) return;
    open.emplace(id, std::move(conn));
  });
  if (!acceptor) return std::fprintf(stderr, "%s\n", sockit::describe("listen " + at.to_string(), acceptor.error()).c_str()), 1;
  auto ec = (*loop)->on_signals({SIGINT, SIGTERM}, [&](int) { (*loop)->stop(); });
  if (ec) return std::fprintf(stderr, "%s\n", sockit::describe("signals", ec).c_str()), 1;

  std::printf("listening on %s (engine %s)\n", (*acceptor)->local_endpoint().to_string().c_str(),
              std::string((*loop)->engine_name()).c_str());
  std::fflush(stdout);
  if (auto run = (*loop)->run()) return std::fprintf(stderr, "%s\n", sockit::describe("event loop", run).c_str()), 1;
  std::printf("stopped: %llu connections, %llu bytes echoed\n", connections, bytes);
  return 0;
}
