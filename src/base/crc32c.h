// CRC32C (Castagnoli), the checksum of every batch in the log. Uses the SSE4.2 crc32 instruction
// when the CPU has it and Boost.CRC otherwise.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace lagoa {

// Extends `crc` (0 to start) over `data`.
uint32_t Crc32cExtend(uint32_t crc, std::span<const std::byte> data);

namespace internal {
// The table-driven fallback, exposed so tests can compare it with the hardware path.
uint32_t Crc32cExtendPortable(uint32_t crc, std::span<const std::byte> data);
}  // namespace internal

inline uint32_t Crc32c(std::span<const std::byte> data) { return Crc32cExtend(0, data); }

}  // namespace lagoa
