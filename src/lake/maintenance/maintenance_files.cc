#include "lake/maintenance/maintenance_files_internal.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <fstream>
#include <iterator>
#include <system_error>

#include "base/clock.h"
#include "base/json_writer.h"
#include "lake/delta/delta_writer_actions.h"
#include "lake/load/chunk_stats_internal.h"
#include "lake/store/scratch_file.h"

namespace lagoa::lake::maintenance {
namespace {

using schema::QuoteIdentifier;
using schema::Type;
using schema::TypeId;

constexpr std::string_view kNullPartition = "__HIVE_DEFAULT_PARTITION__";

bool IsPartitionColumn(const Snapshot& snapshot, const std::string& name) {
  const std::vector<std::string>& partitions = snapshot.metadata().partition_columns;
  return std::find(partitions.begin(), partitions.end(), name) != partitions.end();
}

// The column as the table reads it, from a Parquet column `d.<name>` (the rules of table_scan.cc).
std::string TypedDataColumnSql(const DeltaColumn& column, const std::string& file_name) {
  const std::string source = "d." + QuoteIdentifier(file_name);
  const std::string name = QuoteIdentifier(column.name);
  if (!column.type) return fmt::format("{} AS {}", source, name);
  if (column.type->id() == TypeId::kJson) return fmt::format("to_json({}) AS {}", source, name);
  return fmt::format("CAST({} AS {}) AS {}", source, column.type->ToSql(), name);
}

std::optional<std::string> FindName(const std::vector<std::string>& names, const std::string& wanted) {
  for (const std::string& name : names) {
    if (name == wanted) return name;
  }
  for (const std::string& name : names) {
    if (schema::EqualsIgnoreCase(name, wanted)) return name;
  }
  return std::nullopt;
}

bool IsTimestamp(const Type& type) { return type.id() == TypeId::kTimestamp || type.id() == TypeId::kTimestampTz; }

void AddNullCountSql(const std::optional<Type>& type, const std::string& value_sql, std::vector<std::string>& exprs) {
  if (!type || type->id() != TypeId::kStruct) {
    exprs.push_back(fmt::format("(count(*) - count({}))::VARCHAR", value_sql));
    return;
  }
  for (const schema::Field& field : type->fields()) {
    AddNullCountSql(field.type, fmt::format("struct_extract({}, {})", value_sql, duck::SqlStringLiteral(field.name)),
                    exprs);
  }
}

void WriteNullCount(const std::optional<Type>& type, const duck::TextRow& row, size_t& cursor, JsonWriter& json) {
  if (!type || type->id() != TypeId::kStruct) {
    json.Raw(row[cursor++].value_or("0"));
    return;
  }
  json.BeginObject();
  for (const schema::Field& field : type->fields()) {
    json.Key(field.name);
    WriteNullCount(field.type, row, cursor, json);
  }
  json.EndObject();
}

Result<int64_t> ParseInt64(const std::string& text) {
  int64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) {
    return Status::Internal(fmt::format("DuckDB returned \"{}\" where an integer was expected", text));
  }
  return value;
}

// Writes one min/max value; false when it has no JSON form (NaN or an infinity), so the column's
// bound is left out (no bound means no skipping, never a wrong one).
Result<bool> WriteStatValue(const Type& type, const std::string& text, JsonWriter& json) {
  switch (type.id()) {
    case TypeId::kVarchar:
    case TypeId::kDate:
      json.String(text);
      return true;
    case TypeId::kTimestamp:
    case TypeId::kTimestampTz: {
      LAGOA_ASSIGN_OR_RETURN(int64_t micros, ParseInt64(text));
      json.String(FormatRfc3339Micros(micros));
      return true;
    }
    case TypeId::kDouble: {
      double value = 0;
      auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
      if (error != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) return false;
      json.Raw(text);
      return true;
    }
    default:  // INTEGER, BIGINT, DECIMAL: DuckDB's text is a JSON number
      json.Raw(text);
      return true;
  }
}

Result<std::string> ReadLocalFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IoError(fmt::format("cannot open {}", path.string()));
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return Status::IoError(fmt::format("cannot read {}", path.string()));
  return bytes;
}

std::string EscapePathSegment(std::string_view text) {
  std::string out;
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    const bool plain = (byte >= 'a' && byte <= 'z') || (byte >= 'A' && byte <= 'Z') || (byte >= '0' && byte <= '9') ||
                       c == '-' || c == '.' || c == '_' || c == '~';
    out += plain ? std::string(1, c) : fmt::format("%{:02X}", byte);
  }
  return out;
}

}  // namespace

