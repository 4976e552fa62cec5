// RecordAppender: chunk management and the staging scan. The per-record decoding lives in
// record_vector_decoder.cc, the statistics in chunk_stats.cc. Every DuckDB handle is owned by State
// and released in its destructor, whatever failed in between.
#include "lake/record_appender.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>

#include "base/assert.h"
#include "lake/chunk_stats_internal.h"
#include "lake/record_vector_decoder_internal.h"

namespace lagoa::lake {

using schema::Field;
using schema::Type;
using schema::TypeId;

namespace {

// The staged rows: completed chunks in append order, and their columns. The staging scan
// `lagoa_staged()` (a table function) hands the chunks to DuckDB by reference, without copying;
// DuckDB may call it from several threads at once, which only read this.
struct StagedChunks {
  std::vector<duckdb_logical_type> types;
  std::vector<std::string> names;
  std::vector<duckdb_data_chunk> chunks;
  uint64_t rows = 0;

  ~StagedChunks() {
    Drop();
    for (duckdb_logical_type& type : types) duckdb_destroy_logical_type(&type);
  }
  void Drop() {
    for (duckdb_data_chunk& chunk : chunks) duckdb_destroy_data_chunk(&chunk);
    chunks.clear();
    rows = 0;
  }
};

struct ScanState {
  std::atomic<size_t> next_chunk{0};
};

void ScanBind(duckdb_bind_info info) {
  const auto* staged = static_cast<const StagedChunks*>(duckdb_bind_get_extra_info(info));
  for (size_t c = 0; c < staged->types.size(); ++c) {
    duckdb_bind_add_result_column(info, staged->names[c].c_str(), staged->types[c]);
  }
  duckdb_bind_set_cardinality(info, staged->rows, true);
}

void ScanInit(duckdb_init_info info) {
  const auto* staged = static_cast<const StagedChunks*>(duckdb_init_get_extra_info(info));
  duckdb_init_set_init_data(info, new ScanState(), [](void* p) { delete static_cast<ScanState*>(p); });
  duckdb_init_set_max_threads(info, std::max<idx_t>(1, staged->chunks.size()));
}

void ScanFunction(duckdb_function_info info, duckdb_data_chunk output) {
  const auto* staged = static_cast<const StagedChunks*>(duckdb_function_get_extra_info(info));
  auto* scan = static_cast<ScanState*>(duckdb_function_get_init_data(info));
  const size_t index = scan->next_chunk.fetch_add(1, std::memory_order_relaxed);
  if (index >= staged->chunks.size()) {
    duckdb_data_chunk_set_size(output, 0);
    return;
  }
  duckdb_data_chunk chunk = staged->chunks[index];
  for (idx_t c = 0; c < staged->types.size(); ++c) {
    duckdb_vector_reference_vector(duckdb_data_chunk_get_vector(output, c), duckdb_data_chunk_get_vector(chunk, c));
  }
  duckdb_data_chunk_set_size(output, duckdb_data_chunk_get_size(chunk));
}

}  // namespace

struct RecordAppender::State {
  StagedChunks staged;  // declared before `duckdb`: destroyed after the connection that scans it
  std::unique_ptr<DuckDbConnection> duckdb;
  duckdb_data_chunk chunk = nullptr;   // being filled
  std::vector<duckdb_vector> vectors;  // of `chunk`, one per column
  idx_t chunk_rows = 0;
  idx_t chunk_capacity = 0;
  std::unique_ptr<internal::ChunkStats> stats;  // of the staged chunks
  internal::StringArena strings;                // long strings of the staged chunks and `chunk`
  std::vector<schema::Schema> versions;

  ~State() {
    if (chunk != nullptr) duckdb_destroy_data_chunk(&chunk);
  }

  // A fresh chunk: DuckDB's own list child buffers and validity masks start empty again.
  void NewChunk() {
    if (chunk != nullptr) duckdb_destroy_data_chunk(&chunk);
    chunk = duckdb_create_data_chunk(staged.types.data(), staged.types.size());
    vectors.clear();
    for (idx_t c = 0; c < staged.types.size(); ++c) vectors.push_back(duckdb_data_chunk_get_vector(chunk, c));
    chunk_rows = 0;
  }

