// The smallest useful sockit program: a loopback echo round trip with blocking calls and
// deadlines. Exits 0 and prints "ok" when the bytes come back intact.
#include <cstdio>
#include <string>
#include <thread>

#include <sockit/error.hpp>
#include <sockit/io.hpp>
#include <sockit/tcp.hpp>

int main() {
  using namespace std::chrono_literals;
  auto listener = sockit::tcp_listen(sockit::endpoint::loopback_v4(0));
  if (!listener) return std::puts(sockit::describe("listen", listener.error()).c_str()), 1;
  auto at = listener->local_endpoint();
  if (!at) return 1;

  std::thread server([&] {
    auto peer = sockit::tcp_accept(*listener);
    if (!peer) return;
    std::byte buf[64];
    while (auto n = sockit::recv_some(*peer, buf, sockit::deadline::after(5s))) {
      if (!sockit::send_all(*peer, std::span(buf, *n))) break;
    }
  });

  auto client = sockit::tcp_connect(*at, sockit::deadline::after(5s));
  if (!client) {
    std::puts(sockit::describe("connect " + at->to_string(), client.error()).c_str());
    server.join();
    return 1;
  }
  const std::string msg = "hello, sockit";
  std::string back(msg.size(), '\0');
  auto sent = sockit::send_all(*client, msg, sockit::deadline::after(5s));
  auto got = sockit::recv_exact(*client, std::as_writable_bytes(std::span(back)), sockit::deadline::after(5s));
  client->close();
  server.join();
  if (!sent || !got || back != msg) return std::puts("mismatch"), 1;
  std::puts("ok");
  return 0;
}
