// Reading a snapshot's rows with DuckDB: a SELECT over the active Parquet files with the partition
// columns filled in from the log's partitionValues (typed by the schema; an absent or null value
// is NULL, while the text "null" is the string "null"). Used by tests today and by the SQL layer
// later. Pure functions apart from the DuckDB connection they are given; one thread at a time.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "duck/connection.h"
#include "lake/delta/snapshot.h"
#include "lake/store/object_store.h"

namespace lagoa::lake {

// A SELECT returning the snapshot's rows, its columns in schema order. Data columns come from
// the files as Parquet stores them; partition columns are cast to their lagoa type.
// InvalidArgument when a partition column has no lagoa type or a partition value does not parse.
Result<std::string> BuildScanSql(const Snapshot& snapshot, const ObjectStore& store);
// The same over some of the snapshot's files (what PruneFiles kept, file_pruning.h).
Result<std::string> BuildScanSql(const Snapshot& snapshot, const ObjectStore& store, const std::vector<AddFile>& files);

// Runs `query` with the snapshot's rows bound to the name `t`, e.g.
// "SELECT count(*)::VARCHAR FROM t"; every result column must be VARCHAR.
Result<std::vector<duck::TextRow>> QuerySnapshot(duck::Connection& duckdb, const Snapshot& snapshot,
                                                 const ObjectStore& store, std::string_view query);

}  // namespace lagoa::lake
