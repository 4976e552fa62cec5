#include "base/metrics.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <iterator>
#include <string_view>

#include "base/assert.h"

namespace lagoa {
namespace {

std::string EscapeLabelValue(const std::string& v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

std::string RenderLabels(const MetricLabels& labels, const std::string& extra = {}) {
  if (labels.empty() && extra.empty()) return {};
  std::string out = "{";
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i > 0) out += ',';
    out += labels[i].first + "=\"" + EscapeLabelValue(labels[i].second) + "\"";
  }
  if (!extra.empty()) {
    if (!labels.empty()) out += ',';
    out += extra;
  }
  return out + "}";
}

std::string FormatDouble(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.9g", v);
  return buf;
}

}  // namespace

Histogram::Histogram(std::vector<double> upper_bounds_seconds)
    : bounds_seconds_(std::move(upper_bounds_seconds)),
      buckets_(std::make_unique<std::atomic<uint64_t>[]>(bounds_seconds_.size())) {
  LAGOA_ASSERT(std::is_sorted(bounds_seconds_.begin(), bounds_seconds_.end()));
  for (double b : bounds_seconds_) bounds_nanos_.push_back(static_cast<int64_t>(b * 1e9));
  for (size_t i = 0; i < bounds_seconds_.size(); ++i) buckets_[i].store(0);
}

void Histogram::ObserveNanos(int64_t nanos) {
  auto it = std::lower_bound(bounds_nanos_.begin(), bounds_nanos_.end(), nanos);
  if (it != bounds_nanos_.end()) buckets_[it - bounds_nanos_.begin()].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_nanos_.fetch_add(nanos, std::memory_order_relaxed);
}

std::vector<double> Histogram::LatencyBoundsSeconds() {
  return {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10};
}

MetricsRegistry::Family& MetricsRegistry::FamilyFor(const std::string& name, const char* type,
                                                    const std::string& help) {
  auto [it, inserted] = families_.try_emplace(name);
  if (inserted) {
    it->second.type = type;
    it->second.help = help;
  }
  LAGOA_ASSERT_MSG(it->second.type == type, "metric registered twice with different types");
  return it->second;
}

Counter* MetricsRegistry::GetCounter(const std::string& name, const std::string& help, const MetricLabels& labels) {
  std::lock_guard lock(mu_);
  auto& slot = FamilyFor(name, "counter", help).counters[RenderLabels(labels)];
  if (!slot) slot = std::make_unique<Counter>();
  return slot.get();
}

Gauge* MetricsRegistry::GetGauge(const std::string& name, const std::string& help, const MetricLabels& labels) {
  std::lock_guard lock(mu_);
  auto& slot = FamilyFor(name, "gauge", help).gauges[RenderLabels(labels)];
  if (!slot) slot = std::make_unique<Gauge>();
  return slot.get();
}

Histogram* MetricsRegistry::GetHistogram(const std::string& name, const std::string& help, const MetricLabels& labels,
                                         std::vector<double> upper_bounds_seconds) {
  std::lock_guard lock(mu_);
  auto& slot = FamilyFor(name, "histogram", help).histograms[RenderLabels(labels)];
  if (!slot) slot = std::make_unique<Histogram>(std::move(upper_bounds_seconds));
  return slot.get();
}

uint64_t MetricsRegistry::AddRefresher(std::function<void()> refresh) {
  std::lock_guard lock(refreshers_mu_);
  const uint64_t id = next_refresher_id_++;
  refreshers_.emplace(id, std::move(refresh));
  return id;
}

void MetricsRegistry::RemoveRefresher(uint64_t id) {
  std::lock_guard lock(refreshers_mu_);
  refreshers_.erase(id);
}

std::string MetricsRegistry::RenderPrometheusText() const {
  {
    std::lock_guard refreshing(refreshers_mu_);
    for (const auto& [id, refresh] : refreshers_) refresh();
  }
  std::lock_guard lock(mu_);
  std::string out;
  auto line = std::back_inserter(out);
  for (const auto& [name, family] : families_) {
    fmt::format_to(line, "# HELP {0} {1}\n# TYPE {0} {2}\n", name, family.help, family.type);
    for (const auto& [labels, c] : family.counters) fmt::format_to(line, "{}{} {}\n", name, labels, c->value());
    for (const auto& [labels, g] : family.gauges) fmt::format_to(line, "{}{} {}\n", name, labels, g->value());
    for (const auto& [labels, h] : family.histograms) {
      // Rendered labels look like {a="b"}; bucket lines need le added inside the braces.
      const std::string inner = labels.empty() ? "" : labels.substr(1, labels.size() - 2);
      const std::string_view comma = inner.empty() ? "" : ",";
      uint64_t cumulative = 0;
      for (size_t i = 0; i < h->upper_bounds_seconds().size(); ++i) {
        cumulative += h->bucket_count(i);
        fmt::format_to(line, "{}_bucket{{{}{}le=\"{}\"}} {}\n", name, inner, comma,
                       FormatDouble(h->upper_bounds_seconds()[i]), cumulative);
      }
      fmt::format_to(line, "{}_bucket{{{}{}le=\"+Inf\"}} {}\n", name, inner, comma, h->count());
      fmt::format_to(line, "{}_sum{} {}\n", name, labels, FormatDouble(h->sum_seconds()));
      fmt::format_to(line, "{}_count{} {}\n", name, labels, h->count());
    }
  }
  return out;
}

MetricsRegistry& MetricsRegistry::Global() {
  static auto* registry = new MetricsRegistry();  // never destroyed: threads may outlive main
  return *registry;
}

}  // namespace lagoa
