// Wall and monotonic clocks in explicit units. Timestamps stored in lagoa are microseconds since
// the Unix epoch, UTC (the unit of DuckDB's TIMESTAMP and of Delta Lake's timestamps).
#pragma once

#include <chrono>
#include <cstdint>

namespace lagoa {

inline int64_t WallNowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

inline int64_t MonotonicNowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace lagoa

#include <string>

namespace lagoa {

// "2024-05-01T12:00:00.123456Z": microseconds since the epoch as RFC 3339 in UTC.
std::string FormatRfc3339Micros(int64_t micros);

}  // namespace lagoa
