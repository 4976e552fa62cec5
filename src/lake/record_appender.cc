// RecordAppender: staging table, chunk and appender management. The per-record decoding lives in
// record_vector_decoder.cc. Every DuckDB handle is owned by State and released in its destructor,
// whatever failed in between.
#include "lake/record_appender.h"

#include <fmt/format.h>

#include "base/assert.h"
#include "lake/record_vector_decoder_internal.h"

namespace lagoa::lake {

using schema::Field;
using schema::Type;
using schema::TypeId;

struct RecordAppender::State {
  std::unique_ptr<DuckDbConnection> duckdb;
  duckdb_connection connection = nullptr;  // duckdb->raw()
  duckdb_appender appender = nullptr;
  std::vector<duckdb_logical_type> types;  // the staging table's columns
  duckdb_data_chunk chunk = nullptr;
  std::vector<duckdb_vector> vectors;      // of `chunk`, one per column
  idx_t chunk_rows = 0;
  idx_t chunk_capacity = 0;
  std::vector<schema::Schema> versions;
  uint64_t staged_rows = 0;

  ~State() {
    if (chunk != nullptr) duckdb_destroy_data_chunk(&chunk);
    // destroy flushes rows already handed to the appender; a failure here has nowhere to go.
    if (appender != nullptr) duckdb_appender_destroy(&appender);
    for (duckdb_logical_type& type : types) duckdb_destroy_logical_type(&type);
  }

  // A fresh chunk: DuckDB's own list child buffers and validity masks start empty again.
  void NewChunk() {
    if (chunk != nullptr) duckdb_destroy_data_chunk(&chunk);
    chunk = duckdb_create_data_chunk(types.data(), types.size());
    vectors.clear();
    for (idx_t c = 0; c < types.size(); ++c) vectors.push_back(duckdb_data_chunk_get_vector(chunk, c));
    chunk_rows = 0;
  }

