// RecordAppender: staging (payload copies, checked as they arrive) and the staging scan, which
// decodes on DuckDB's threads. The per-record checking and decoding live in
// duck/record_vectors.cc, the statistics in chunk_stats.cc. Every DuckDB handle is owned by State
// and released in its destructor, whatever failed in between.
#include "lake/load/record_appender.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <mutex>

#include "base/assert.h"
#include "duck/record_vectors.h"
#include "lake/load/chunk_stats_internal.h"

namespace lagoa::lake {

using schema::Field;
using schema::Type;
using schema::TypeId;

namespace {

// Records per scan call: DuckDB's vector size (STANDARD_VECTOR_SIZE, what duckdb_vector_size()
// returns in this build; Make() checks).
constexpr size_t kChunkRows = 2048;

// Corruption naming the record and, when known, the column.
Status RecordProblemStatus(int64_t offset, int32_t partition, uint32_t version, const duck::RecordProblem& problem,
                           const std::vector<Field>& latest) {
  std::string where = problem.column < 0
                          ? std::string("record")
                          : fmt::format("column \"{}\" ({})", latest[static_cast<size_t>(problem.column)].name,
                                        latest[static_cast<size_t>(problem.column)].type.ToSql());
  return Status::Corruption(fmt::format("record at offset {} of partition {} (schema version {}): {}: {}", offset,
                                        partition, version, where, problem.what));
}

// One staged record; `payload` points into Staged::payloads. Trivial, so a chunk of them is
// allocated without being initialised.
struct StagedRecord {
  int64_t offset;
  int64_t event_time_us;
  int64_t ingest_time_us;
  const std::byte* payload;
  size_t payload_bytes;
  uint32_t schema_version;
  int32_t partition;
};

// The staged records, grouped by 2048 (one scan call each), and what the scan needs to decode them.
// Written by the appender's thread between queries. During a query DuckDB's threads read
// everything here and add their chunks' statistics to `stats` under `stats_mutex`.
struct Staged {
  std::vector<schema::Schema> versions;                 // versions[i] is schema version i + 1
  std::vector<Field> columns;                           // the latest version's, then the metadata columns
  duck::LogicalTypeList types;                          // of `columns`
  std::vector<std::unique_ptr<StagedRecord[]>> chunks;  // kChunkRows records each; the last may be partial
  uint64_t rows = 0;
  duck::ByteArena payloads;
  std::optional<std::pair<Offset, Offset>> offset_range;

  std::mutex stats_mutex;
  std::unique_ptr<internal::ChunkStats> stats;  // REQUIRES during a query: stats_mutex held
  std::vector<bool> chunk_has_stats;            // per chunk; REQUIRES during a query: stats_mutex held

  const std::vector<Field>& latest() const { return versions.back().fields; }

  // Stages one checked record (its payload is copied).
  void Add(PartitionId partition, const LoadRecord& record) {
    const size_t index = rows % kChunkRows;
    if (index == 0) chunks.push_back(std::make_unique_for_overwrite<StagedRecord[]>(kChunkRows));
    std::byte* payload = payloads.Allocate(record.payload.size());
    if (!record.payload.empty()) std::memcpy(payload, record.payload.data(), record.payload.size());
    chunks.back()[index] = {record.offset.value(), record.event_time_us,          record.ingest_time_us, payload,
                            record.payload.size(), record.schema_version.value(), partition.value()};
    const Offset offset = record.offset;
    offset_range = offset_range
                       ? std::pair(std::min(offset_range->first, offset), std::max(offset_range->second, offset))
                       : std::pair(offset, offset);
    ++rows;
  }

  idx_t ChunkRows(size_t chunk) const {
    return static_cast<idx_t>(std::min<uint64_t>(kChunkRows, rows - chunk * kChunkRows));
  }

