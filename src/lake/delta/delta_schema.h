// Maps a Delta table's schema (metaData.schemaString: Spark's JSON schema) onto lagoa column types.
// The mapping, and what has no lagoa type, is the table in README.md. Pure functions; any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "schema/types.h"

namespace lagoa::lake {

// One top-level column of a Delta table.
struct DeltaColumn {
  std::string name;
  std::string spark_type;            // Spark's name: "long", "decimal(10,2)", "array<string>", ...
  std::optional<schema::Type> type;  // the lagoa type; std::nullopt when there is none
  std::string unsupported_reason;    // why `type` is empty ("binary has no lagoa type")
  bool nullable = true;
};

// Parses the schema string. Corruption when it is not a Spark struct schema; a column whose type
// lagoa cannot represent is returned with an empty `type` rather than failing, so the table's
// other columns stay readable.
Result<std::vector<DeltaColumn>> ParseSparkSchema(std::string_view schema_json);

// The DuckDB type of the column's values as lagoa reads them: its lagoa type, else BLOB for
// binary, else VARCHAR (for typed NULLs of columns a scan has no file for).
std::string DuckDbTypeName(const DeltaColumn& column);

// The columns as lagoa fields; InvalidArgument naming the first column without a lagoa type.
Result<std::vector<schema::Field>> ToLagoaFields(const std::vector<DeltaColumn>& columns);

}  // namespace lagoa::lake
