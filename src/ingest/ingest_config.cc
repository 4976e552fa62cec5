#include "ingest/ingest_config.h"

#include <cstdint>

#include "base/config_check.h"

namespace lagoa::ingest {

Status IngestConfig::Validate() const {
  return CheckConfigRange<uint64_t>("ingest_memory_bytes_max", memory_bytes_max, 1 << 20, UINT64_MAX,
                                    "a size of at least 1048576 bytes such as 4096, 16MiB or 1GiB");
}

}  // namespace lagoa::ingest