  // Decodes chunk `chunk` into rows [0, ChunkRows(chunk)) of `vectors` (one per column, fresh or
  // reset). Any thread. The records passed Append's check; what can still fail is DuckDB refusing
  // to grow a LIST vector (its size limit is per chunk).
  Status Decode(size_t chunk, std::span<const duckdb_vector> vectors) const {
    const std::vector<Field>& fields = latest();
    const size_t meta = fields.size();
    auto* offsets = static_cast<int64_t*>(duckdb_vector_get_data(vectors[meta]));
    auto* partitions = static_cast<int32_t*>(duckdb_vector_get_data(vectors[meta + 1]));
    auto* ingested = static_cast<duckdb_timestamp*>(duckdb_vector_get_data(vectors[meta + 2]));
    auto* event_times = static_cast<duckdb_timestamp*>(duckdb_vector_get_data(vectors[meta + 3]));
    const StagedRecord* records = chunks[chunk].get();
    const idx_t n = ChunkRows(chunk);
    for (idx_t row = 0; row < n; ++row) {
      const StagedRecord& r = records[row];
      const duck::RecordProblem problem = duck::DecodeRecordRow(std::span(r.payload, r.payload_bytes),
                                                                versions[r.schema_version - 1], fields, vectors, row);
      if (problem.what != nullptr) return RecordProblemStatus(r.offset, r.partition, r.schema_version, problem, fields);
      offsets[row] = r.offset;
      partitions[row] = r.partition;
      ingested[row] = {r.ingest_time_us};
      event_times[row] = {r.event_time_us};
    }
    return Status::Ok();
  }

  // Adds the statistics of decoded chunk `chunk` unless some thread already did; `scratch` is the
  // caller's ChunkStats of the same columns. Any thread.
  void AddStats(size_t chunk, std::span<const duckdb_vector> vectors, internal::ChunkStats& scratch) {
    {
      std::lock_guard lock(stats_mutex);
      if (chunk_has_stats[chunk]) return;
      chunk_has_stats[chunk] = true;
    }
    scratch.Reset();
    scratch.Add(vectors, ChunkRows(chunk));
    std::lock_guard lock(stats_mutex);
    stats->Merge(scratch);
  }

  // Before a query or a read of the statistics: one flag per chunk. The appender's thread.
  void SizeStatsFlags() {
    std::lock_guard lock(stats_mutex);
    chunk_has_stats.resize(chunks.size(), false);
  }

  // Before records are added to a partial last chunk whose statistics were taken (a query ran
  // between two Appends): those statistics no longer cover the chunk, and a merge cannot be taken
  // back, so every chunk's are gathered again. The appender's thread.
  void ForgetStatsOfPartialChunk() {
    std::lock_guard lock(stats_mutex);
    if (rows % kChunkRows == 0 || chunk_has_stats.size() < chunks.size() || !chunk_has_stats.back()) return;
    stats->Reset();
    chunk_has_stats.assign(chunk_has_stats.size(), false);
  }

