// sockit/crc32c.hpp: CRC-32C (Castagnoli), as used by iSCSI, SCTP and ext4: the SSE 4.2 crc32
// instruction where the CPU has it, a slice-by-8 table otherwise. Checked against RFC 3720's vectors.
#pragma once

#include <cstdint>
#include <span>

namespace sockit {

// Continues a running CRC: crc32c(b, crc32c(a)) == crc32c(a + b). Start from 0.
std::uint32_t crc32c(std::span<const std::byte> data, std::uint32_t crc = 0) noexcept;
// The portable table version, exposed so tests can compare both paths.
std::uint32_t crc32c_portable(std::span<const std::byte> data, std::uint32_t crc = 0) noexcept;
bool crc32c_hardware_available() noexcept;

}  // namespace sockit