  Status AppenderError(std::string_view what) const {
    duckdb_error_data error = duckdb_appender_error_data(appender);
    std::string message = error != nullptr ? duckdb_error_data_message(error) : "unknown error";
    duckdb_destroy_error_data(&error);
    return Status::Internal(fmt::format("DuckDB appender: {}: {}", what, message));
  }
};

namespace {

std::string CreateTableSql(const std::vector<Field>& fields) {
  std::string sql = fmt::format("CREATE TEMP TABLE {} (", kStagingTableName);
  for (const Field& field : fields) {
    sql += fmt::format("{} {}, ", schema::QuoteIdentifier(field.name), StagingTypeSql(field.type));
  }
  sql += "_offset BIGINT, _partition INTEGER, _ingested_at TIMESTAMPTZ, _event_time TIMESTAMPTZ)";
  return sql;
}

}  // namespace

std::string StagingTypeSql(const Type& type) {
  switch (type.id()) {
    case TypeId::kJson:
      return "VARCHAR";
    case TypeId::kList:
      return StagingTypeSql(type.element()) + "[]";
    case TypeId::kStruct: {
      std::string sql = "STRUCT(";
      const auto& fields = type.fields();
      for (size_t i = 0; i < fields.size(); ++i) {
        if (i > 0) sql += ", ";
        sql += schema::QuoteIdentifier(fields[i].name) + " " + StagingTypeSql(fields[i].type);
      }
      return sql + ")";
    }
    default:
      return type.ToSql();
  }
}

Status RecordAppenderOptions::Validate() const {
  LAGOA_RETURN_IF_ERROR(duckdb.Validate());
  if (versions.empty()) return Status::InvalidArgument("record appender: `versions` is empty; pass every schema version");
  for (size_t i = 0; i < versions.size(); ++i) {
    const schema::Schema& v = versions[i];
    if (v.version.value() != i + 1) {
      return Status::InvalidArgument(
          fmt::format("record appender: versions[{}] is schema version {}, expected {}", i, v.version.value(), i + 1));
    }
    if (i == 0) continue;
    const auto& previous = versions[i - 1].fields;
    if (v.fields.size() < previous.size() || !std::equal(previous.begin(), previous.end(), v.fields.begin())) {
      return Status::InvalidArgument(fmt::format(
          "record appender: schema version {} does not start with the columns of version {}", i + 1, i));
    }
  }
  LAGOA_RETURN_IF_ERROR(schema::ValidateColumns(versions.back().fields));
  for (const Field& field : versions.back().fields) {
    for (std::string_view reserved : kLoadMetadataColumns) {
      if (schema::EqualsIgnoreCase(field.name, reserved)) {
        return Status::InvalidArgument(fmt::format(
            "column \"{}\" collides with the lake loader's metadata column {}; rename the column", field.name, reserved));
      }
    }
  }
  return Status::Ok();
}

RecordAppender::RecordAppender(std::unique_ptr<State> state) : state_(std::move(state)) {}
RecordAppender::~RecordAppender() = default;

Result<std::unique_ptr<RecordAppender>> RecordAppender::Make(RecordAppenderOptions options) {
  LAGOA_RETURN_IF_ERROR(options.Validate());
  auto state = std::make_unique<State>();
  LAGOA_ASSIGN_OR_RETURN(state->duckdb, DuckDbConnection::Make(options.duckdb));  // sets TimeZone UTC
  state->connection = state->duckdb->raw();
  state->versions = std::move(options.versions);
  const std::vector<Field>& fields = state->versions.back().fields;
  LAGOA_RETURN_IF_ERROR(state->duckdb->Execute(CreateTableSql(fields)));
  const std::string table(kStagingTableName);
  if (duckdb_appender_create_ext(state->connection, "temp", "main", table.c_str(), &state->appender) !=
      DuckDBSuccess) {
    if (state->appender == nullptr) return Status::Internal("DuckDB: cannot create an appender on the staging table");
    return state->AppenderError("cannot create an appender on the staging table");
  }
  for (const Field& field : fields) state->types.push_back(internal::MakeLogicalType(field.type));
  state->types.push_back(duckdb_create_logical_type(DUCKDB_TYPE_BIGINT));        // _offset
  state->types.push_back(duckdb_create_logical_type(DUCKDB_TYPE_INTEGER));       // _partition
  state->types.push_back(duckdb_create_logical_type(DUCKDB_TYPE_TIMESTAMP_TZ));  // _ingested_at
  state->types.push_back(duckdb_create_logical_type(DUCKDB_TYPE_TIMESTAMP_TZ));  // _event_time
  state->chunk_capacity = duckdb_vector_size();
  state->NewChunk();
  return std::unique_ptr<RecordAppender>(new RecordAppender(std::move(state)));
}

Status RecordAppender::Append(PartitionId partition, std::span<const LoadRecord> records) {
  State& s = *state_;
  const std::vector<Field>& latest = s.versions.back().fields;
  const size_t meta = latest.size();
  for (const LoadRecord& record : records) {
    if (s.chunk_rows == s.chunk_capacity) LAGOA_RETURN_IF_ERROR(AppendChunk());
    const uint32_t version = record.schema_version.value();
    if (version == 0 || version > s.versions.size()) {
      LAGOA_RETURN_IF_ERROR(AppendChunk());
      return Status::Corruption(fmt::format("record at offset {} of partition {}: schema version {} is unknown (the stream has {})",
                                            record.offset.value(), partition.value(), version, s.versions.size()));
    }
    const schema::Schema& schema = s.versions[version - 1];
    const idx_t row = s.chunk_rows;
    internal::RecordProblem problem = internal::DecodeRecordRow(record.payload, schema, latest, s.vectors, row);
    if (problem.what != nullptr) {
      LAGOA_RETURN_IF_ERROR(AppendChunk());  // stages the rows before the bad one
      std::string where =
          problem.column < 0
              ? std::string("record")
              : fmt::format("column \"{}\" ({})", latest[static_cast<size_t>(problem.column)].name,
                            latest[static_cast<size_t>(problem.column)].type.ToSql());
      return Status::Corruption(fmt::format("record at offset {} of partition {} (schema version {}): {}: {}",
                                            record.offset.value(), partition.value(), version, where, problem.what));
    }
    static_cast<int64_t*>(duckdb_vector_get_data(s.vectors[meta]))[row] = record.offset.value();
    static_cast<int32_t*>(duckdb_vector_get_data(s.vectors[meta + 1]))[row] = partition.value();
    static_cast<duckdb_timestamp*>(duckdb_vector_get_data(s.vectors[meta + 2]))[row] = {record.ingest_time_us};
    static_cast<duckdb_timestamp*>(duckdb_vector_get_data(s.vectors[meta + 3]))[row] = {record.event_time_us};
    ++s.chunk_rows;
    ++s.staged_rows;
  }
  return Status::Ok();
}

Status RecordAppender::AppendChunk() {
  State& s = *state_;
  if (s.chunk_rows == 0) return Status::Ok();
  duckdb_data_chunk_set_size(s.chunk, s.chunk_rows);
  const bool appended = duckdb_append_data_chunk(s.appender, s.chunk) == DuckDBSuccess;
  s.NewChunk();
  if (!appended) return s.AppenderError("cannot append a chunk");
  return Status::Ok();
}

Status RecordAppender::Flush() {
  LAGOA_RETURN_IF_ERROR(AppendChunk());
  if (duckdb_appender_flush(state_->appender) != DuckDBSuccess) return state_->AppenderError("cannot flush");
  return Status::Ok();
}

Status RecordAppender::Clear() {
  state_->NewChunk();  // drops rows not yet handed to the appender
  LAGOA_RETURN_IF_ERROR(Flush());
  LAGOA_RETURN_IF_ERROR(Execute(fmt::format("DELETE FROM {}", kStagingTableName)));
  state_->staged_rows = 0;
  return Status::Ok();
}

uint64_t RecordAppender::staged_rows() const { return state_->staged_rows; }

const schema::Schema& RecordAppender::latest_schema() const { return state_->versions.back(); }

Status RecordAppender::Execute(std::string_view sql) { return state_->duckdb->Execute(sql); }

Result<std::vector<TextRow>> RecordAppender::QueryText(std::string_view sql, size_t rows_max) {
  return state_->duckdb->QueryText(sql, rows_max);
}

}  // namespace lagoa::lake
