#include "sql/sql_config.h"

#include <cstdint>

#include "base/config_check.h"

namespace lagoa::sql {

Status SqlConfig::Validate() const {
  LAGOA_RETURN_IF_ERROR(CheckConfigRange<uint32_t>("sql_threads", threads, 0, 256, "a whole number 0..256"));
  LAGOA_RETURN_IF_ERROR(CheckConfigRange<uint64_t>("sql_memory_limit", memory_limit_bytes, 64ull << 20, UINT64_MAX,
                                                   "a size of at least 67108864 bytes such as 4096, 16MiB or 1GiB"));
  LAGOA_RETURN_IF_ERROR(CheckConfigRange<int64_t>("sql_statement_timeout_ms", statement_timeout_ms, 0, INT64_MAX,
                                                  "milliseconds >= 1, or 0 for no limit"));
  // The largest message the PostgreSQL front door reads (and HTTP's largest body) is 64 MiB.
  LAGOA_RETURN_IF_ERROR(CheckConfigRange<uint64_t>("sql_text_bytes_max", text_bytes_max, 1ull << 10, 64ull << 20,
                                                   "a size from 1KiB to 64MiB such as 256KiB"));
  LAGOA_RETURN_IF_ERROR(CheckConfigRange<uint32_t>("sql_boolean_operators_max", boolean_operators_max, 1, 1000000,
                                                   "a whole number 1..1000000"));
  // DuckDB's parser refuses expressions nested deeper than 1000 (its max_expression_depth).
  return CheckConfigRange<uint32_t>("sql_nesting_depth_max", nesting_depth_max, 1, 1000, "a whole number 1..1000");
}

}  // namespace lagoa::sql
