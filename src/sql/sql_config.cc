#include "sql/sql_config.h"

#include <cstdint>

#include "base/config_check.h"

namespace lagoa::sql {

Status SqlConfig::Validate() const {
  LAGOA_RETURN_IF_ERROR(CheckConfigRange<uint32_t>("sql_threads", threads, 0, 256, "a whole number 0..256"));
  LAGOA_RETURN_IF_ERROR(CheckConfigRange<uint64_t>("sql_memory_limit", memory_limit_bytes, 64ull << 20, UINT64_MAX,
                                                   "a size of at least 67108864 bytes such as 4096, 16MiB or 1GiB"));
  return CheckConfigRange<int64_t>("sql_statement_timeout_ms", statement_timeout_ms, 0, INT64_MAX,
                                   "milliseconds >= 1, or 0 for no limit");
}

}  // namespace lagoa::sql
