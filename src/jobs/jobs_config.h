// JobsConfig: the `jobs` section of the server's configuration (src/server/config.h), the keys of
// the work the server schedules itself: loading streams into the lake and maintaining their
// tables (lake_loading.h), and the runs of deployed projects' jobs (job_service.h). The server loads it from the keys
// named beside each field and turns it into LakeLoadingOptions (and the table service's compaction and VACUUM);
// Validate() checks the ranges the keys allow.
#pragma once

#include <cstdint>

#include "base/status.h"

namespace lagoa::jobs {

struct JobsConfig {
  // `lake_load_interval_ms`: between loads of streams into the lake; -1 turns loading off.
  int64_t lake_load_interval_ms = 60000;
  // `lake_maintenance_interval_ms`: between maintenance passes over the stream tables
  // (compaction, orphan cleanup, VACUUM); -1 turns it off.
  int64_t lake_maintenance_interval_ms = 600000;
  // `lake_file_bytes_target`, 1 MiB..1 GiB: a load writes at most about this much record payload
  // per file, and compaction merges files under a quarter of it into files of about this size.
  uint64_t lake_file_bytes_target = 128ull << 20;
  int lake_load_nice = 0;  // `lake_load_nice`, 0..19: above 0, below ingest and queries
  // `lake_vacuum_retention_hours`: VACUUM keeps unreferenced files this long; -1: never vacuum.
  int64_t lake_vacuum_retention_hours = 168;
  // `lake_memory_limit`, at least 16 MiB: DuckDB's limit for the loader and maintenance.
  uint64_t lake_memory_limit_bytes = 256ull << 20;
  // `jobs_runs_concurrent_max`, 1..64: runs of deployed jobs (job_service.h) at once, over all jobs.
  int64_t runs_concurrent_max = 2;

  Status Validate() const;
};

}  // namespace lagoa::jobs