Result<FileStatsText> ComputeStats(duck::Connection* duckdb, const std::string& read_sql,
                                   const std::vector<DeltaColumn>& columns) {
  LAGOA_ASSIGN_OR_RETURN(std::vector<std::string> names, ParquetColumnNames(duckdb, read_sql));
  std::vector<std::pair<const DeltaColumn*, std::string>> present;  // column, name in the file
  for (const DeltaColumn& column : columns) {
    if (std::optional<std::string> name = FindName(names, column.name)) present.emplace_back(&column, *name);
  }
  std::vector<std::string> exprs = {"count(*)::VARCHAR"};
  std::vector<const DeltaColumn*> min_max;
  for (const auto& [column, name] : present) {
    if (!column->type || !internal::HasMinMax(*column->type)) continue;
    min_max.push_back(column);
    for (std::string_view aggregate : {"min", "max"}) {
      exprs.push_back(IsTimestamp(*column->type)
                          ? fmt::format("epoch_us({}({}))::VARCHAR", aggregate, QuoteIdentifier(name))
                          : fmt::format("{}({})::VARCHAR", aggregate, QuoteIdentifier(name)));
    }
  }
  const size_t null_counts_first = exprs.size();
  for (const auto& [column, name] : present) AddNullCountSql(column->type, QuoteIdentifier(name), exprs);
  LAGOA_ASSIGN_OR_RETURN(std::vector<duck::TextRow> rows,
                         duckdb->QueryText(fmt::format("SELECT {} FROM {}", fmt::join(exprs, ", "), read_sql)));
  if (rows.size() != 1 || !rows[0][0]) return Status::Internal("DuckDB: the statistics query returned no row");
  const duck::TextRow& row = rows[0];
  LAGOA_ASSIGN_OR_RETURN(int64_t records, ParseInt64(*row[0]));

  JsonWriter json;
  json.BeginObject().Key("numRecords").Int(records);
  for (size_t side = 0; side < 2; ++side) {
    json.Key(side == 0 ? "minValues" : "maxValues").BeginObject();
    for (size_t k = 0; k < min_max.size(); ++k) {
      const std::optional<std::string>& value = row[1 + 2 * k + side];
      if (!value) continue;  // every value NULL
      JsonWriter one;
      LAGOA_ASSIGN_OR_RETURN(bool representable, WriteStatValue(*min_max[k]->type, *value, one));
      if (representable) json.Key(min_max[k]->name).Raw(one.Take());
    }
    json.EndObject();
  }
  json.Key("nullCount").BeginObject();
  size_t cursor = null_counts_first;
  for (const auto& [column, name] : present) {
    json.Key(column->name);
    WriteNullCount(column->type, row, cursor, json);
  }
  json.EndObject().EndObject();
  return FileStatsText{static_cast<uint64_t>(records), json.Take()};
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::vector<DeltaColumn> DataColumns(const Snapshot& snapshot) {
  std::vector<DeltaColumn> columns;
  for (const DeltaColumn& column : snapshot.columns()) {
    if (!IsPartitionColumn(snapshot, column.name)) columns.push_back(column);
  }
  return columns;
}

Result<std::vector<std::string>> ParquetColumnNames(duck::Connection* duckdb, const std::string& read_parquet_sql) {
  LAGOA_ASSIGN_OR_RETURN(
      std::vector<duck::TextRow> rows,
      duckdb->QueryText(fmt::format("SELECT column_name::VARCHAR FROM (DESCRIBE SELECT * FROM {})", read_parquet_sql)));
  std::vector<std::string> names;
  for (const duck::TextRow& row : rows) {
    if (row[0]) names.push_back(*row[0]);
  }
  return names;
}

std::string ReadParquetSql(const std::vector<std::string>& locations) {
  std::string list;
  for (const std::string& location : locations) list += (list.empty() ? "" : ", ") + duck::SqlStringLiteral(location);
  return fmt::format("read_parquet([{}], hive_partitioning = false, union_by_name = true)", list);
}

Result<FileScan> BuildFileScan(duck::Connection* duckdb, const ObjectStore& store, const Snapshot& snapshot,
                               const AddFile& file) {
  LAGOA_ASSIGN_OR_RETURN(std::string location, store.DuckDbLocation(snapshot.table_prefix() + file.path));
  const std::string read = ReadParquetSql({location});
  LAGOA_ASSIGN_OR_RETURN(std::vector<std::string> names, ParquetColumnNames(duckdb, read));
  FileScan scan;
  std::vector<std::string> select;
  size_t data_index = 0;
  for (const DeltaColumn& column : snapshot.columns()) {
    const std::string name = QuoteIdentifier(column.name);
    if (IsPartitionColumn(snapshot, column.name)) {
      if (!column.type || column.type->is_nested()) {
        return Status::InvalidArgument(
            fmt::format("partition column `{}` has type {}, which lagoa cannot read as a partition value", column.name,
                        column.spark_type));
      }
      std::optional<std::string> value = FindPartitionValue(file.partition_values, column.name);
      select.push_back(value && !value->empty() ? fmt::format("CAST({} AS {}) AS {}", duck::SqlStringLiteral(*value),
                                                              column.type->ToSql(), name)
                                                : fmt::format("CAST(NULL AS {}) AS {}", column.type->ToSql(), name));
      continue;
    }
    const size_t index = data_index++;
    std::optional<std::string> file_name = FindName(names, column.name);
    if (!file_name) {
      select.push_back(fmt::format("CAST(NULL AS {}) AS {}", DuckDbTypeName(column), name));
      continue;
    }
    const std::string raw = QuoteIdentifier(fmt::format("__lagoa_raw_{}", index));
    select.push_back(fmt::format("d.{} AS {}", QuoteIdentifier(*file_name), raw));
    select.push_back(TypedDataColumnSql(column, *file_name));
    scan.raw_select.push_back(fmt::format("{} AS {}", raw, name));
  }
  scan.sql = fmt::format("SELECT {} FROM {} AS d", fmt::join(select, ", "), read);
  return scan;
}

Result<std::string> NullRowSql(const Snapshot& snapshot) {
  std::vector<std::string> select;
  for (const DeltaColumn& column : snapshot.columns()) {
    select.push_back(fmt::format("CAST(NULL AS {}) AS {}", DuckDbTypeName(column), QuoteIdentifier(column.name)));
  }
  if (select.empty()) return Status::Corruption("the table has no columns");
  return fmt::format("SELECT {}", fmt::join(select, ", "));
}

std::string PredicateSql(const std::string& predicate_sql) { return "(" + predicate_sql + "\n)"; }

Status CheckPredicate(duck::Connection* duckdb, const Snapshot& snapshot, const std::string& predicate_sql) {
  if (predicate_sql.find_first_not_of(" \t\r\n") == std::string::npos) {
    return Status::InvalidArgument("the predicate is empty; write `true` to match every row");
  }
  LAGOA_ASSIGN_OR_RETURN(std::string null_row, NullRowSql(snapshot));
  auto type = duckdb->QueryText(
      fmt::format("SELECT typeof({})::VARCHAR FROM ({}) AS t", PredicateSql(predicate_sql), null_row));
  if (!type.ok()) {
    return Status::InvalidArgument(fmt::format("predicate `{}`: {}", predicate_sql, type.status().message()));
  }
  if (type->size() != 1 || (*type)[0][0] != "BOOLEAN") {
    return Status::InvalidArgument(fmt::format("predicate `{}` has type {}; it must be a BOOLEAN expression",
                                               predicate_sql,
                                               type->size() == 1 ? (*type)[0][0].value_or("NULL") : "?"));
  }
  return Status::Ok();
}

Result<std::optional<NewFile>> WriteDataFile(ObjectStore* store, duck::Connection* duckdb, const Snapshot& snapshot,
                                             const std::string& select_sql, const PartitionValues& partition_values,
                                             const std::filesystem::path& scratch_dir, bool data_change) {
  const std::filesystem::path dir = scratch_dir.empty() ? std::filesystem::temp_directory_path() : scratch_dir;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::FromErrno("create scratch directory " + dir.string(), ec.value());
  const std::string file_name = fmt::format("part-{}.zstd.parquet", NewTableId());
  ScratchFile scratch(dir / file_name);
  LAGOA_RETURN_IF_ERROR(
      duckdb
          ->Execute(fmt::format("COPY ({}) TO {} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880)", select_sql,
                                duck::SqlStringLiteral(scratch.path().string())))
          .WithContext("writing " + scratch.path().string()));
  LAGOA_ASSIGN_OR_RETURN(FileStatsText stats,
                         ComputeStats(duckdb, ReadParquetSql({scratch.path().string()}), DataColumns(snapshot)));
  if (stats.rows == 0) return std::optional<NewFile>();
  LAGOA_ASSIGN_OR_RETURN(std::string bytes, ReadLocalFile(scratch.path()));
  NewFile file;
  file.rows = stats.rows;
  file.add.path = PartitionDirectory(snapshot.metadata().partition_columns, partition_values) + file_name;
  file.add.partition_values = partition_values;
  file.add.size_bytes = static_cast<int64_t>(bytes.size());
  file.add.modification_time_ms = NowMs();
  file.add.data_change = data_change;
  file.add.stats = std::move(stats.json);
  LAGOA_RETURN_IF_ERROR(store->PutIfAbsent(snapshot.table_prefix() + file.add.path, bytes));
  return std::optional<NewFile>(std::move(file));
}

std::string PartitionDirectory(const std::vector<std::string>& partition_columns, const PartitionValues& values) {
  std::string dir;
  for (const std::string& column : partition_columns) {
    std::optional<std::string> value = FindPartitionValue(values, column);
    dir += EscapePathSegment(column) + "=" +
           (value && !value->empty() ? EscapePathSegment(*value) : std::string(kNullPartition)) + "/";
  }
  return dir;
}

void DeleteBestEffort(ObjectStore* store, const std::string& table_prefix, const std::vector<AddFile>& files) {
  for (const AddFile& file : files) {
    store->Delete(table_prefix + file.path).IgnoreError();  // an orphan left behind is harmless
  }
}

bool CommitCertainlyFailed(const Status& status) {
  return status.code() == StatusCode::kFailedPrecondition || status.code() == StatusCode::kResourceExhausted ||
         status.code() == StatusCode::kInvalidArgument;
}

}  // namespace lagoa::lake::maintenance
