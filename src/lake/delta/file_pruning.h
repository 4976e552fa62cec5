// File pruning: which of a snapshot's data files may hold rows that satisfy a conjunction of
// simple predicates (`column <op> literal`), decided from the log alone — partition values for
// partition columns, per-file statistics (minValues, maxValues, nullCount, numRecords) for data
// columns — so a scan opens only those files.
//
// Pruning is conservative: a file is dropped only when its partition value or statistics prove
// that no row can match (SQL semantics: a NULL never compares true). A file without statistics,
// a column type the pruner does not compare (DECIMAL, BOOLEAN, JSON, nested types), or a value it
// cannot parse keeps the file. Timestamp statistics written with millisecond precision (Spark)
// may understate the maximum by up to 999 µs; the pruner widens every timestamp maximum by that
// much. Truncated string statistics stay bounds (Delta writers truncate min down and max up).
//
// Pure functions; any thread.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "lake/delta/snapshot.h"

namespace lagoa::lake {

enum class CompareOp { kEqual, kLess, kLessOrEqual, kGreater, kGreaterOrEqual };

struct ColumnPredicate {
  std::string column;  // a top-level column, matched ignoring case (as Spark does)
  CompareOp op = CompareOp::kEqual;
  std::string literal;  // the value as text: "42", "1.5", "abc", "2024-01-31", "2024-01-31T10:00:00Z"
};

struct PrunedFiles {
  std::vector<AddFile> files;  // those that may hold matching rows, in snapshot order
  int files_pruned = 0;
};

// InvalidArgument naming the predicate when its column is not in the table or its literal does
// not parse as the column's type.
Result<PrunedFiles> PruneFiles(const Snapshot& snapshot, const std::vector<ColumnPredicate>& predicates);

}  // namespace lagoa::lake
