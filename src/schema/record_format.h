// The pieces of the binary record format (README.md, "Binary record format") that every reader
// and writer of records shares: presence bitmaps, the value ranges the encoder accepts, and
// 128-bit DECIMAL arithmetic. Pure functions and constants; any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace lagoa::schema::record_format {

__extension__ typedef __int128 Int128;
__extension__ typedef unsigned __int128 UInt128;

// Bytes of a presence bitmap over `count` slots (1 bit per slot, least significant bit first).
inline size_t PresenceBytes(size_t count) { return (count + 7) / 8; }

inline bool IsPresent(std::span<const std::byte> presence, size_t i) {
  return (static_cast<uint8_t>(presence[i / 8]) >> (i % 8) & 1) != 0;
}

// Bits past the last slot of a presence bitmap are always written as zero.
inline bool PaddingBitsClear(std::span<const std::byte> presence, size_t count) {
  if (count % 8 == 0) return true;
  return (static_cast<uint8_t>(presence[count / 8]) >> (count % 8)) == 0;
}

// Supported range of DATE and TIMESTAMP values: years 0001 to 9999.
inline constexpr int32_t kDateDaysMin = -719162;                    // 0001-01-01
inline constexpr int32_t kDateDaysMax = 2932896;                    // 9999-12-31
inline constexpr int64_t kTimestampMicrosMin = -62135596800000000;  // 0001-01-01T00:00:00Z
inline constexpr int64_t kTimestampMicrosMax = 253402300799999999;  // 9999-12-31T23:59:59.999999Z

// 10^n for 0 <= n <= 38.
Int128 PowerOfTen(int n);

}  // namespace lagoa::schema::record_format
