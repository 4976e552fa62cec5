// Building ResultChunks from DuckDB's C API handles. Internal to src/sql: it includes duckdb.h.
// Threads: ResultTypes is immutable once built and shared by the chunks of one result.
#pragma once

#include <duckdb.h>

#include <memory>
#include <vector>

#include "duck/handles.h"
#include "sql/result_chunk.h"
#include "sql/value_format_internal.h"

namespace lagoa::sql::internal {

// The column types of one result: DuckDB's logical types (owned, destroyed with the last chunk
// or cursor that shares them) and their descriptions.
struct ResultTypes {
  duck::LogicalTypeList logical;
  std::vector<ColumnType> columns;
  std::vector<TypeNode> nodes;  // the type trees the formatters walk, one per column
};

// Describes a logical type (borrowed).
ColumnType DescribeType(duckdb_logical_type type);

// Takes ownership of `types` (one per column) and describes them.
std::shared_ptr<const ResultTypes> MakeResultTypes(duck::LogicalTypeList types);

// Wraps `chunk`; its columns have `types`.
std::unique_ptr<ResultChunk> MakeResultChunk(duck::DataChunkHandle chunk, std::shared_ptr<const ResultTypes> types);

}  // namespace lagoa::sql::internal
