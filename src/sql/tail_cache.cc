#include "sql/tail_cache_internal.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <utility>

#include "base/metrics.h"
#include "duck/record_vectors.h"
#include "lake/load/record_appender.h"

namespace lagoa::sql::internal {
namespace {

using duck::CheckRecord;
using duck::DecodeRecordRow;
using duck::RecordProblem;

constexpr size_t kReadBytes = 1u << 20;

// The types of a block's columns: the latest schema's, then the metadata columns'.
class BlockTypes {
 public:
  explicit BlockTypes(const std::vector<schema::Field>& latest) {
    for (const schema::Field& field : lake::WithLoadMetadataColumns(latest)) {
      types_.push_back(duck::MakeLogicalType(field.type));
    }
  }
  duck::DataChunkHandle NewChunk() {
    return duck::DataChunkHandle(duckdb_create_data_chunk(types_.data(), types_.size()));
  }
  size_t count() const { return types_.size(); }

 private:
  duck::LogicalTypeList types_;
};

// Records read from the log, their payloads copied into one buffer, until a block is full.
struct StagedRecords {
  // Their payload spans point into the reader's buffer, which the next read reuses: only the
  // copies in `bytes` are read.
  std::vector<log::ReadRecord> records;
  std::vector<size_t> payload_starts;  // into `bytes`
  std::vector<std::byte> bytes;

