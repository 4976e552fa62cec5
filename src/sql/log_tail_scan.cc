#include "sql/log_tail_scan_internal.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <memory>
#include <string>
#include <vector>

#include "duck/record_vectors.h"
#include "ingest/stream_registry.h"
#include "lake/load/record_appender.h"
#include "sql/tail_cache_internal.h"

namespace lagoa::sql::internal {
namespace {

using duck::ByteArena;

std::string VarcharParameter(duckdb_bind_info info, idx_t index) {
  duck::ValueHandle value(duckdb_bind_get_parameter(info, index));
  char* text = duckdb_get_varchar(value.get());
  std::string result = text != nullptr ? text : "";
  duckdb_free(text);
  return result;
}

// What lagoa_tail() reads from: the engine's streams and their decoded tails.
struct TailScanContext {
  ingest::StreamRegistry* streams;
  TailCache* cache;  // may be null: every statement decodes its tail
  const TailPins* pins;
};

// The id of the connection a bind runs on.
idx_t ConnectionId(duckdb_bind_info info) {
  duck::ClientContextHandle context;
  duckdb_table_function_get_client_context(info, context.out());
  return duckdb_client_context_get_connection_id(context.get());
}

// What the bind decided; read-only afterwards (shared by the scan's threads).
struct TailBindData {
  ingest::StreamHandle stream;
  std::vector<int64_t> from;  // per partition; -1: the log's oldest offset
  TailCache* cache;
};

// One scan: the partitions in order, each read from its start up to the end fixed at init — the
// offsets the cache does not hold straight from the log, then the cache's blocks.
struct TailScanState {
  size_t partition = 0;
  bool started = false;                                  // the current partition's slice is known
  std::unique_ptr<log::Reader> reader;                   // while reading the log directly
  Offset direct_end;                                     // the direct read stops here; the cache has the rest
  Offset end;                                            // of the current partition: first offset not read
  std::vector<log::ReadRecord> pending;                  // read, not yet returned
  size_t next = 0;                                       // into `pending`
  std::vector<std::shared_ptr<const TailBlock>> blocks;  // the cache's, after direct_end
  size_t next_block = 0;
  std::vector<Offset> ends;       // per partition, fixed at init
  std::vector<idx_t> projection;  // per output column, the bind column it is (projection pushdown)
  // Copies of the payloads of the chunk being filled: the reader reuses its buffer while the chunk
  // fills, and decoded strings point into them until OwnStrings copies them into the chunk.
  ByteArena payloads;
};

constexpr size_t kReadBytes = 1u << 20;

Result<std::vector<int64_t>> ParseOffsets(const std::string& text, int32_t partitions) {
  std::vector<int64_t> offsets;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = std::min(text.find(',', start), text.size());
    int64_t value = 0;
    const char* first = text.data() + start;
    const char* last = text.data() + comma;
    auto [end, error] = std::from_chars(first, last, value);
    if (error != std::errc() || end != last || value < -1) {
      return Status::InvalidArgument(
          fmt::format("{}(): from_offsets \"{}\" is not a comma-separated list of offsets (-1 for the oldest)",
                      kLogTailFunction, text));
    }
    offsets.push_back(value);
    start = comma + 1;
  }
  if (offsets.size() != static_cast<size_t>(partitions)) {
    return Status::InvalidArgument(fmt::format("{}(): from_offsets \"{}\" has {} offsets; the stream has {} partitions",
                                               kLogTailFunction, text, offsets.size(), partitions));
  }
  return offsets;
}

void TailBind(duckdb_bind_info info) {
  const auto* context = static_cast<const TailScanContext*>(duckdb_bind_get_extra_info(info));
  const std::string name = VarcharParameter(info, 0);
  std::string from_text = VarcharParameter(info, 1);
  if (from_text == kPinnedOffsets) {
    std::optional<std::string> pinned = context->pins->Get(ConnectionId(info), name);
    if (!pinned) {
      const std::string error =
          fmt::format("{}(): no offsets are pinned for stream \"{}\" on this connection", kLogTailFunction, name);
      duckdb_bind_set_error(info, error.c_str());
      return;
    }
    from_text = std::move(*pinned);
  }
  duck::ValueHandle created(duckdb_bind_get_parameter(info, 2));
  const int64_t created_us = duckdb_get_int64(created.get());

  std::optional<ingest::StreamHandle> stream = context->streams->Find(name);
  if (!stream || stream->definition->created_us != created_us) {
    const std::string error =
        fmt::format("stream \"{}\" was dropped or re-created while the statement was planned; run it again", name);
    duckdb_bind_set_error(info, error.c_str());
    return;
  }
  Result<std::vector<int64_t>> from = ParseOffsets(from_text, stream->log->partition_count());
  if (!from.ok()) {
    duckdb_bind_set_error(info, from.status().message().c_str());
    return;
  }
  for (const schema::Field& field : lake::WithLoadMetadataColumns(stream->definition->latest().fields)) {
    duckdb_bind_add_result_column(info, field.name.c_str(), duck::MakeLogicalType(field.type).get());
  }

  uint64_t rows = 0;
  for (int32_t p = 0; p < stream->log->partition_count(); ++p) {
    const int64_t next = stream->log->partition(PartitionId(p))->next_offset().value();
    const int64_t start = std::max<int64_t>((*from)[static_cast<size_t>(p)], 0);
    if (next > start) rows += static_cast<uint64_t>(next - start);
  }
  duckdb_bind_set_cardinality(info, rows, false);
  auto* data = new TailBindData{std::move(*stream), std::move(*from), context->cache};
  duckdb_bind_set_bind_data(info, data, [](void* p) { delete static_cast<TailBindData*>(p); });
}

void TailInit(duckdb_init_info info) {
  const auto* bind = static_cast<const TailBindData*>(duckdb_init_get_bind_data(info));
  auto* state = new TailScanState();
  duckdb_init_set_init_data(info, state, [](void* p) { delete static_cast<TailScanState*>(p); });
  // The end of every partition is fixed now: an event acknowledged before the statement started
  // is durable, so it is below these ends (read-your-writes); later ones are not read.
  for (int32_t p = 0; p < bind->stream.log->partition_count(); ++p) {
    state->ends.push_back(bind->stream.log->partition(PartitionId(p))->next_offset());
  }
  for (idx_t i = 0; i < duckdb_init_get_column_count(info); ++i) {
    state->projection.push_back(duckdb_init_get_column_index(info, i));
  }
  duckdb_init_set_max_threads(info, 1);
}

// Starts state->partition: what the cache holds of it, and a reader for the offsets before that.
Status StartPartition(const TailBindData& bind, TailScanState* state) {
  const auto partition_id = static_cast<int32_t>(state->partition);
  log::Partition* partition = bind.stream.log->partition(PartitionId(partition_id));
  const int64_t requested = bind.from[state->partition];
  const Offset from = requested < 0 ? partition->stats().start_offset : Offset(requested);
  state->end = state->ends[state->partition];
  state->direct_end = state->end;
  state->blocks.clear();
  state->next_block = 0;
  state->pending.clear();
  state->next = 0;
  state->started = true;
  if (bind.cache != nullptr) {
    LAGOA_ASSIGN_OR_RETURN(TailSlice slice, bind.cache->Read(bind.stream, partition_id, from, state->end));
    state->direct_end = std::min(slice.cached_from, state->end);
    state->blocks = std::move(slice.blocks);
  }
  if (from >= state->direct_end) return Status::Ok();
  Result<std::unique_ptr<log::Reader>> reader = partition->OpenReader(from);
  if (!reader.ok()) {
    return reader.status().WithContext(fmt::format("stream \"{}\" partition {}: reading the log from offset {}",
                                                   bind.stream.definition->name, partition_id, from.value()));
  }
  state->reader = std::move(*reader);
  return Status::Ok();
}

// The next record the current partition reads from the log itself, or nullptr when that part is
// done.
Result<const log::ReadRecord*> NextDirectRecord(TailScanState* state) {
  while (state->reader != nullptr) {
    if (state->next < state->pending.size()) {
      const log::ReadRecord& record = state->pending[state->next];
      if (record.offset < state->direct_end) {
        ++state->next;
        return &record;
      }
    } else if (state->reader->position() < state->direct_end) {
      LAGOA_ASSIGN_OR_RETURN(state->pending, state->reader->Next(kReadBytes));
      state->next = 0;
      if (!state->pending.empty()) continue;
    }
    state->reader.reset();
    state->pending.clear();
  }
  return static_cast<const log::ReadRecord*>(nullptr);
}

// Decodes records read from the log into `output`; the rows written.
Result<idx_t> FillFromLog(const TailBindData& bind, TailScanState* state, duckdb_data_chunk output) {
  const schema::StreamDefinition& definition = *bind.stream.definition;
  const size_t latest_columns = definition.latest().fields.size();
  // Only the projected columns are written (the others are read past): the stream's columns,
  // then _offset, _partition, _ingested_at, _event_time; any other index is DuckDB's row id.
  std::vector<duckdb_vector> vectors(latest_columns + kTailMetadataColumns, nullptr);
  std::vector<duckdb_vector> row_ids;
  for (idx_t c = 0; c < duckdb_data_chunk_get_column_count(output); ++c) {
    const idx_t column = state->projection[c];
    duckdb_vector vector = duckdb_data_chunk_get_vector(output, c);
    if (column < vectors.size()) {
      vectors[column] = vector;
    } else {
      row_ids.push_back(vector);
    }
  }
  const std::span<const duckdb_vector> all(vectors);
  const idx_t capacity = duckdb_vector_size();
  state->payloads.Clear();  // empty unless the last call failed half-way
  idx_t row = 0;
  while (row < capacity) {
    LAGOA_ASSIGN_OR_RETURN(const log::ReadRecord* record, NextDirectRecord(state));
    if (record == nullptr) break;
    std::byte* copy = state->payloads.Allocate(record->payload.size());
    std::copy(record->payload.begin(), record->payload.end(), copy);
    const std::span<const std::byte> payload(copy, record->payload.size());
    LAGOA_RETURN_IF_ERROR(DecodeTailRow(definition, static_cast<int32_t>(state->partition), *record, payload,
                                        all.first(latest_columns), all.subspan(latest_columns), row));
    for (duckdb_vector row_id : row_ids)
      static_cast<int64_t*>(duckdb_vector_get_data(row_id))[row] = record->offset.value();
    ++row;
  }
  // The chunk's strings move into its own vectors: DuckDB keeps them as long as it keeps the
  // chunk (past the next call, at times), and a statement's memory stays one chunk of payloads
  // however long the uncached tail is.
  const std::vector<schema::Field>& fields = definition.latest().fields;
  for (size_t column = 0; column < latest_columns; ++column) {
    if (vectors[column] != nullptr) duck::OwnStrings(vectors[column], fields[column].type, row);
  }
  state->payloads.Clear();
  return row;
}

// Points `output` at the rows of `block` in [from, end), without copying; the rows written.
idx_t FillFromBlock(const TailBlock& block, const TailScanState& state, Offset from, Offset end,
                    duckdb_data_chunk output) {
  const int64_t* offsets = block.offsets();
  const idx_t rows = block.rows();
  const idx_t first = static_cast<idx_t>(std::lower_bound(offsets, offsets + rows, from.value()) - offsets);
  const idx_t last = static_cast<idx_t>(std::lower_bound(offsets, offsets + rows, end.value()) - offsets);
  if (first >= last) return 0;
  const idx_t block_columns = duckdb_data_chunk_get_column_count(block.chunk());
  const idx_t offset_column = block_columns - kTailMetadataColumns;
  duck::SelectionVectorHandle selection;
  if (first > 0 || last < rows) {
    selection.reset(duckdb_create_selection_vector(last - first));
    sel_t* indexes = duckdb_selection_vector_get_data_ptr(selection.get());
    for (idx_t i = first; i < last; ++i) indexes[i - first] = static_cast<sel_t>(i);
  }
  for (idx_t c = 0; c < duckdb_data_chunk_get_column_count(output); ++c) {
    const idx_t column = state.projection[c];  // past the metadata columns: the row id, which is _offset
    duckdb_vector source = duckdb_data_chunk_get_vector(block.chunk(), column < block_columns ? column : offset_column);
    duckdb_vector target = duckdb_data_chunk_get_vector(output, c);
    duckdb_vector_reference_vector(target, source);
    if (selection) duckdb_slice_vector(target, selection.get(), last - first);
  }
  return last - first;
}

Status FillChunk(const TailBindData& bind, TailScanState* state, duckdb_data_chunk output) {
  const auto partitions = static_cast<size_t>(bind.stream.log->partition_count());
  idx_t rows = 0;
  while (rows == 0 && state->partition < partitions) {
    if (!state->started) LAGOA_RETURN_IF_ERROR(StartPartition(bind, state));
    if (state->reader != nullptr) {
      LAGOA_ASSIGN_OR_RETURN(rows, FillFromLog(bind, state, output));
    } else if (state->next_block < state->blocks.size()) {
      const TailBlock& block = *state->blocks[state->next_block++];
      rows = FillFromBlock(block, *state, state->direct_end, state->end, output);
    } else {
      state->blocks.clear();
      state->started = false;
      ++state->partition;
    }
  }
  duckdb_data_chunk_set_size(output, rows);
  return Status::Ok();
}

void TailFunction(duckdb_function_info info, duckdb_data_chunk output) {
  const auto* bind = static_cast<const TailBindData*>(duckdb_function_get_bind_data(info));
  auto* state = static_cast<TailScanState*>(duckdb_function_get_init_data(info));
  Status status = FillChunk(*bind, state, output);
  if (!status.ok()) {
    duckdb_data_chunk_set_size(output, 0);
    duckdb_function_set_error(info, status.ToString().c_str());
  }
}

}  // namespace

