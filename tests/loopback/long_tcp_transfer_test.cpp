// Large transfers: 16 MiB of random bytes each way at once over loopback, byte-exact.
#include <gtest/gtest.h>

#include "test_support.hpp"

namespace sockit {
namespace {

using namespace std::chrono_literals;

TEST(tcp_transfer_long, sixteen_mib_both_directions_at_once) {
  test::bidirectional_transfer(16u << 20, 120s);
}

}  // namespace
}  // namespace sockit
