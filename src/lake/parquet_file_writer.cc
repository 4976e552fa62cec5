// ParquetFileWriter: COPY the staging table to Parquet, then one aggregate query for the Delta
// statistics. The statistics come from the staging table, not from reading the file back: the
// rows are the same and DuckDB's aggregates over them are exact.
#include "lake/parquet_file_writer.h"

#include <fmt/format.h>

#include <array>
#include <charconv>
#include <string_view>
#include <system_error>

#include "base/clock.h"
#include "base/json_writer.h"

namespace lagoa::lake {
namespace {

using schema::Field;
using schema::Type;
using schema::TypeId;

constexpr std::array<std::string_view, 3> kCompressions = {"zstd", "snappy", "uncompressed"};

// Delta's min/max are for data skipping on comparable scalars; like Spark, none for BOOLEAN, and
// none for JSON text (its ordering means nothing) or nested columns.
bool HasMinMax(const Type& type) {
  switch (type.id()) {
    case TypeId::kInteger:
    case TypeId::kBigInt:
    case TypeId::kDouble:
    case TypeId::kDecimal:
    case TypeId::kVarchar:
    case TypeId::kDate:
    case TypeId::kTimestamp:
    case TypeId::kTimestampTz:
      return true;
    default:
      return false;
  }
}

bool IsTimestamp(const Type& type) { return type.id() == TypeId::kTimestamp || type.id() == TypeId::kTimestampTz; }

std::string MinMaxSql(std::string_view aggregate, const Field& field) {
  const std::string column = schema::QuoteIdentifier(field.name);
  if (IsTimestamp(field.type)) return fmt::format("epoch_us({}({}))::VARCHAR", aggregate, column);
  return fmt::format("{}({})::VARCHAR", aggregate, column);
}

// Null counts in Delta's nested form: a STRUCT column's count is an object of its fields' counts.
void AddNullCountSql(const Type& type, const std::string& value_sql, std::vector<std::string>& exprs) {
  if (type.id() != TypeId::kStruct) {
    exprs.push_back(fmt::format("(count(*) - count({}))::VARCHAR", value_sql));
    return;
  }
  for (const Field& field : type.fields()) {
    AddNullCountSql(field.type, fmt::format("struct_extract({}, {})", value_sql, SqlStringLiteral(field.name)), exprs);
  }
}

void WriteNullCount(const Type& type, const std::vector<std::optional<std::string>>& row, size_t& cursor,
                    JsonWriter& json) {
  if (type.id() != TypeId::kStruct) {
    json.Raw(row[cursor++].value_or("0"));
    return;
  }
  json.BeginObject();
  for (const Field& field : type.fields()) {
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

Status WriteStatValue(const Type& type, const std::string& text, JsonWriter& json) {
  switch (type.id()) {
    case TypeId::kVarchar:
    case TypeId::kDate:
      json.String(text);
      return Status::Ok();
    case TypeId::kTimestamp:
    case TypeId::kTimestampTz: {
      LAGOA_ASSIGN_OR_RETURN(int64_t micros, ParseInt64(text));
      json.String(FormatRfc3339Micros(micros));
      return Status::Ok();
    }
    default:  // INTEGER, BIGINT, DOUBLE (always finite), DECIMAL: DuckDB's text is a JSON number
      json.Raw(text);
      return Status::Ok();
  }
}

// Computes numRecords, min/max offsets and the stats JSON in one query over the staging table.
Status ComputeStats(RecordAppender& staged, ParquetFileInfo& info) {
  std::vector<Field> fields = staged.latest_schema().fields;
  fields.push_back({"_offset", Type::BigInt(), true});
  fields.push_back({"_partition", Type::Integer(), true});
  fields.push_back({"_ingested_at", Type::TimestampTz(), true});
  fields.push_back({"_event_time", Type::TimestampTz(), true});
  std::vector<std::string> exprs = {"count(*)::VARCHAR", "min(_offset)::VARCHAR", "max(_offset)::VARCHAR"};
  std::vector<const Field*> min_max_fields;
  for (const Field& field : fields) {
    if (!HasMinMax(field.type)) continue;
    min_max_fields.push_back(&field);
    exprs.push_back(MinMaxSql("min", field));
    exprs.push_back(MinMaxSql("max", field));
  }
  const size_t null_counts_first = exprs.size();
  for (const Field& field : fields) AddNullCountSql(field.type, schema::QuoteIdentifier(field.name), exprs);
  std::string sql = "SELECT ";
  for (size_t i = 0; i < exprs.size(); ++i) sql += (i > 0 ? ", " : "") + exprs[i];
  sql += fmt::format(" FROM {}", kStagingTableName);
  LAGOA_ASSIGN_OR_RETURN(std::vector<TextRow> rows, staged.QueryText(sql));
  if (rows.size() != 1 || !rows[0][0] || !rows[0][1] || !rows[0][2]) {
    return Status::Internal("DuckDB: the statistics query returned no row");
  }
  const TextRow& row = rows[0];
  LAGOA_ASSIGN_OR_RETURN(int64_t records, ParseInt64(*row[0]));
  LAGOA_ASSIGN_OR_RETURN(int64_t min_offset, ParseInt64(*row[1]));
  LAGOA_ASSIGN_OR_RETURN(int64_t max_offset, ParseInt64(*row[2]));
  info.num_records = static_cast<uint64_t>(records);
  info.min_offset = Offset(min_offset);
  info.max_offset = Offset(max_offset);

  JsonWriter json;
  json.BeginObject().Key("numRecords").Int(records);
  for (int side = 0; side < 2; ++side) {
    json.Key(side == 0 ? "minValues" : "maxValues").BeginObject();
    for (size_t k = 0; k < min_max_fields.size(); ++k) {
      const std::optional<std::string>& value = row[3 + 2 * k + static_cast<size_t>(side)];
      if (!value) continue;  // every value NULL
      json.Key(min_max_fields[k]->name);
      LAGOA_RETURN_IF_ERROR(WriteStatValue(min_max_fields[k]->type, *value, json));
    }
    json.EndObject();
  }
  json.Key("nullCount").BeginObject();
  size_t cursor = null_counts_first;
  for (const Field& field : fields) {
    json.Key(field.name);
    WriteNullCount(field.type, row, cursor, json);
  }
  json.EndObject().EndObject();
  info.stats_json = json.Take();
  return Status::Ok();
}

}  // namespace

Status ParquetFileOptions::Validate() const {
  if (dir.empty()) return Status::InvalidArgument("parquet writer: `dir` is empty");
  if (row_group_rows < 2048) {
    return Status::InvalidArgument(fmt::format("parquet writer: `row_group_rows` must be >= 2048, got {}", row_group_rows));
  }
  for (std::string_view allowed : kCompressions) {
    if (compression == allowed) return Status::Ok();
  }
  return Status::InvalidArgument(
      fmt::format("parquet writer: `compression` is \"{}\"; allowed: zstd, snappy, uncompressed", compression));
}

ParquetFileWriter::ParquetFileWriter(ParquetFileOptions options)
    : options_(std::move(options)), random_(std::random_device{}()) {}

Result<std::unique_ptr<ParquetFileWriter>> ParquetFileWriter::Make(const ParquetFileOptions& options) {
  LAGOA_RETURN_IF_ERROR(options.Validate());
  std::error_code ec;
  if (!std::filesystem::is_directory(options.dir, ec)) {
    return Status::InvalidArgument(fmt::format("parquet writer: `dir` {} is not a directory", options.dir.string()));
  }
  return std::unique_ptr<ParquetFileWriter>(new ParquetFileWriter(options));
}

// A random (version 4) UUID: 122 random bits make a collision between any two files negligible.
std::string ParquetFileWriter::NewFileName() {
  const uint64_t high = (random_() & 0xFFFFFFFFFFFF0FFFull) | 0x0000000000004000ull;
  const uint64_t low = (random_() & 0x3FFFFFFFFFFFFFFFull) | 0x8000000000000000ull;
  return fmt::format("part-{:08x}-{:04x}-{:04x}-{:04x}-{:012x}.{}.parquet", high >> 32, (high >> 16) & 0xFFFF,
                     high & 0xFFFF, low >> 48, low & 0xFFFFFFFFFFFFull, options_.compression);
}

Result<ParquetFileInfo> ParquetFileWriter::Write(RecordAppender& staged) {
  LAGOA_RETURN_IF_ERROR(staged.Flush());
  if (staged.staged_rows() == 0) return Status::FailedPrecondition("parquet writer: no rows are staged");
  ParquetFileInfo info;
  info.file_name = NewFileName();
  info.path = options_.dir / info.file_name;
  std::error_code ec;
  if (std::filesystem::exists(info.path, ec) || ec) {
    return Status::AlreadyExists(fmt::format("parquet writer: {} exists; refusing to overwrite it", info.path.string()));
  }
  auto remove_file = [&] { std::filesystem::remove(info.path, ec); };
  Status copied = staged.Execute(
      fmt::format("COPY (SELECT * FROM {}) TO {} (FORMAT parquet, COMPRESSION {}, ROW_GROUP_SIZE {})", kStagingTableName,
                  SqlStringLiteral(info.path.string()), options_.compression, options_.row_group_rows));
  if (!copied.ok()) {
    remove_file();
    return copied.WithContext(fmt::format("writing {}", info.path.string()));
  }
  Status stats = ComputeStats(staged, info);
  if (!stats.ok()) {
    remove_file();
    return stats;
  }
  info.size_bytes = std::filesystem::file_size(info.path, ec);
  if (ec) {
    remove_file();
    return Status::FromErrno("stat " + info.path.string(), ec.value());
  }
  return info;
}

}  // namespace lagoa::lake