  void Drop() {
    chunks.clear();
    rows = 0;
    payloads.Clear();  // after the chunks that point into it
    offset_range.reset();
    std::lock_guard lock(stats_mutex);
    stats->Reset();
    chunk_has_stats.clear();
  }
};

// One query's scan: chunks are handed out in order, one per call, to whichever thread asks.
struct ScanState {
  size_t chunk_count = 0;
  std::atomic<size_t> next_chunk{0};
};

// One DuckDB thread's part of a scan.
struct LocalScanState {
  explicit LocalScanState(const std::vector<Field>& columns) : stats(columns) {}
  internal::ChunkStats stats;
  std::vector<duckdb_vector> vectors;
};

void ScanBind(duckdb_bind_info info) {
  const auto* staged = static_cast<const Staged*>(duckdb_bind_get_extra_info(info));
  for (size_t c = 0; c < staged->types.size(); ++c) {
    duckdb_bind_add_result_column(info, staged->columns[c].name.c_str(), staged->types[c]);
  }
  duckdb_bind_set_cardinality(info, staged->rows, true);
}

void ScanInit(duckdb_init_info info) {
  auto* staged = static_cast<Staged*>(duckdb_init_get_extra_info(info));
  staged->SizeStatsFlags();
  auto* scan = new ScanState();
  scan->chunk_count = staged->chunks.size();
  duckdb_init_set_init_data(info, scan, [](void* p) { delete static_cast<ScanState*>(p); });
  duckdb_init_set_max_threads(info, std::max<idx_t>(1, scan->chunk_count));
}

void ScanLocalInit(duckdb_init_info info) {
  const auto* staged = static_cast<const Staged*>(duckdb_init_get_extra_info(info));
  duckdb_init_set_init_data(info, new LocalScanState(staged->columns),
                            [](void* p) { delete static_cast<LocalScanState*>(p); });
}

void ScanFunction(duckdb_function_info info, duckdb_data_chunk output) {
  auto* staged = static_cast<Staged*>(duckdb_function_get_extra_info(info));
  auto* scan = static_cast<ScanState*>(duckdb_function_get_init_data(info));
  auto* local = static_cast<LocalScanState*>(duckdb_function_get_local_init_data(info));
  const size_t chunk = scan->next_chunk.fetch_add(1, std::memory_order_relaxed);
  if (chunk >= scan->chunk_count) {
    duckdb_data_chunk_set_size(output, 0);
    return;
  }
  local->vectors.clear();
  for (idx_t c = 0; c < staged->types.size(); ++c) local->vectors.push_back(duckdb_data_chunk_get_vector(output, c));
  if (Status decoded = staged->Decode(chunk, local->vectors); !decoded.ok()) {
    duckdb_function_set_error(info, decoded.ToString().c_str());
    return;
  }
  duckdb_data_chunk_set_size(output, staged->ChunkRows(chunk));
  staged->AddStats(chunk, local->vectors, local->stats);
}

}  // namespace

struct RecordAppender::State {
  Staged staged;  // declared before `duckdb`: destroyed after the connection that scans it
  std::unique_ptr<duck::Connection> duckdb;

