// IngestConfig: the `ingest` section of the server's configuration (src/server/config.h). The
// server loads it from the keys named beside each field and turns it into IngestOptions and the
// HTTP server's body budget; Validate() checks the ranges the keys allow.
#pragma once

#include <cstdint>

#include "base/status.h"

namespace lagoa::ingest {

struct IngestConfig {
  // `ingest_memory_bytes_max`, at least 1 MiB: request bodies held at once over all connections.
  // It must also hold one body of `max_body_bytes` (the server checks it with the memory budget).
  uint64_t memory_bytes_max = 256ull << 20;
  bool auto_create_streams = false;  // `auto_create_streams`: a stream with an inferred schema on its first event

  Status Validate() const;
};

}  // namespace lagoa::ingest