void TailPins::Set(idx_t connection, const std::string& stream, std::string from_offsets) {
  std::lock_guard lock(mu_);
  pins_[{connection, stream}] = std::move(from_offsets);
}

std::optional<std::string> TailPins::Get(idx_t connection, const std::string& stream) const {
  std::lock_guard lock(mu_);
  auto it = pins_.find({connection, stream});
  if (it == pins_.end()) return std::nullopt;
  return it->second;
}

void TailPins::Forget(idx_t connection) {
  std::lock_guard lock(mu_);
  pins_.erase(pins_.lower_bound({connection, std::string()}), pins_.lower_bound({connection + 1, std::string()}));
}

Status RegisterLogTailScan(duckdb_connection connection, ingest::StreamRegistry* streams, TailCache* cache,
                           const TailPins* pins) {
  duck::TableFunctionHandle function(duckdb_create_table_function());
  duckdb_table_function_set_name(function.get(), kLogTailFunction);
  const duck::LogicalTypeHandle varchar(duckdb_create_logical_type(DUCKDB_TYPE_VARCHAR));
  const duck::LogicalTypeHandle bigint(duckdb_create_logical_type(DUCKDB_TYPE_BIGINT));
  duckdb_table_function_add_parameter(function.get(), varchar.get());
  duckdb_table_function_add_parameter(function.get(), varchar.get());
  duckdb_table_function_add_parameter(function.get(), bigint.get());
  duckdb_table_function_set_extra_info(function.get(), new TailScanContext{streams, cache, pins},
                                       [](void* p) { delete static_cast<TailScanContext*>(p); });
  duckdb_table_function_set_bind(function.get(), TailBind);
  duckdb_table_function_set_init(function.get(), TailInit);
  duckdb_table_function_set_function(function.get(), TailFunction);
  duckdb_table_function_supports_projection_pushdown(function.get(), true);
  if (duckdb_register_table_function(connection, function.get()) != DuckDBSuccess)
    return Status::Internal(fmt::format("DuckDB: cannot register the table function {}()", kLogTailFunction));
  return Status::Ok();
}

}  // namespace lagoa::sql::internal
