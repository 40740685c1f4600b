// libFuzzer target: the ICMP reply parser must take any bytes, as a raw or datagram socket of
// either family hands them over, without reading past them, and agree with itself: an echo it
// accepts re-encodes (as a request of the same id/seq/payload) to a message of the same size,
// a quoted request is found only inside the buffer, and the checksum verdict matches checksum().
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include <netinet/in.h>

#include "sockit/icmp.hpp"

namespace icmp = sockit::icmp;

namespace {

void check(int family, std::span<const std::byte> in, bool with_ip) {
  auto m = icmp::parse(family, in, with_ip);
  if (!m) return;
  if (m->icmp_size < icmp::header_size || m->icmp_size > in.size()) std::abort();
  if (!m->payload.empty()) {
    // The payload lies inside the input.
    if (m->payload.data() < in.data() || m->payload.data() + m->payload.size() > in.data() + in.size()) std::abort();
  }
  if (m->kind == icmp::message_kind::echo_reply || m->kind == icmp::message_kind::echo_request) {
    auto again = icmp::encode_echo_request(family, m->id, m->seq, m->payload);
    if (again.size() != m->icmp_size) std::abort();
  }
  if (with_ip && (m->ttl < 0 || m->ttl > 255)) std::abort();
  if (!with_ip && m->ttl != -1) std::abort();
  if (family == AF_INET6 && !m->checksum_ok) std::abort();
  (void)icmp::describe(family, m->type, m->code);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 1 << 16) return 0;
  std::span<const std::byte> in(reinterpret_cast<const std::byte*>(data), size);
  check(AF_INET, in, true);
  check(AF_INET, in, false);
  check(AF_INET6, in, false);
  for (int family : {AF_INET, AF_INET6}) {
    auto q = icmp::parse_quoted_request(family, in);
    if (q && (q->icmp_size != in.size() || !q->quoted_echo)) std::abort();
  }
  (void)icmp::checksum(in);
  return 0;
}
