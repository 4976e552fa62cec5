// LogConfig: the `log` section of the server's configuration (src/server/config.h), the keys of
// the event log and of the retention new streams get. The server loads it from the keys named
// beside each field and turns it into LogOptions and the default RetentionPolicy; Validate()
// checks the ranges the keys allow.
#pragma once

#include <cstdint>

#include "base/status.h"

namespace lagoa::log {

struct LogConfig {
  bool durability_fsync = true;                // `durability`: fsync | none (none is for benchmarks only)
  uint64_t segment_bytes_max = 128ull << 20;   // `segment_bytes_max`, at least 4 KiB
  uint64_t free_space_min_bytes = 1ull << 30;  // `free_space_min_bytes`
  double free_space_min_percent = 5.0;         // `free_space_min_percent`, 0..100
  // `log_pending_bytes_max`, at least 1 MiB: appends queued for group commit.
  uint64_t pending_bytes_max = 64ull << 20;
  // `idempotency_window_hours`, 1..8760: how long a producer's Idempotency-Key is remembered.
  int64_t idempotency_window_hours = 24;
  uint64_t idempotency_keys_max = 100000;  // `idempotency_keys_max`, 1..10^8: keys remembered per partition
  int64_t retention_max_age_ms = -1;       // `retention_max_age_ms`: default for new streams; -1 keeps events forever
  int64_t retention_max_bytes = -1;        // `retention_max_bytes`: per partition; -1 is unlimited

  Status Validate() const;
};

}  // namespace lagoa::log
