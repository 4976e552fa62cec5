// Process-wide metrics in the Prometheus text exposition format (version 0.0.4).
// Counters, gauges and histograms are lock-free to update from any thread; the registry's lock is
// taken only to add a metric or to render /metrics. Metrics live as long as the registry; callers
// keep the raw pointer the registry returns.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace lagoa {

// Labels as `{stream="clicks"}`-ready key/value pairs; empty for none.
using MetricLabels = std::vector<std::pair<std::string, std::string>>;

class Counter {
 public:
  void Add(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

class Gauge {
 public:
  void Set(int64_t v) { value_.store(v, std::memory_order_relaxed); }
  void Add(int64_t d) { value_.fetch_add(d, std::memory_order_relaxed); }
  int64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> value_{0};
};

// Fixed upper bounds in seconds; Observe takes nanoseconds (units last, and integer math on the
// hot path).
class Histogram {
 public:
  explicit Histogram(std::vector<double> upper_bounds_seconds);
  void ObserveNanos(int64_t nanos);
  // For rendering and tests.
  const std::vector<double>& upper_bounds_seconds() const { return bounds_seconds_; }
  uint64_t bucket_count(size_t i) const { return buckets_[i].load(std::memory_order_relaxed); }
  uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  double sum_seconds() const { return static_cast<double>(sum_nanos_.load(std::memory_order_relaxed)) / 1e9; }

  // 50 µs .. 10 s, roughly ×2.5 per step: the range of an fsync or an HTTP acknowledgement.
  static std::vector<double> LatencyBoundsSeconds();

 private:
  std::vector<double> bounds_seconds_;
  std::vector<int64_t> bounds_nanos_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // one per bound, non-cumulative
  std::atomic<uint64_t> count_{0};
  std::atomic<int64_t> sum_nanos_{0};
};

class MetricsRegistry {
 public:
  // Returns the metric with this name and labels, creating it on first use. `help` is kept from
  // the first call for a name.
  Counter* GetCounter(const std::string& name, const std::string& help, const MetricLabels& labels = {});
  Gauge* GetGauge(const std::string& name, const std::string& help, const MetricLabels& labels = {});
  Histogram* GetHistogram(const std::string& name, const std::string& help, const MetricLabels& labels = {},
                          std::vector<double> upper_bounds_seconds = Histogram::LatencyBoundsSeconds());

  // Runs every refresher, then renders.
  std::string RenderPrometheusText() const;

  // `refresh` runs before every rendering, so a gauge that costs something to read (what DuckDB's
  // buffer manager holds) is read only when someone looks. It must not add or remove refreshers.
  // RemoveRefresher waits for a running `refresh` to return; call it before what `refresh` reads
  // goes away.
  uint64_t AddRefresher(std::function<void()> refresh);
  void RemoveRefresher(uint64_t id);

  // The registry of this process.
  static MetricsRegistry& Global();

 private:
  struct Family {
    std::string type;  // counter, gauge, histogram
    std::string help;
    std::map<std::string, std::unique_ptr<Counter>> counters;  // key: rendered labels
    std::map<std::string, std::unique_ptr<Gauge>> gauges;
    std::map<std::string, std::unique_ptr<Histogram>> histograms;
  };
  Family& FamilyFor(const std::string& name, const char* type, const std::string& help);  // REQUIRES: mu_

  mutable std::mutex mu_;
  std::map<std::string, Family> families_;
  mutable std::mutex refreshers_mu_;  // held while refreshers run; never while mu_ is held
  std::map<uint64_t, std::function<void()>> refreshers_;
  uint64_t next_refresher_id_ = 0;
};

}  // namespace lagoa
