// The table function `lagoa_tail(stream VARCHAR, from_offsets VARCHAR, created_us BIGINT)`: the
// events of a stream's log from the given offset of each partition up to what was durable when
// the scan started, decoded into the stream's latest schema plus `_offset BIGINT, _partition
// INTEGER, _ingested_at TIMESTAMPTZ, _event_time TIMESTAMPTZ` (the columns the lake loader adds).
// `from_offsets` holds one offset per partition, comma-separated; -1 means the oldest offset the
// log still has. `created_us` names the stream's incarnation the caller planned for: a stream
// dropped (and re-created) since makes the scan fail instead of reading another stream's events.
// Stream views (relation_catalog.h) call it for the events the lake has not loaded.
//
// The offsets the engine's TailCache holds are read from its decoded blocks (DuckDB vectors the
// output references without a copy); only the others are read from the log and decoded.
//
// Lifecycle: registered once per database; it borrows the registry and the cache, which must
// outlive every query. Threads: DuckDB calls it from its worker threads, one scan per thread.
#pragma once

#include <duckdb.h>

#include "base/status.h"

namespace lagoa::ingest {
class StreamRegistry;
}

namespace lagoa::sql::internal {

inline constexpr const char* kLogTailFunction = "lagoa_tail";

class TailCache;

// `cache` (may be null: no cache) must outlive the database.
Status RegisterLogTailScan(duckdb_connection connection, ingest::StreamRegistry* streams, TailCache* cache);

}  // namespace lagoa::sql::internal
