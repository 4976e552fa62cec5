// Times for the jobs tests: RFC 3339 text to milliseconds since the epoch and back (UTC).
#pragma once

#include <absl/time/time.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

namespace lagoa::jobs {

inline int64_t Ms(const char* rfc3339) {
  absl::Time t;
  std::string error;
  EXPECT_TRUE(absl::ParseTime(absl::RFC3339_full, rfc3339, &t, &error)) << error;
  return absl::ToUnixMillis(t);
}

inline std::string Utc(int64_t ms) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixMillis(ms), absl::UTCTimeZone());
}

}  // namespace lagoa::jobs
