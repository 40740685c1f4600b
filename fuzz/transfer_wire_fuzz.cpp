// libFuzzer target: the send/recv message parser must take any bytes without reading past them,
// agree with itself (needed() never asks for fewer bytes than it already has once it returns a
// whole size, parse() succeeds exactly when needed() fits), and a parsed message re-encodes to
// the same bytes. The name check runs on every header name.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <span>

#include "sockit/transfer_name.hpp"
#include "sockit/transfer_wire.hpp"

namespace wire = sockit::wire;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::span<const std::byte> in(reinterpret_cast<const std::byte*>(data), size);
  auto need = wire::needed(in);
  auto m = wire::parse(in);
  if (!need) {
    if (m) std::abort();
    return 0;
  }
  if (*need < wire::prefix_size) std::abort();
  if (*need > in.size()) {
    if (m) std::abort();
    return 0;
  }
  if (!m) std::abort();
  auto again = wire::encode(*m);
  if (again.size() != *need || std::memcmp(again.data(), data, *need) != 0) std::abort();
  if (auto* h = std::get_if<wire::file_header>(&*m)) {
    auto why = sockit::transfer_name_problem(h->name);
    if (why.empty() && (h->name.find('/') != std::string::npos || h->name == ".." || h->name.empty())) std::abort();
    (void)sockit::partial_name(h->name);
  }
  return 0;
}
