// TablesConfig: the `tables` section of the server's configuration (src/server/config.h). The
// server loads it from the keys named beside each field and turns it into TableServiceOptions
// (with the lake's compaction and VACUUM keys, which jobs::JobsConfig holds); Validate() checks the
// ranges the keys allow.
#pragma once

#include <cstdint>

#include "base/status.h"

namespace lagoa::tables {

struct TablesConfig {
  // `table_memory_limit`, at least 16 MiB: DuckDB's limit for one table operation (describe, compact …).
  uint64_t memory_limit_bytes = 512ull << 20;

  Status Validate() const;
};

}  // namespace lagoa::tables
