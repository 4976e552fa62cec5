// ReadLoadedRecords: the loader run backwards. It reads what a stream's lake table holds for a
// range of one partition's offsets and encodes each row again as a binary record of the stream's
// latest schema, with the row's offset, event time and ingest time: what `lagoa log repair`
// rebuilds a damaged log range from (src/log/README.md, "Repair").
//
// Each row goes through the ingest path's own encoder (schema::JsonRecordEncoder): DuckDB renders
// the row as a JSON object in the form ingest accepts (timestamps as RFC 3339 in UTC, decimals as
// strings of their digits, JSON columns as raw JSON), so a rebuilt record is typed and checked
// exactly as an ingested one was. A row loaded from a record of the latest schema version
// encodes to the same bytes; one from an older version gains NULLs for the columns added since.
// Columns the table lacks (added to the stream after its last load) are NULL.
//
// Memory: one query per 65,536 offsets; its rows (as JSON text) and one record at a time.
// Threads: a plain function over the caller's DuckDB connection; one thread at a time.
#pragma once

#include <functional>
#include <memory>

#include "base/status.h"
#include "base/strong_int.h"
#include "duck/connection.h"
#include "lake/delta/snapshot.h"
#include "lake/store/object_store.h"
#include "log/log.h"
#include "schema/schema.h"

namespace lagoa::lake {

// Calls `add` with each row of `snapshot` whose `_partition` is `partition` and whose `_offset` is
// in [first, end), in offset order; the record's payload is valid during the call only. Stops at
// the first error `add` returns. Corruption when the table holds an offset twice; InvalidArgument
// naming the offset and field when a row does not encode (a table some other writer changed).
Status ReadLoadedRecords(duck::Connection& duckdb, const Snapshot& snapshot, const ObjectStore& store,
                         std::shared_ptr<const schema::StreamDefinition> stream, PartitionId partition, Offset first,
                         Offset end, const std::function<Status(const log::ReadRecord&)>& add);

}  // namespace lagoa::lake
