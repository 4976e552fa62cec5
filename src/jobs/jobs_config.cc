#include "jobs/jobs_config.h"

#include <cstdint>

#include "base/config_check.h"

namespace lagoa::jobs {

Status JobsConfig::Validate() const {
  LAGOA_RETURN_IF_ERROR(CheckConfigPositiveOrOff("lake_load_interval_ms", lake_load_interval_ms,
                                                 "milliseconds >= 1, or -1 to turn loading off"));
  LAGOA_RETURN_IF_ERROR(CheckConfigPositiveOrOff("lake_maintenance_interval_ms", lake_maintenance_interval_ms,
                                                 "milliseconds >= 1, or -1 to turn it off"));
  LAGOA_RETURN_IF_ERROR(CheckConfigRange<uint64_t>("lake_file_bytes_target", lake_file_bytes_target, 1ull << 20,
                                                   1ull << 30,
                                                   "a size from 1048576 to 1073741824 bytes such as 16MiB"));
  LAGOA_RETURN_IF_ERROR(CheckConfigRange("lake_load_nice", lake_load_nice, 0, 19, "a nice value from 0 to 19"));
  LAGOA_RETURN_IF_ERROR(CheckConfigPositiveOrOff("lake_vacuum_retention_hours", lake_vacuum_retention_hours,
                                                 "hours >= 1, or -1 to never vacuum"));
  LAGOA_RETURN_IF_ERROR(CheckConfigRange<uint64_t>("lake_memory_limit", lake_memory_limit_bytes, 16ull << 20,
                                                   UINT64_MAX,
                                                   "a size of at least 16777216 bytes such as 4096, 16MiB or 1GiB"));
  return CheckConfigRange<int64_t>("jobs_runs_concurrent_max", runs_concurrent_max, 1, 64, "a number from 1 to 64");
}

}  // namespace lagoa::jobs
