// libFuzzer target: the endpoint parser must accept or refuse any text without crashing, and
// whatever it accepts must format back to text that parses to the same host and port.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "sockit/endpoint.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto hp = sockit::parse_host_port(text);
  (void)sockit::parse_port(text);
  if (!hp) return 0;
  // Numeric hosts only: a fuzzer must never make the resolver send a query.
  if (auto ep = sockit::endpoint::numeric(hp->host, hp->port)) {
    auto again = sockit::parse_host_port(ep->to_string());
    if (!again || again->port != hp->port) std::abort();
    auto ep2 = sockit::endpoint::numeric(again->host, again->port);
    if (!ep2 || !(*ep2 == *ep)) std::abort();
  }
  return 0;
}
