// File skipping: the filters of a statement that let a relation's view list only the lake files
// that may hold matching rows (Delta data skipping, lake/delta/file_pruning.h), so DuckDB never opens
// the others. DuckDB prunes a Parquet file's row groups by their statistics, but only after it
// opened the file; each file costs ~0.3 ms per statement even when nothing in it matches.
//
// Only statements whose files can be skipped without changing their result qualify:
// - one SELECT (no UNION, no CTE, no subquery) reading one table — the relation — and nothing else;
// - a WHERE that is an AND of conditions; each condition `column <op> literal` (op one of = < <=
//   > >=, either side first, or `column BETWEEN a AND b`) on a column of that table yields a
//   predicate, and every other condition is left to DuckDB (an AND can only drop more rows);
// - literals DuckDB compares the way the pruner does: integers (for INTEGER and BIGINT
//   columns), 'YYYY-MM-DD' strings or DATE casts (for DATE columns), and timestamps that carry
//   their UTC offset (for TIMESTAMPTZ columns; without one DuckDB reads them in the session's
//   TimeZone). Strings (collations), DOUBLEs (NaN sorts above every number in DuckDB) and
//   DECIMALs never skip files. Timestamps skip only while no session changed its TimeZone (the
//   caller's to track, EngineShared::timezone_set): a view reads zone-less timestamps, as Spark
//   writes partition values and Parquet TIMESTAMP columns hold them, in the session's TimeZone,
//   where the pruner reads UTC.
// Parameters ($1, ?) are unknown until execution and never skip files.
//
// Pure functions, any thread; SerializedSelect runs a query on the connection it is given.
#pragma once

#include <duckdb.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lake/delta/file_pruning.h"
#include "schema/types.h"

namespace lagoa::sql::internal {

// The type of column a literal compares with the pruner's semantics.
enum class LiteralKind { kInteger, kDate, kTimestampTz };

struct SkipPredicate {
  lake::ColumnPredicate predicate;  // column as written (matched ignoring case), literal as text
  LiteralKind kind;
};

struct SkipFilter {
  std::string table;                      // the one table the statement reads, as written
  std::vector<SkipPredicate> predicates;  // never empty
};

// DuckDB's parse tree of `sql` as JSON (json_serialize_sql), run on `connection`; std::nullopt
// when `sql` is not one SELECT DuckDB can serialize.
std::optional<std::string> SerializedSelect(duckdb_connection connection, const std::string& sql);

// The filter of a statement whose parse tree is `serialized` (SerializedSelect's JSON), or
// std::nullopt when it does not qualify (see above).
std::optional<SkipFilter> SkipFilterOf(std::string_view serialized);

// Whether `predicate` may skip files by a column of type `type` (null: a column without a lagoa
// type, which never skips).
bool Applies(const SkipPredicate& predicate, const schema::Type* type);

}  // namespace lagoa::sql::internal
