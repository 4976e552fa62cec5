#include "report.h"

#include <fmt/format.h>

namespace lagoa::bench {
namespace {

double PerSecond(uint64_t n, double seconds) { return seconds > 0 ? static_cast<double>(n) / seconds : 0.0; }
double Ms(uint64_t ns) { return static_cast<double>(ns) / 1e6; }

std::string Grouped(double value) {
  std::string digits = fmt::format("{:.0f}", value);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

}  // namespace

std::string ReportJson(const ReportHeader& h, const RunResult& r) {
  const RunStats& s = r.stats;
  std::string not_ok;
  for (const auto& [key, count] : s.not_ok) {
    // Keys are HTTP status digits or Redis error words (letters): nothing to escape.
    not_ok += fmt::format("{}\"{}\":{}", not_ok.empty() ? "" : ",", key, count);
  }
  return fmt::format(
      "{{\"mode\":\"{}\",\"target\":\"{}\",\"connections\":{},\"threads\":{},\"batch_events\":{},"
      "\"pipeline\":{},\"event_bytes_mean\":{:.1f},\"measured_seconds\":{:.3f},\"requests\":{},\"events\":{},"
      "\"events_accepted\":{},\"body_bytes\":{},\"events_per_s\":{:.0f},\"requests_per_s\":{:.0f},"
      "\"body_mb_per_s\":{:.2f},\"latency_ms\":{{\"p50\":{:.3f},\"p99\":{:.3f},\"p999\":{:.3f},\"max\":{:.3f},"
      "\"mean\":{:.3f}}},\"client_cpu_seconds\":{:.2f},\"not_ok\":{{{}}},\"errors\":{{\"connect\":{},\"io\":{},"
      "\"protocol\":{}}}}}",
      h.mode, h.target, h.connections, h.threads, h.batch_events, h.pipeline, h.event_bytes_mean, r.measured_seconds,
      s.requests_ok, s.events_sent, s.events_accepted, s.body_bytes, PerSecond(s.events_sent, r.measured_seconds),
      PerSecond(s.requests_ok, r.measured_seconds), PerSecond(s.body_bytes, r.measured_seconds) / 1e6,
      Ms(s.latency.PercentileNs(0.50)), Ms(s.latency.PercentileNs(0.99)), Ms(s.latency.PercentileNs(0.999)),
      Ms(s.latency.max_ns()), s.latency.mean_ns() / 1e6, r.client_cpu_seconds, not_ok, s.connect_errors, s.io_errors,
      s.protocol_errors);
}

std::string ReportHuman(const ReportHeader& h, const RunResult& r) {
  const RunStats& s = r.stats;
  std::string not_ok;
  for (const auto& [key, count] : s.not_ok) not_ok += fmt::format(" {}×{}", key, count);
  if (not_ok.empty()) not_ok = " none";
  const uint64_t errors = s.connect_errors + s.io_errors + s.protocol_errors;
  return fmt::format(
      "{} {}: {} conn × {} ev/req, pipeline {}, {:.1f} s: {} events/s, {} req/s, {:.1f} MB/s; "
      "ack latency p50 {:.2f} ms, p99 {:.2f} ms, p99.9 {:.2f} ms, max {:.2f} ms; not ok:{}; errors {}; "
      "client CPU {:.1f} s",
      h.mode, h.target, h.connections, h.batch_events, h.pipeline, r.measured_seconds,
      Grouped(PerSecond(s.events_sent, r.measured_seconds)), Grouped(PerSecond(s.requests_ok, r.measured_seconds)),
      PerSecond(s.body_bytes, r.measured_seconds) / 1e6, Ms(s.latency.PercentileNs(0.50)),
      Ms(s.latency.PercentileNs(0.99)), Ms(s.latency.PercentileNs(0.999)), Ms(s.latency.max_ns()), not_ok, errors,
      r.client_cpu_seconds);
}

}  // namespace lagoa::bench
