#include "tables/tables_config.h"

#include <cstdint>

#include "base/config_check.h"

namespace lagoa::tables {

Status TablesConfig::Validate() const {
  return CheckConfigRange<uint64_t>("table_memory_limit", memory_limit_bytes, 16ull << 20, UINT64_MAX,
                                    "a size of at least 16777216 bytes such as 4096, 16MiB or 1GiB");
}

}  // namespace lagoa::tables
