// The jobs a project declares in its lagoa_project.yml: what to build, when, and what to do when
// it fails. The server runs them once the project is deployed (`lagoa project deploy`).
//
//   jobs:
//     hourly_marts:
//       command: build             # build (default), run, test, seed or snapshot
//       select: +daily_pages       # as `lagoa build -s`; all models when absent
//       exclude: tag:slow
//       vars: {region: eu}
//       cron: "0 * * * *"          # one of cron, every or on_new_data; none: run by hand only
//       timezone: Europe/Berlin    # for cron; UTC when absent
//       timeout: 30 minutes        # a run that takes longer is cancelled and failed (default 1 hour)
//       retries: 3                 # a failed run is tried again this many times (default 0) …
//       retry_delay: 30 seconds    # … after this delay, doubled each time up to retry_delay_max,
//       retry_delay_max: 10 minutes  #   less up to a quarter at random (jitter)
//       catch_up: 1                # runs missed while the server was down that are made up (0..100)
//       paused: false              # deployed paused (`lagoa jobs resume` starts it)
//     refresh_on_clicks:
//       command: run
//       on_new_data: [clicks]      # streams or tables: runs when one of them holds new data,
//       check_every: 10 seconds    #   looked at this often (default 10 seconds)
//     every_quarter_hour:
//       every: 15 minutes          # aligned to the Unix epoch: :00, :15, :30, :45 UTC
//
// Durations are "N unit", unit one of second, minute, hour, day (plural too).
//
// Value type: immutable once parsed.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "jobs/cron.h"
#include "models/build_runner.h"

namespace lagoa::jobs {

inline constexpr size_t kJobsPerProjectMax = 1000;
inline constexpr int kRetriesMax = 100;
inline constexpr int kCatchUpMax = 100;

enum class ScheduleKind { kManual, kCron, kInterval, kOnNewData };

struct JobSpec {
  std::string name;     // unique on the server: [A-Za-z_][A-Za-z0-9_]*
  std::string project;  // the project that declares it
  std::string where;    // "lagoa_project.yml:12:3"
  models::BuildSteps steps = models::BuildSteps::kModelsAndTests;
  std::string select;
  std::string exclude;
  bool full_refresh = false;
  std::map<std::string, std::string> vars;

  ScheduleKind schedule = ScheduleKind::kManual;
  std::optional<CronSchedule> cron;    // kCron
  int64_t interval_ms = 0;             // kInterval
  std::vector<std::string> upstreams;  // kOnNewData: stream or table names
  int64_t check_interval_ms = 10'000;  // kOnNewData

  int64_t timeout_ms = 3'600'000;
  int retries = 0;
  int64_t retry_delay_ms = 30'000;
  int64_t retry_delay_max_ms = 600'000;
  int catch_up = 1;
  bool paused = false;

  // When the schedule is next due after `after_ms` (kCron, kInterval); nullopt for the others.
  Result<std::optional<int64_t>> NextDueAfter(int64_t after_ms) const;
  std::string ScheduleText() const;
  std::string_view command() const;  // build, run, test, seed or snapshot: what `steps` does  // "cron 0 * * * *
                                     // (Europe/Berlin)", "every 15 minutes", …
};

// Milliseconds in the largest unit that divides them: "1 second", "90 seconds", "2 hours".
std::string DurationText(int64_t ms);

// "30 seconds", "1 hour", "2 days" → milliseconds; errors say what was expected.
Result<int64_t> ParseDurationMs(std::string_view text);

// The `jobs` section of `dir`/lagoa_project.yml, for the project named `project`; none when the
// section is absent. Errors name the file, line and column, the key and what was expected.
Result<std::vector<JobSpec>> LoadJobSpecs(const std::filesystem::path& dir, const std::string& project);

}  // namespace lagoa::jobs
