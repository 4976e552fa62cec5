#include "jobs/lake_loading.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "base/assert.h"
#include "base/catch_all.h"
#include "base/thread_name.h"
#include "base/thread_priority.h"
#include "lake/delta/delta_log.h"
#include "lake/delta/snapshot.h"
#include "lake/maintenance/table_vacuum.h"

namespace lagoa::jobs {
namespace {

// Files a writer put but never committed are deleted after this long; no writer of lagoa takes
// near as long from putting a file to committing it.
constexpr std::chrono::hours kOrphanAgeMin{1};

void CleanOrphans(lake::StreamLoader& loader, const std::string& stream) {
  auto cleaned = loader.CleanOrphans(kOrphanAgeMin);
  if (!cleaned.ok()) {
    spdlog::error("lake: table {}: cleaning orphan files: {}", stream, cleaned.status().message());
  } else if (cleaned->files_deleted > 0) {
    spdlog::info("lake: table {}: deleted {} orphan files ({} bytes)", stream, cleaned->files_deleted,
                 cleaned->bytes_deleted);
  }
}

}  // namespace

Result<std::unique_ptr<LakeLoading>> LakeLoading::Make(log::Log* log, ingest::StreamRegistry* registry,
                                                       LakeLoadingOptions options) {
  if (options.interval_ms.count() <= 0) return Status::InvalidArgument("lake_load_interval_ms must be above 0");
  LAGOA_RETURN_IF_ERROR(options.compact.Validate());
  LAGOA_RETURN_IF_ERROR(options.duckdb.Validate());
  LAGOA_ASSERT(options.stream_table_writes != nullptr);
  std::unique_ptr<LakeLoading> loading(new LakeLoading(log, registry, std::move(options)));
  LAGOA_ASSIGN_OR_RETURN(loading->store_,
                         lake::OpenObjectStore(loading->options_.dir.string(), /*create_if_missing=*/true));
  loading->SkipOffsetsTheLakeHolds();
  LakeLoading* raw = loading.get();
  log->SetRetentionGuard(
      [raw](const std::string& stream, PartitionId partition) { return raw->KeepFrom(stream, partition); });
  return loading;
}

LakeLoading::~LakeLoading() { Stop(); }

void LakeLoading::SkipOffsetsTheLakeHolds() {
  auto duckdb = duck::Connection::Make(options_.duckdb);
  if (!duckdb.ok()) return spdlog::error("lake: checking the log against the lake: {}", duckdb.status().message());
  for (const ingest::StreamHandle& handle : registry_->List()) {
    const std::string& stream = handle.definition->name;
    if (ingest::StreamRegistry::IsDeadLetterName(stream) || !handle.definition->lake.enabled) continue;
    lake::DeltaLogReader reader(store_.get(), duckdb->get(), stream + "/");
    Result<lake::Snapshot> snapshot = reader.LoadSnapshot();
    if (!snapshot.ok()) {
      if (snapshot.status().code() != StatusCode::kNotFound) Report(stream, -1, snapshot.status());
      continue;
    }
    for (int32_t p = 0; p < handle.log->partition_count(); ++p) {
      const std::string app_id = lake::LoaderAppId(stream, PartitionId(p));
      const std::optional<int64_t> loaded = snapshot->app_version(app_id);
      if (!loaded) continue;
      Status skipped = lake::SkipOffsetsTheLakeHolds(handle.log->partition(PartitionId(p)), app_id, *loaded);
      if (!skipped.ok()) Report(stream, p, skipped);
    }
  }
}

void LakeLoading::Start() {
  last_maintenance_ = std::chrono::steady_clock::now();
  thread_ = std::thread([this] {
    SetCurrentThreadName("lagoa-lake-load");
    Status lowered = SetCurrentThreadNice(options_.nice);
    if (!lowered.ok()) spdlog::warn("lake: loading keeps the server's CPU priority: {}", lowered.message());
    Run();
  });
}

void LakeLoading::Stop() {
  {
    std::lock_guard lock(stop_mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  // Loaders are gone from here on: retention keeps everything rather than trusting stale offsets.
  log_->SetRetentionGuard([](const std::string&, PartitionId) { return Offset(0); });
}

Offset LakeLoading::KeepFrom(const std::string& stream, PartitionId partition) {
  if (ingest::StreamRegistry::IsDeadLetterName(stream)) return Offset(INT64_MAX);  // not loaded
  if (auto handle = registry_->Find(stream); handle && !handle->definition->lake.enabled) return Offset(INT64_MAX);
  std::lock_guard lock(loaders_mu_);
  auto it = partitions_.find({stream, partition.value()});
  // Not loaded yet (just started, or its table failed): keep everything.
  if (it == partitions_.end() || !it->second.committed_next) return Offset(0);
  return *it->second.committed_next;
}

void LakeLoading::ForgetStream(const std::string& stream) {
  std::lock_guard lock(loaders_mu_);
  std::erase_if(partitions_, [&](const auto& entry) { return entry.first.first == stream; });
}

std::optional<std::unique_lock<std::mutex>> LakeLoading::LockIfCurrent(const ingest::StreamHandle& handle) {
  std::unique_lock lock(*options_.stream_table_writes);
  auto current = registry_->Find(handle.definition->name);
  if (!current || current->definition->created_us != handle.definition->created_us) return std::nullopt;
  return lock;
}

void LakeLoading::Run() {
  std::unique_lock lock(stop_mu_);
  bool behind = false;  // the last pass left a partition not caught up
  while (!stopping_) {
    stop_cv_.wait_for(lock, behind ? std::chrono::milliseconds(0) : options_.interval_ms, [this] { return stopping_; });
    if (stopping_) break;
    lock.unlock();
    auto now = std::chrono::steady_clock::now();
    bool maintain = options_.maintenance_interval && now - last_maintenance_ >= *options_.maintenance_interval;
    if (maintain) last_maintenance_ = now;
    behind = false;
    std::set<std::pair<std::string, int32_t>> loaded;
    for (const ingest::StreamHandle& handle : registry_->List()) {
      const schema::StreamDefinition& def = *handle.definition;
      if (ingest::StreamRegistry::IsDeadLetterName(def.name) || !def.lake.enabled) continue;
      for (int32_t p = 0; p < handle.log->partition_count(); ++p) {
        bool caught_up = true;
        const Status pass = CatchAll(fmt::format("loading stream \"{}\" partition {}", def.name, p),
                                     [&] { caught_up = LoadPartition(handle, p, maintain && p == 0); });
        if (!pass.ok()) Report(def.name, p, pass);  // the next pass tries again
        if (!caught_up) behind = true;
        loaded.emplace(def.name, p);
      }
      if (maintain) {
        const Status maintained =
            CatchAll(fmt::format("maintaining stream \"{}\"", def.name), [&] { Maintain(handle); });
        if (!maintained.ok()) spdlog::error("lake: {}", maintained.message());
      }
    }
    ReleaseLoadersNotIn(loaded);  // dropped streams, streams no longer loaded
    lock.lock();
  }
  lock.unlock();
  kept_loaders_.clear();  // on this thread, before the log stops
}

void LakeLoading::Report(const std::string& stream, int32_t partition, const Status& status) {
  std::lock_guard lock(loaders_mu_);
  std::string& last = partitions_[{stream, partition}].last_error;
  if (last == status.message()) return;
  last = status.message();
  if (status.ok()) return;
  if (partition < 0) {
    spdlog::error("lake: table {}: {}", stream, status.message());
  } else {
    spdlog::error("lake: stream {} partition {}: {}", stream, partition, status.message());
  }
}

void LakeLoading::Maintain(const ingest::StreamHandle& handle) {
  const std::string& stream = handle.definition->name;
  auto write_lock = LockIfCurrent(handle);
  if (!write_lock) return;  // dropped meanwhile
  auto duckdb = duck::Connection::Make(options_.duckdb);
  if (!duckdb.ok()) return Report(stream, -1, duckdb.status());
  lake::DeltaWriterOptions writer;
  writer.table_prefix = stream + "/";
  writer.scratch_dir = options_.scratch_dir;
  lake::CompactOptions compact = options_.compact;
  compact.scratch_dir = options_.scratch_dir;
  auto compacted = lake::CompactTable(store_.get(), duckdb->get(), writer, compact);
  if (!compacted.ok() && compacted.status().code() != StatusCode::kNotFound) {
    return Report(stream, -1, compacted.status().WithContext("compaction"));
  }
  if (compacted.ok() && compacted->version) {
    spdlog::info("lake: table {}: compacted {} files into {} ({} rows) as version {}", stream, compacted->files_removed,
                 compacted->files_added, compacted->rows, compacted->version->value());
  }
  if (options_.vacuum_retention) {
    lake::VacuumOptions vacuum;
    vacuum.retention = *options_.vacuum_retention;
    auto vacuumed = lake::VacuumTable(store_.get(), duckdb->get(), writer.table_prefix, vacuum);
    if (!vacuumed.ok() && vacuumed.status().code() != StatusCode::kNotFound) {
      return Report(stream, -1, vacuumed.status().WithContext("VACUUM"));
    }
    if (vacuumed.ok() && vacuumed->files_deleted > 0) {
      spdlog::info("lake: table {}: VACUUM deleted {} files ({} bytes)", stream, vacuumed->files_deleted,
                   vacuumed->bytes_deleted);
    }
  }
  Report(stream, -1, Status::Ok());
}

bool LakeLoading::SchemaChangedSince(const ingest::StreamHandle& handle) const {
  std::optional<ingest::StreamHandle> now = registry_->Find(handle.definition->name);
  return now && now->definition->created_us == handle.definition->created_us &&
         now->definition->latest().version != handle.definition->latest().version;
}

std::unique_ptr<lake::StreamLoader> LakeLoading::TakeKeptLoader(const ingest::StreamHandle& handle, int32_t partition) {
  auto it = kept_loaders_.find({handle.definition->name, partition});
  if (it == kept_loaders_.end()) return nullptr;
  KeptLoader kept = std::move(it->second);
  kept_loaders_.erase(it);
  const schema::StreamDefinition& then = *kept.definition;
  const schema::StreamDefinition& now = *handle.definition;
  // Another incarnation, schema or partition column needs a loader made for it.
  if (then.created_us != now.created_us || then.latest().version != now.latest().version ||
      then.lake.date_partition_source != now.lake.date_partition_source) {
    return nullptr;
  }
  return std::move(kept.loader);
}

void LakeLoading::ReleaseLoadersNotIn(const std::set<std::pair<std::string, int32_t>>& loaded) {
  std::erase_if(kept_loaders_, [&](const auto& entry) { return loaded.count(entry.first) == 0; });
}

bool LakeLoading::LoadPartition(const ingest::StreamHandle& handle, int32_t partition, bool clean_orphans) {
  const std::string& stream = handle.definition->name;
  auto report = [&](const Status& status) { Report(stream, partition, status); };
  std::unique_ptr<lake::StreamLoader> loader = TakeKeptLoader(handle, partition);
  if (loader == nullptr) {
    lake::StreamLoaderOptions options;
    options.partition = handle.log->partition(PartitionId(partition));
    options.partition_id = PartitionId(partition);
    options.stream = *handle.definition;
    options.date_partition_source = handle.definition->lake.date_partition_source;
    options.store = store_.get();
    options.table_prefix = stream + "/";
    options.duckdb = options_.duckdb;
    options.scratch_dir = options_.scratch_dir;
    // Also the bound of the staged rows, which live outside DuckDB's memory_limit.
    options.bytes_max = options_.file_bytes_max;
    auto write_lock = LockIfCurrent(handle);
    if (!write_lock) return true;  // dropped meanwhile: nothing to load
    auto made = lake::StreamLoader::Make(std::move(options));
    if (!made.ok()) {
      report(made.status());
      return true;  // retried next pass, not at once
    }
    loader = std::move(made).value();
  }
  // While files fill up (a backlog of more than a file) and within the budget: each call writes at
  // most one file. A file cut by the log's end leaves what arrived meanwhile to the next pass, so a
  // pass never trails tiny files behind its big one.
  const auto deadline = std::chrono::steady_clock::now() + kPartitionPassBudget;
  bool caught_up = false;
  bool keep = false;  // the loader wrote a file and met no error: more is likely to come
  while (std::chrono::steady_clock::now() < deadline) {
    {
      std::lock_guard lock(stop_mu_);
      if (stopping_) break;
    }
    auto write_lock = LockIfCurrent(handle);
    if (!write_lock) return true;
    auto step = loader->LoadOnce(std::chrono::milliseconds(0));
    if (!step.ok()) {
      keep = false;
      if (SchemaChangedSince(handle)) break;  // records of a newer schema: the next pass, at once
      report(step.status());
      caught_up = true;  // retried next pass, not at once
      break;
    }
    {
      std::lock_guard lock(loaders_mu_);
      partitions_[{stream, partition}].last_error.clear();
    }
    if (step->files_written > 0) {
      keep = true;
      spdlog::info("lake: stream {} partition {}: loaded offsets {} to {} ({} rows) as version {}", stream, partition,
                   step->first_offset.value(), step->last_offset.value(), step->rows, step->version.value());
    }
    if (step->files_written == 0 || !step->full) {
      if (clean_orphans) CleanOrphans(*loader, stream);
      caught_up = true;
      break;
    }
  }
  {
    std::lock_guard lock(loaders_mu_);
    partitions_[{stream, partition}].committed_next = loader->CommittedOffset();
  }
  if (keep && kept_loaders_.size() < kKeptLoadersMax) {
    kept_loaders_[{stream, partition}] = KeptLoader{handle.definition, std::move(loader)};
  }
  return caught_up;
}

}  // namespace lagoa::jobs
