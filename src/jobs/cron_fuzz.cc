// libFuzzer target for cron schedules (a project's `cron:` key is outside input): any bytes as an
// expression, parsed in a zone with DST, and when they parse, the next times after instants
// around New York's 2024 DST changes (each must come after the instant it follows).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "jobs/cron.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto cron = lagoa::jobs::CronSchedule::Parse(text, "America/New_York");
  if (!cron.ok()) return 0;
  // 2024-03-10T06:30Z and 2024-11-03T05:30Z (just before each change), and the epoch.
  for (int64_t after_ms : {int64_t{1710052200000}, int64_t{1730611800000}, int64_t{0}}) {
    auto next = cron->NextAfter(after_ms);
    if (next.ok() && *next <= after_ms) std::abort();
  }
  return 0;
}