  void Add(const log::ReadRecord& record) {
    payload_starts.push_back(bytes.size());
    bytes.insert(bytes.end(), record.payload.begin(), record.payload.end());
    records.push_back(record);
  }
  void Clear() {
    records.clear();
    payload_starts.clear();
    bytes.clear();
  }
};

// A block of `partial`'s rows (copied; may be null) followed by the staged records, decoded.
Result<std::shared_ptr<const TailBlock>> BuildBlock(const schema::StreamDefinition& definition, int32_t partition,
                                                    BlockTypes& types, const TailBlock* partial,
                                                    StagedRecords& staged) {
  std::shared_ptr<std::byte[]> bytes(new std::byte[std::max<size_t>(staged.bytes.size(), 1)]);
  std::memcpy(bytes.get(), staged.bytes.data(), staged.bytes.size());
  TailBlock::Payloads payloads;
  size_t payload_bytes = staged.bytes.size();
  idx_t first_row = 0;
  duck::DataChunkHandle owned_chunk = types.NewChunk();
  const duckdb_data_chunk chunk = owned_chunk.get();  // the block owns it from here on
  if (partial != nullptr) {
    // Copied, not decoded again: its strings keep pointing into its payloads, which the new
    // block shares.
    first_row = partial->rows();
    const duck::SelectionVectorHandle all_rows(duckdb_create_selection_vector(first_row));
    sel_t* indexes = duckdb_selection_vector_get_data_ptr(all_rows.get());
    for (idx_t row = 0; row < first_row; ++row) indexes[row] = static_cast<sel_t>(row);
    for (idx_t c = 0; c < types.count(); ++c) {
      duckdb_vector_copy_sel(duckdb_data_chunk_get_vector(partial->chunk(), c), duckdb_data_chunk_get_vector(chunk, c),
                             all_rows.get(), first_row, 0, 0);
    }
    payloads = partial->payloads();
    payload_bytes += partial->payload_bytes();
  }
  payloads.push_back(bytes);
  auto block = std::make_shared<const TailBlock>(std::move(owned_chunk), std::move(payloads), payload_bytes);
  const size_t latest_columns = definition.latest().fields.size();
  std::vector<duckdb_vector> vectors;
  for (idx_t c = 0; c < types.count(); ++c) vectors.push_back(duckdb_data_chunk_get_vector(chunk, c));
  const std::span<const duckdb_vector> all(vectors);
  for (size_t i = 0; i < staged.records.size(); ++i) {
    const log::ReadRecord& record = staged.records[i];
    const std::span<const std::byte> payload(bytes.get() + staged.payload_starts[i], record.payload.size());
    LAGOA_RETURN_IF_ERROR(DecodeTailRow(definition, partition, record, payload, all.first(latest_columns),
                                        all.subspan(latest_columns), first_row + i));
  }
  duckdb_data_chunk_set_size(chunk, first_row + staged.records.size());
  staged.Clear();
  return block;
}

}  // namespace

const int64_t* TailBlock::offsets() const {
  const idx_t offset_column = duckdb_data_chunk_get_column_count(chunk_.get()) - kTailMetadataColumns;
  return static_cast<const int64_t*>(duckdb_vector_get_data(duckdb_data_chunk_get_vector(chunk_.get(), offset_column)));
}

Status DecodeTailRow(const schema::StreamDefinition& definition, int32_t partition, const log::ReadRecord& record,
                     std::span<const std::byte> payload, std::span<const duckdb_vector> columns,
                     std::span<const duckdb_vector> metadata, idx_t row) {
  const std::vector<schema::Field>& latest = definition.latest().fields;
  const schema::Schema* schema = definition.version(record.schema_version);
  if (schema == nullptr) {
    return Status::Corruption(
        fmt::format("stream \"{}\": record at offset {} of partition {}: schema version {} is unknown", definition.name,
                    record.offset.value(), partition, record.schema_version.value()));
  }
  RecordProblem problem = CheckRecord(payload, *schema, latest);
  if (problem.what == nullptr) problem = DecodeRecordRow(payload, *schema, latest, columns, row);
  if (problem.what != nullptr) {
    std::string where = problem.column < 0
                            ? std::string("record")
                            : fmt::format("column \"{}\"", latest[static_cast<size_t>(problem.column)].name);
    return Status::Corruption(fmt::format("stream \"{}\": record at offset {} of partition {}: {}: {}", definition.name,
                                          record.offset.value(), partition, where, problem.what));
  }
  if (metadata[0] != nullptr) static_cast<int64_t*>(duckdb_vector_get_data(metadata[0]))[row] = record.offset.value();
  if (metadata[1] != nullptr) static_cast<int32_t*>(duckdb_vector_get_data(metadata[1]))[row] = partition;
  if (metadata[2] != nullptr)
    static_cast<duckdb_timestamp*>(duckdb_vector_get_data(metadata[2]))[row] = {record.ingest_time_us};
  if (metadata[3] != nullptr)
    static_cast<duckdb_timestamp*>(duckdb_vector_get_data(metadata[3]))[row] = {record.event_time_us};
  return Status::Ok();
}

Result<TailSlice> TailCache::Read(const ingest::StreamHandle& stream, int32_t partition, Offset from, Offset end) {
  TailSlice slice{.cached_from = end, .blocks = {}};
  if (budget_bytes_ == 0 || from >= end) return slice;
  const schema::StreamDefinition& definition = *stream.definition;
  std::shared_ptr<Entry> entry =
      FindOrAdd(Key(definition.name, partition, definition.created_us, definition.latest().version.value()));
  std::lock_guard lock(entry->mu);
  std::vector<std::shared_ptr<const TailBlock>>& blocks = entry->blocks;

  // Blocks wholly below `from` hold events the lake has loaded: no statement reads them again.
  auto loaded = std::find_if(blocks.begin(), blocks.end(), [&](const auto& block) { return block->last() >= from; });
  for (auto it = blocks.begin(); it != loaded; ++it) Account(*entry, -static_cast<std::ptrdiff_t>((*it)->bytes()));
  blocks.erase(blocks.begin(), loaded);

  if (blocks.empty() || entry->end < end) {
    // Decode from the cached end; a partial last block is extended with what followed it.
    Offset decode_from = from;
    std::shared_ptr<const TailBlock> partial;
    if (!blocks.empty()) {
      decode_from = entry->end;
      if (blocks.back()->rows() < duckdb_vector_size()) {
        partial = std::move(blocks.back());
        Account(*entry, -static_cast<std::ptrdiff_t>(partial->bytes()));
        blocks.pop_back();
      }
    }
    // More offsets than the budget can hold even without payloads: keep the newest only.
    const size_t columns = definition.latest().fields.size() + kTailMetadataColumns;
    const auto rows_max = static_cast<int64_t>(budget_bytes_ / (columns * TailBlock::kColumnBytes));
    if (end.value() - decode_from.value() > rows_max) {
      decode_from = Offset(end.value() - rows_max);
      partial.reset();
      Clear(*entry);
    }
    Status decoded = Decode(stream, partition, decode_from, end, std::move(partial), *entry);
    if (!decoded.ok()) {
      Clear(*entry);
      return decoded;
    }
    entry->end = end;
    if (blocks.empty()) return slice;
  }
  slice.cached_from = std::max(from, blocks.front()->first());
  for (const auto& block : blocks) {
    if (block->first() >= end) break;
    slice.blocks.push_back(block);
  }
  return slice;
}

Status TailCache::Decode(const ingest::StreamHandle& stream, int32_t partition, Offset from, Offset end,
                         std::shared_ptr<const TailBlock> partial, Entry& entry) {
  const schema::StreamDefinition& definition = *stream.definition;
  Result<std::unique_ptr<log::Reader>> reader = stream.log->partition(PartitionId(partition))->OpenReader(from);
  if (!reader.ok()) {
    return reader.status().WithContext(fmt::format("stream \"{}\" partition {}: reading the log from offset {}",
                                                   definition.name, partition, from.value()));
  }
  BlockTypes types(definition.latest().fields);
  StagedRecords staged;
  auto add_block = [&]() -> Status {
    LAGOA_ASSIGN_OR_RETURN(std::shared_ptr<const TailBlock> block,
                           BuildBlock(definition, partition, types, partial.get(), staged));
    partial.reset();
    entry.blocks.push_back(std::move(block));
    Account(entry, static_cast<std::ptrdiff_t>(entry.blocks.back()->bytes()));
    TrimToBudget(entry);
    return Status::Ok();
  };
  auto block_full = [&] {
    return (partial != nullptr ? partial->rows() : 0) + staged.records.size() == duckdb_vector_size();
  };
  while ((*reader)->position() < end) {
    LAGOA_ASSIGN_OR_RETURN(std::vector<log::ReadRecord> records, (*reader)->Next(kReadBytes));
    if (records.empty()) break;
    for (const log::ReadRecord& record : records) {
      if (record.offset < from || record.offset >= end) continue;
      staged.Add(record);  // copies the payload: the reader reuses its buffer
      if (block_full()) LAGOA_RETURN_IF_ERROR(add_block());
    }
  }
  if (!staged.records.empty() || partial != nullptr) LAGOA_RETURN_IF_ERROR(add_block());
  return Status::Ok();
}

void TailCache::Clear(Entry& entry) {
  for (const auto& block : entry.blocks) Account(entry, -static_cast<std::ptrdiff_t>(block->bytes()));
  entry.blocks.clear();
}

size_t TailCache::bytes() const {
  std::lock_guard lock(mu_);
  return bytes_;
}

std::shared_ptr<TailCache::Entry> TailCache::FindOrAdd(const Key& key) {
  std::lock_guard lock(mu_);
  // The keys start with name and partition, so one partition's entries are adjacent.
  const Key first(std::get<0>(key), std::get<1>(key), INT64_MIN, 0);
  for (auto it = entries_.lower_bound(first); it != entries_.end() && std::get<0>(it->first) == std::get<0>(key) &&
                                              std::get<1>(it->first) == std::get<1>(key);) {
    if (it->first == key) {
      ++it;
      continue;
    }
    bytes_ -= it->second->bytes;
    used_gauge_->Set(static_cast<int64_t>(bytes_));
    it->second->gone = true;
    it = entries_.erase(it);
  }
  std::shared_ptr<Entry>& entry = entries_[key];
  if (entry == nullptr) entry = std::make_shared<Entry>();
  entry->used = ++uses_;
  return entry;
}

size_t TailCache::Account(Entry& entry, std::ptrdiff_t delta) {
  std::lock_guard lock(mu_);
  entry.bytes = static_cast<size_t>(static_cast<std::ptrdiff_t>(entry.bytes) + delta);
  if (!entry.gone) bytes_ = static_cast<size_t>(static_cast<std::ptrdiff_t>(bytes_) + delta);
  used_gauge_->Set(static_cast<int64_t>(bytes_));
  return bytes_;
}

void TailCache::TrimToBudget(Entry& entry) {
  if (bytes() <= budget_bytes_) return;
  EvictOthers(&entry);
  std::vector<std::shared_ptr<const TailBlock>>& blocks = entry.blocks;
  size_t dropped = 0;
  // The newest block always stays: the statement reading it holds it anyway.
  while (dropped + 1 < blocks.size() && bytes() > budget_bytes_) {
    Account(entry, -static_cast<std::ptrdiff_t>(blocks[dropped]->bytes()));
    ++dropped;
  }
  blocks.erase(blocks.begin(), blocks.begin() + static_cast<std::ptrdiff_t>(dropped));
}

void TailCache::EvictOthers(const Entry* keep) {
  std::vector<std::pair<uint64_t, std::shared_ptr<Entry>>> others;
  {
    std::lock_guard lock(mu_);
    for (const auto& [key, entry] : entries_) {
      if (entry.get() != keep && entry->bytes > 0) others.emplace_back(entry->used, entry);
    }
  }
  std::sort(others.begin(), others.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& other : others) {
    if (bytes() <= budget_bytes_) return;
    std::unique_lock busy(other.second->mu, std::try_to_lock);  // never wait on a statement holding it
    if (busy.owns_lock()) Clear(*other.second);
  }
}

}  // namespace lagoa::sql::internal
