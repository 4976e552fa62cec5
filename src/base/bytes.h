// Little-endian fixed-width and varint encoding into byte buffers, and bounds-checked decoding.
// Every on-disk and wire format in lagoa is little-endian.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace lagoa {

using Bytes = std::vector<std::byte>;

inline std::span<const std::byte> AsBytes(std::string_view s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}
inline std::string_view AsStringView(std::span<const std::byte> b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

template <typename T>
void PutFixed(Bytes& out, T value) {
  static_assert(std::is_integral_v<T> || std::is_floating_point_v<T>);
  size_t at = out.size();
  out.resize(at + sizeof(T));
  std::memcpy(out.data() + at, &value, sizeof(T));  // x86-64 and aarch64 are little-endian
}

template <typename T>
void StoreFixed(std::byte* at, T value) {
  std::memcpy(at, &value, sizeof(T));
}

template <typename T>
T LoadFixed(const std::byte* at) {
  T value;
  std::memcpy(&value, at, sizeof(T));
  return value;
}

void PutVarint(Bytes& out, uint64_t value);
inline void PutBytes(Bytes& out, std::span<const std::byte> data) { out.insert(out.end(), data.begin(), data.end()); }

// Reads from a span front to back; every read reports whether enough bytes were left, so a
// truncated or hostile input can never read out of bounds.
class ByteReader {
 public:
  explicit ByteReader(std::span<const std::byte> data) : data_(data) {}

  template <typename T>
  bool ReadFixed(T* out) {
    if (remaining() < sizeof(T)) return false;
    *out = LoadFixed<T>(data_.data() + pos_);
    pos_ += sizeof(T);
    return true;
  }
  bool ReadVarint(uint64_t* out);
  bool ReadBytes(size_t n, std::span<const std::byte>* out) {
    if (remaining() < n) return false;
    *out = data_.subspan(pos_, n);
    pos_ += n;
    return true;
  }
  size_t remaining() const { return data_.size() - pos_; }
  size_t position() const { return pos_; }

 private:
  std::span<const std::byte> data_;
  size_t pos_ = 0;
};

}  // namespace lagoa
