// SqlConfig: the `sql` section of the server's configuration (src/server/config.h), the keys of
// the SQL engine. The server loads it from the keys named beside each field and turns it into
// SqlEngineOptions; Validate() checks the ranges the keys allow.
#pragma once

#include <cstdint>

#include "base/status.h"

namespace lagoa::sql {

struct SqlConfig {
  uint32_t threads = 0;                      // `sql_threads`, 0..256: DuckDB worker threads; 0: one per core
  uint64_t memory_limit_bytes = 2ull << 30;  // `sql_memory_limit`, at least 64 MiB: all statements together
  uint64_t tail_cache_bytes = 256ull << 20;  // `sql_tail_cache`: decoded live tails kept between statements
  int64_t statement_timeout_ms = 300000;     // `sql_statement_timeout_ms`: 0 is no limit
  // Statements are refused before DuckDB plans them beyond these (SqlEngineOptions):
  uint64_t text_bytes_max = 256ull << 10;  // `sql_text_bytes_max`, 1 KiB..64 MiB: one SQL text
  uint32_t boolean_operators_max = 2048;   // `sql_boolean_operators_max`, 1..1000000: AND/OR in one statement
  uint32_t nesting_depth_max = 128;        // `sql_nesting_depth_max`, 1..1000: ( [ { nesting in one statement

  Status Validate() const;
};

}  // namespace lagoa::sql
