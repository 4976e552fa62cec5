// LatencyHistogram: a fixed-size log-linear histogram of latencies in nanoseconds (64 sub-buckets per
// power of two, so a percentile is off by at most 1/64 ≈ 1.6%). Memory stays 30 KiB however long the
// run is, which is why it replaces a vector of samples. Not thread-safe: one per worker thread,
// merged after the threads are joined.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>

namespace lagoa::bench {

class LatencyHistogram {
 public:
  void Record(uint64_t value_ns) {
    ++counts_[Index(value_ns)];
    ++count_;
    sum_ns_ += value_ns;
    max_ns_ = std::max(max_ns_, value_ns);
  }

  void Merge(const LatencyHistogram& other) {
    for (size_t i = 0; i < kBuckets; ++i) counts_[i] += other.counts_[i];
    count_ += other.count_;
    sum_ns_ += other.sum_ns_;
    max_ns_ = std::max(max_ns_, other.max_ns_);
  }

  // The value below which a `quantile` (0..1) of the samples lie: the middle of the bucket holding
  // that rank, never above the largest sample. 0 when empty.
  uint64_t PercentileNs(double quantile) const {
    if (count_ == 0) return 0;
    auto rank = static_cast<uint64_t>(quantile * static_cast<double>(count_));
    rank = std::clamp<uint64_t>(rank, 1, count_);
    uint64_t seen = 0;
    for (size_t i = 0; i < kBuckets; ++i) {
      seen += counts_[i];
      if (seen >= rank) return std::min(Middle(i), max_ns_);
    }
    return max_ns_;
  }

  uint64_t count() const { return count_; }
  uint64_t max_ns() const { return max_ns_; }
  double mean_ns() const { return count_ == 0 ? 0.0 : static_cast<double>(sum_ns_) / static_cast<double>(count_); }

 private:
  static constexpr int kSubBits = 6;
  static constexpr uint64_t kLinearLimit = uint64_t{1} << (kSubBits + 1);  // exact below 128 ns
  static constexpr size_t kBuckets = kLinearLimit + (64 - (kSubBits + 1)) * (size_t{1} << kSubBits);

  static size_t Index(uint64_t v) {
    if (v < kLinearLimit) return static_cast<size_t>(v);
    const int exponent = std::bit_width(v) - 1;  // >= kSubBits + 1
    const uint64_t sub = (v >> (exponent - kSubBits)) & ((uint64_t{1} << kSubBits) - 1);
    return static_cast<size_t>(kLinearLimit + (static_cast<uint64_t>(exponent) - (kSubBits + 1)) * (1u << kSubBits) +
                               sub);
  }

  static uint64_t Middle(size_t index) {
    if (index < kLinearLimit) return index;
    const uint64_t offset = index - kLinearLimit;
    const uint64_t exponent = offset / (1u << kSubBits) + (kSubBits + 1);
    const uint64_t sub = offset % (1u << kSubBits);
    const uint64_t width = uint64_t{1} << (exponent - kSubBits);
    return ((uint64_t{1} << kSubBits) + sub) * width + width / 2;
  }

  std::array<uint64_t, kBuckets> counts_{};
  uint64_t count_ = 0;
  uint64_t sum_ns_ = 0;
  uint64_t max_ns_ = 0;
};

}  // namespace lagoa::bench
