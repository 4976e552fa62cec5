#include "base/crc32c.h"

#include <cstring>

#include <boost/crc.hpp>
#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace lagoa {
namespace internal {

uint32_t Crc32cExtendPortable(uint32_t crc, std::span<const std::byte> data) {
  // The register of a finished CRC is the checksum with the final xor undone; Boost takes the
  // initial register of a reflected CRC in unreflected bit order.
  uint32_t reg = crc ^ 0xFFFFFFFFu, unreflected = 0;
  for (int bit = 0; bit < 32; ++bit) unreflected |= ((reg >> bit) & 1u) << (31 - bit);
  boost::crc_optimal<32, 0x1EDC6F41, 0xFFFFFFFF, 0xFFFFFFFF, true, true> engine(unreflected);
  engine.process_bytes(data.data(), data.size());
  return engine.checksum();
}

}  // namespace internal

namespace {

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) uint32_t ExtendHardware(uint32_t crc, std::span<const std::byte> data) {
  uint64_t reg = crc ^ 0xFFFFFFFFu;
  const std::byte* p = data.data();
  size_t n = data.size();
  while (n >= 8) {
    uint64_t word;
    std::memcpy(&word, p, 8);
    reg = _mm_crc32_u64(reg, word);
    p += 8;
    n -= 8;
  }
  auto reg32 = static_cast<uint32_t>(reg);
  while (n > 0) {
    reg32 = _mm_crc32_u8(reg32, static_cast<uint8_t>(*p));
    ++p;
    --n;
  }
  return reg32 ^ 0xFFFFFFFFu;
}

bool CpuHasSse42() { return __builtin_cpu_supports("sse4.2"); }
#endif

}  // namespace

uint32_t Crc32cExtend(uint32_t crc, std::span<const std::byte> data) {
#if defined(__x86_64__)
  static const bool kHardware = CpuHasSse42();
  if (kHardware) return ExtendHardware(crc, data);
#endif
  return internal::Crc32cExtendPortable(crc, data);
}

}  // namespace lagoa