  Status RegisterScan() {
    duck::TableFunctionHandle function(duckdb_create_table_function());
    duckdb_table_function_set_name(function.get(), "lagoa_staged");
    duckdb_table_function_set_extra_info(function.get(), &staged, nullptr);
    duckdb_table_function_set_bind(function.get(), ScanBind);
    duckdb_table_function_set_init(function.get(), ScanInit);
    duckdb_table_function_set_local_init(function.get(), ScanLocalInit);
    duckdb_table_function_set_function(function.get(), ScanFunction);
    if (duckdb_register_table_function(duckdb->handle(), function.get()) != DuckDBSuccess)
      return Status::Internal("DuckDB: cannot register the staging scan lagoa_staged()");
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
  if (versions.empty())
    return Status::InvalidArgument("record appender: `versions` is empty; pass every schema version");
  for (size_t i = 0; i < versions.size(); ++i) {
    const schema::Schema& v = versions[i];
    if (v.version.value() != i + 1) {
      return Status::InvalidArgument(
          fmt::format("record appender: versions[{}] is schema version {}, expected {}", i, v.version.value(), i + 1));
    }
    if (i == 0) continue;
    const auto& previous = versions[i - 1].fields;
    if (v.fields.size() < previous.size() || !std::equal(previous.begin(), previous.end(), v.fields.begin())) {
      return Status::InvalidArgument(
          fmt::format("record appender: schema version {} does not start with the columns of version {}", i + 1, i));
    }
  }
  LAGOA_RETURN_IF_ERROR(schema::ValidateColumns(versions.back().fields));
  for (const Field& field : versions.back().fields) {
    for (std::string_view reserved : kLoadMetadataColumns) {
      if (schema::EqualsIgnoreCase(field.name, reserved)) {
        return Status::InvalidArgument(
            fmt::format("column \"{}\" collides with the lake loader's metadata column {}; rename the column",
                        field.name, reserved));
      }
    }
  }
  return Status::Ok();
}

RecordAppender::RecordAppender(std::unique_ptr<State> state) : state_(std::move(state)) {}
std::vector<Field> WithLoadMetadataColumns(std::vector<Field> columns) {
  columns.push_back({std::string(kLoadMetadataColumns[0]), Type::BigInt(), false});
  columns.push_back({std::string(kLoadMetadataColumns[1]), Type::Integer(), false});
  columns.push_back({std::string(kLoadMetadataColumns[2]), Type::TimestampTz(), false});
  columns.push_back({std::string(kLoadMetadataColumns[3]), Type::TimestampTz(), false});
  return columns;
}

RecordAppender::~RecordAppender() = default;

Result<std::unique_ptr<RecordAppender>> RecordAppender::Make(RecordAppenderOptions options) {
  LAGOA_RETURN_IF_ERROR(options.Validate());
  LAGOA_ASSERT(duckdb_vector_size() == kChunkRows);
  auto state = std::make_unique<State>();
  LAGOA_ASSIGN_OR_RETURN(state->duckdb, duck::Connection::Make(options.duckdb));  // sets TimeZone UTC
  Staged& staged = state->staged;
  staged.versions = std::move(options.versions);
  staged.columns = WithLoadMetadataColumns(staged.versions.back().fields);
  for (const Field& column : staged.columns) staged.types.push_back(duck::MakeLogicalType(column.type));
  staged.stats = std::make_unique<internal::ChunkStats>(staged.columns);
  LAGOA_RETURN_IF_ERROR(state->RegisterScan());
  return std::unique_ptr<RecordAppender>(new RecordAppender(std::move(state)));
}

Status RecordAppender::Append(PartitionId partition, std::span<const LoadRecord> records) {
  Staged& s = state_->staged;
  const std::vector<Field>& latest = s.latest();
  s.ForgetStatsOfPartialChunk();
  for (const LoadRecord& record : records) {
    const uint32_t version = record.schema_version.value();
    if (version == 0 || version > s.versions.size()) {
      return Status::Corruption(
          fmt::format("record at offset {} of partition {}: schema version {} is unknown (the stream has {})",
                      record.offset.value(), partition.value(), version, s.versions.size()));
    }
    const duck::RecordProblem problem = duck::CheckRecord(record.payload, s.versions[version - 1], latest);
    if (problem.what != nullptr) {
      return RecordProblemStatus(record.offset.value(), partition.value(), version, problem, latest);
    }
    s.Add(partition, record);
  }
  return Status::Ok();
}

Status RecordAppender::Clear() {
  state_->staged.Drop();
  return Status::Ok();
}

uint64_t RecordAppender::staged_rows() const { return state_->staged.rows; }

Result<std::string> RecordAppender::StagedStatsJson() {
  Staged& s = state_->staged;
  s.SizeStatsFlags();
  std::vector<size_t> missing;
  {
    std::lock_guard lock(s.stats_mutex);
    for (size_t c = 0; c < s.chunk_has_stats.size(); ++c) {
      if (!s.chunk_has_stats[c]) missing.push_back(c);
    }
  }
  if (!missing.empty()) {
    duck::DataChunkHandle chunk(duckdb_create_data_chunk(s.types.data(), s.types.size()));
    std::vector<duckdb_vector> vectors;
    for (idx_t c = 0; c < s.types.size(); ++c) vectors.push_back(duckdb_data_chunk_get_vector(chunk.get(), c));
    internal::ChunkStats scratch(s.columns);
    Status decoded;
    for (const size_t index : missing) {
      duckdb_data_chunk_reset(chunk.get());  // empty LIST children and all-valid masks again
      decoded = s.Decode(index, vectors);
      if (!decoded.ok()) break;
      s.AddStats(index, vectors, scratch);
    }
    LAGOA_RETURN_IF_ERROR(decoded);
  }
  std::lock_guard lock(s.stats_mutex);
  return s.stats->Json();
}

std::optional<std::pair<Offset, Offset>> RecordAppender::StagedOffsetRange() const {
  return state_->staged.offset_range;
}

const schema::Schema& RecordAppender::latest_schema() const { return state_->staged.versions.back(); }

Status RecordAppender::Execute(std::string_view sql) { return state_->duckdb->Execute(sql); }

Result<std::vector<duck::TextRow>> RecordAppender::QueryText(std::string_view sql, size_t rows_max) {
  return state_->duckdb->QueryText(sql, rows_max);
}

}  // namespace lagoa::lake
