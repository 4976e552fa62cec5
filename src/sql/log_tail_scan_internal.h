// The table function `lagoa_tail(stream VARCHAR, from_offsets VARCHAR, created_us BIGINT)`: the
// events of a stream's log from the given offset of each partition up to what was durable when
// the scan started, decoded into the stream's latest schema plus `_offset BIGINT, _partition
// INTEGER, _ingested_at TIMESTAMPTZ, _event_time TIMESTAMPTZ` (the columns the lake loader adds).
// `from_offsets` holds one offset per partition, comma-separated; -1 means the oldest offset the
// log still has; `pinned` means the offsets the calling connection pinned for the stream in
// TailPins when it last brought its view of the stream up to date (so a view's text need not
// change at every lake commit when its files do not). `created_us` names the stream's incarnation
// the caller planned for: a stream dropped (and re-created) since makes the scan fail instead of
// reading another stream's events.
// Stream views (relation_catalog.h) call it for the events the lake has not loaded.
//
// The offsets the engine's TailCache holds are read from its decoded blocks (DuckDB vectors the
// output references without a copy); only the others are read from the log and decoded.
//
// Lifecycle: registered once per database; it borrows the registry and the cache, which must
// outlive every query. Threads: DuckDB calls it from its worker threads, one scan per thread.
#pragma once

#include <duckdb.h>

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "base/status.h"

namespace lagoa::ingest {
class StreamRegistry;
}

namespace lagoa::sql::internal {

inline constexpr const char* kLogTailFunction = "lagoa_tail";
inline constexpr const char* kPinnedOffsets = "pinned";

class TailCache;

// Where each connection's stream views start reading the log: per DuckDB connection id and
// stream, the from_offsets text of the lake snapshot its view lists the files of.
// Lifecycle: one per engine, outliving the database. Threads: any (one mutex).
class TailPins {
 public:
  void Set(idx_t connection, const std::string& stream, std::string from_offsets);
  std::optional<std::string> Get(idx_t connection, const std::string& stream) const;
  void Forget(idx_t connection);

 private:
  mutable std::mutex mu_;
  std::map<std::pair<idx_t, std::string>, std::string> pins_;  // guarded by mu_
};

// `cache` (may be null: no cache) and `pins` must outlive the database.
Status RegisterLogTailScan(duckdb_connection connection, ingest::StreamRegistry* streams, TailCache* cache,
                           const TailPins* pins);

}  // namespace lagoa::sql::internal
