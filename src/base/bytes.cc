#include "base/bytes.h"

namespace lagoa {

void PutVarint(Bytes& out, uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<std::byte>((value & 0x7F) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<std::byte>(value));
}

bool ByteReader::ReadVarint(uint64_t* out) {
  uint64_t result = 0;
  for (int shift = 0; shift <= 63; shift += 7) {
    if (pos_ >= data_.size()) return false;
    auto byte = static_cast<uint8_t>(data_[pos_++]);
    if (shift == 63 && byte > 1) return false;  // more than 64 bits
    result |= static_cast<uint64_t>(byte & 0x7F) << shift;
    if ((byte & 0x80) == 0) {
      *out = result;
      return true;
    }
  }
  return false;
}

}  // namespace lagoa
