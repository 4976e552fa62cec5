#include "lake/delta/table_scan.h"

#include <algorithm>
#include <utility>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <simdjson.h>

#include "schema/types.h"

namespace lagoa::lake {
namespace {

using schema::QuoteIdentifier;

// A column of the scan's SELECT list: partition values are typed already; data columns are cast
// from what Parquet stores (TINYINT, FLOAT, TIMESTAMP, MAP ...) to their lagoa type, and a column
// without a lagoa type (binary) is returned as Parquet has it.
std::string DataColumnSql(const DeltaColumn& column, bool partition) {
  const std::string name = QuoteIdentifier(column.name);
  if (partition) return "p." + name;
  if (!column.type) return "d." + name;
  if (column.type->id() == schema::TypeId::kJson) return fmt::format("to_json(d.{}) AS {}", name, name);
  return fmt::format("CAST(d.{} AS {}) AS {}", name, column.type->ToSql(), name);
}

// True when the file's statistics have a null count for each of `columns`: whoever wrote them saw
// every column in the file.
bool StatsNameEveryColumn(const AddFile& file, const std::vector<std::string>& columns, simdjson::dom::parser& parser) {
  if (file.stats.empty()) return false;
  simdjson::dom::object null_counts;
  if (parser.parse(file.stats)["nullCount"].get(null_counts) != simdjson::SUCCESS) return false;
  return std::all_of(columns.begin(), columns.end(), [&](const std::string& column) {
    simdjson::dom::element count;
    return null_counts[column].get(count) == simdjson::SUCCESS;
  });
}

}  // namespace

Result<std::string> BuildScanSql(const Snapshot& snapshot, const ObjectStore& store) {
  return BuildScanSql(snapshot, store, snapshot.files());
}

Result<std::string> BuildScanSql(const Snapshot& snapshot, const ObjectStore& store,
                                 const std::vector<AddFile>& files) {
  const std::vector<std::string>& partitions = snapshot.metadata().partition_columns;
  auto is_partition = [&](const std::string& name) {
    return std::find(partitions.begin(), partitions.end(), name) != partitions.end();
  };
  std::vector<const DeltaColumn*> partition_columns;
  for (const DeltaColumn& column : snapshot.columns()) {
    if (!is_partition(column.name)) continue;
    if (!column.type || column.type->is_nested()) {
      return Status::InvalidArgument(
          fmt::format("partition column `{}` has type {}, which lagoa cannot read as a "
                      "partition value",
                      column.name, column.spark_type));
    }
    partition_columns.push_back(&column);
  }

  if (files.empty()) {
    std::string select;
    for (const DeltaColumn& column : snapshot.columns()) {
      select += fmt::format("{}CAST(NULL AS {}) AS {}", select.empty() ? "" : ", ", DuckDbTypeName(column),
                            QuoteIdentifier(column.name));
    }
    return fmt::format("SELECT {} WHERE false", select);
  }

  // Files whose statistics name every data column were written with all of them, so DuckDB may
  // read them as one schema; the others (written before the schema gained a column, or by a
  // writer that keeps statistics for some columns only) are read with union_by_name, which opens
  // every file at bind time to read its schema — per statement, since a prepared statement over
  // files is bound again at each execution.
  std::vector<std::string> data_columns;
  for (const DeltaColumn& column : snapshot.columns()) {
    if (!is_partition(column.name)) data_columns.push_back(column.name);
  }
  simdjson::dom::parser parser;
  std::string complete_locations;
  std::string other_locations;
  std::string values;
  for (const AddFile& file : files) {
    LAGOA_ASSIGN_OR_RETURN(std::string location, store.DuckDbLocation(snapshot.table_prefix() + file.path));
    std::string& locations = StatsNameEveryColumn(file, data_columns, parser) ? complete_locations : other_locations;
    locations += fmt::format("{}{}", locations.empty() ? "" : ", ", duck::SqlStringLiteral(location));
    if (partition_columns.empty()) continue;
    std::string row = duck::SqlStringLiteral(location);
    for (const DeltaColumn* column : partition_columns) {
      std::optional<std::string> value = FindPartitionValue(file.partition_values, column->name);
      const std::string type = column->type->ToSql();
      // An empty string is null too (Delta writes null for it); "null" is a real string.
      row += value && !value->empty() ? fmt::format(", CAST({} AS {})", duck::SqlStringLiteral(*value), type)
                                      : fmt::format(", CAST(NULL AS {})", type);
    }
    values += fmt::format("{}({})", values.empty() ? "" : ", ", row);
  }

  std::string select;
  for (const DeltaColumn& column : snapshot.columns()) {
    select += fmt::format("{}{}", select.empty() ? "" : ", ", DataColumnSql(column, is_partition(column.name)));
  }
  // hive_partitioning=false: partition values come from the log, never from directory names.
  // The empty row source last, matched BY NAME, supplies (as NULL) a column that no file has yet —
  // the schema may gain a column before the first file holding it is committed.
  std::vector<std::string> typed_nulls;
  for (const DeltaColumn& column : snapshot.columns()) {
    if (is_partition(column.name)) continue;
    typed_nulls.push_back(fmt::format("CAST(NULL AS {}) AS {}", DuckDbTypeName(column), QuoteIdentifier(column.name)));
  }
  if (!partition_columns.empty()) typed_nulls.emplace_back("CAST(NULL AS VARCHAR) AS lagoa_file");
  const std::string file_name = partition_columns.empty() ? "" : ", filename = 'lagoa_file'";
  std::string sources;
  for (const auto& [locations, union_by_name] : {std::pair{&complete_locations, false}, {&other_locations, true}}) {
    if (locations->empty()) continue;
    sources += fmt::format("SELECT * FROM read_parquet([{}], hive_partitioning = false{}{}) UNION ALL BY NAME ",
                           *locations, union_by_name ? ", union_by_name = true" : "", file_name);
  }
  std::string scan = fmt::format("({}SELECT {} WHERE false)", sources, fmt::join(typed_nulls, ", "));
  if (partition_columns.empty()) return fmt::format("SELECT {} FROM {} AS d", select, scan);
  std::string names = "lagoa_file";
  for (const DeltaColumn* column : partition_columns) names += ", " + QuoteIdentifier(column->name);
  return fmt::format("SELECT {} FROM {} AS d JOIN (VALUES {}) AS p({}) ON d.lagoa_file = p.lagoa_file", select, scan,
                     values, names);
}

Result<std::vector<duck::TextRow>> QuerySnapshot(duck::Connection& duckdb, const Snapshot& snapshot,
                                                 const ObjectStore& store, std::string_view query) {
  LAGOA_ASSIGN_OR_RETURN(std::string scan, BuildScanSql(snapshot, store));
  return duckdb.QueryText(fmt::format("WITH t AS ({}) {}", scan, query));
}

}  // namespace lagoa::lake
