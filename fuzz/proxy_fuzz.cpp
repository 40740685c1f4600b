// libFuzzer target: the proxy handshake fed a hostile proxy's replies. The first byte picks the
// protocol and whether credentials are offered; the rest is the proxy's bytes. Fed whole and fed
// one byte at a time, the handshake must reach the same end (done after the same number of bytes,
// or the same error), never use more bytes than it was given, always make progress once its
// request is taken, and never crash.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "sockit/proxy.hpp"

namespace {

struct outcome {
  bool done = false;
  std::size_t used = 0;
  std::error_code ec;
};

outcome run(const sockit::proxy_request& req, std::string_view replies, std::size_t step) {
  outcome o;
  auto h = sockit::proxy_handshake::start(req);
  if (!h) std::abort();  // the request is a fixed, valid one
  std::size_t at = 0;
  while (at < replies.size() && !h->done()) {
    (void)h->take_output();
    auto piece = replies.substr(at, step);
    auto n = h->feed(piece);
    if (!n) {
      o.ec = n.error();
      return o;
    }
    if (*n > piece.size()) std::abort();
    if (*n == 0) std::abort();  // with its request taken, it always takes something
    at += *n;
  }
  o.used = at;
  o.done = h->done();
  if (o.done && h->take_output().size() > 0) std::abort();  // nothing left to send once done
  return o;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  sockit::proxy_request req;
  req.type = (data[0] & 1) ? sockit::proxy_type::socks5 : sockit::proxy_type::http;
  req.host = (data[0] & 4) ? "::1" : "localhost";
  req.port = 8080;
  if (data[0] & 2) req.auth = {"user", "password"};
  std::string_view replies(reinterpret_cast<const char*>(data) + 1, size - 1);
  auto whole = run(req, replies, replies.size() ? replies.size() : 1);
  auto bytewise = run(req, replies, 1);
  if (whole.done != bytewise.done || whole.ec != bytewise.ec) std::abort();
  if (whole.done && whole.used != bytewise.used) std::abort();
  return 0;
}