  // Stages the rows of the current chunk (their statistics too) and starts a new chunk.
  void CompleteChunk() {
    if (chunk_rows == 0) return;
    duckdb_data_chunk_set_size(chunk, chunk_rows);
    stats->Add(vectors, chunk_rows);
    staged.chunks.push_back(chunk);
    staged.rows += chunk_rows;
    chunk = nullptr;
    NewChunk();
  }

  Status RegisterScan() {
    duckdb_table_function function = duckdb_create_table_function();
    duckdb_table_function_set_name(function, "lagoa_staged");
    duckdb_table_function_set_extra_info(function, &staged, nullptr);
    duckdb_table_function_set_bind(function, ScanBind);
    duckdb_table_function_set_init(function, ScanInit);
    duckdb_table_function_set_function(function, ScanFunction);
    const bool registered = duckdb_register_table_function(duckdb->raw(), function) == DuckDBSuccess;
    duckdb_destroy_table_function(&function);
    if (!registered) return Status::Internal("DuckDB: cannot register the staging scan lagoa_staged()");
    return duckdb->Execute(fmt::format("CREATE TEMP VIEW {} AS SELECT * FROM lagoa_staged()", kStagingTableName));
  }
};

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
  state->versions = std::move(options.versions);
  std::vector<Field> columns = state->versions.back().fields;
  columns.push_back({"_offset", Type::BigInt(), false});
  columns.push_back({"_partition", Type::Integer(), false});
  columns.push_back({"_ingested_at", Type::TimestampTz(), false});
  columns.push_back({"_event_time", Type::TimestampTz(), false});
  for (const Field& column : columns) {
    state->staged.types.push_back(internal::MakeLogicalType(column.type));
    state->staged.names.push_back(column.name);
  }
  state->stats = std::make_unique<internal::ChunkStats>(std::move(columns));
  LAGOA_RETURN_IF_ERROR(state->RegisterScan());
  state->chunk_capacity = duckdb_vector_size();
  state->NewChunk();
  return std::unique_ptr<RecordAppender>(new RecordAppender(std::move(state)));
}

Status RecordAppender::Append(PartitionId partition, std::span<const LoadRecord> records) {
  State& s = *state_;
  const std::vector<Field>& latest = s.versions.back().fields;
  const size_t meta = latest.size();
  for (const LoadRecord& record : records) {
    if (s.chunk_rows == s.chunk_capacity) s.CompleteChunk();
    const uint32_t version = record.schema_version.value();
    if (version == 0 || version > s.versions.size()) {
      s.CompleteChunk();
      return Status::Corruption(fmt::format("record at offset {} of partition {}: schema version {} is unknown (the stream has {})",
                                            record.offset.value(), partition.value(), version, s.versions.size()));
    }
    const schema::Schema& schema = s.versions[version - 1];
    const idx_t row = s.chunk_rows;
    internal::RecordProblem problem = internal::DecodeRecordRow(record.payload, schema, latest, s.vectors, row, s.strings);
    if (problem.what != nullptr) {
      s.CompleteChunk();  // stages the rows before the bad one; the bad row's leftovers go with the chunk
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
  }
  return Status::Ok();
}

Status RecordAppender::Flush() {
  state_->CompleteChunk();
  return Status::Ok();
}

Status RecordAppender::Clear() {
  State& s = *state_;
  s.NewChunk();  // drops rows not yet staged
  s.staged.Drop();
  s.strings.Clear();  // after the chunks that point into it
  s.stats->Reset();
  return Status::Ok();
}

uint64_t RecordAppender::staged_rows() const { return state_->staged.rows + state_->chunk_rows; }

std::string RecordAppender::StagedStatsJson() const { return state_->stats->Json(); }

std::optional<std::pair<Offset, Offset>> RecordAppender::StagedOffsetRange() const {
  const size_t offset_column = state_->versions.back().fields.size();
  const std::optional<int64_t> min = state_->stats->MinInt64(offset_column);
  const std::optional<int64_t> max = state_->stats->MaxInt64(offset_column);
  if (!min || !max) return std::nullopt;
  return std::pair(Offset(*min), Offset(*max));
}

const schema::Schema& RecordAppender::latest_schema() const { return state_->versions.back(); }

Status RecordAppender::Execute(std::string_view sql) { return state_->duckdb->Execute(sql); }

Result<std::vector<TextRow>> RecordAppender::QueryText(std::string_view sql, size_t rows_max) {
  return state_->duckdb->QueryText(sql, rows_max);
}

}  // namespace lagoa::lake
