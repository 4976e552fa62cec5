// StrongInt: an integer that cannot be mixed up with another kind of integer. Offsets, stream ids,
// schema versions and table versions are distinct types, so passing one for another fails to compile.
#pragma once

#include <compare>
#include <cstdint>
#include <functional>

namespace lagoa {

template <typename Tag, typename Rep>
class StrongInt {
 public:
  using rep_type = Rep;
  constexpr StrongInt() = default;
  constexpr explicit StrongInt(Rep value) : value_(value) {}
  constexpr Rep value() const { return value_; }

  constexpr auto operator<=>(const StrongInt&) const = default;
  constexpr StrongInt operator+(Rep delta) const { return StrongInt(value_ + delta); }
  constexpr StrongInt operator-(Rep delta) const { return StrongInt(value_ - delta); }
  constexpr Rep operator-(StrongInt other) const { return value_ - other.value_; }
  constexpr StrongInt& operator++() {
    ++value_;
    return *this;
  }
  constexpr StrongInt& operator+=(Rep delta) {
    value_ += delta;
    return *this;
  }

 private:
  Rep value_{};
};

// Position of an event inside one partition of a stream: dense, starting at 0.
using Offset = StrongInt<struct OffsetTag, int64_t>;
// Index of a partition inside a stream: 0 .. partitions-1.
using PartitionId = StrongInt<struct PartitionIdTag, int32_t>;
// Version of a stream's schema: 1 for the first, +1 on each evolution.
using SchemaVersion = StrongInt<struct SchemaVersionTag, uint32_t>;

}  // namespace lagoa

template <typename Tag, typename Rep>
struct std::hash<lagoa::StrongInt<Tag, Rep>> {
  size_t operator()(lagoa::StrongInt<Tag, Rep> v) const noexcept { return std::hash<Rep>{}(v.value()); }
};
