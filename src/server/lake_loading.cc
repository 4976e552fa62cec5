#include "server/lake_loading.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "base/thread_name.h"

namespace lagoa::server {

Result<std::unique_ptr<LakeLoading>> LakeLoading::Make(log::Log* log, ingest::StreamRegistry* registry,
                                                       LakeLoadingOptions options) {
  if (options.interval_ms.count() <= 0) return Status::InvalidArgument("lake_load_interval_ms must be above 0");
  lake::LocalObjectStoreOptions store_options;
  store_options.root = options.dir;
  store_options.create_if_missing = true;
  std::unique_ptr<LakeLoading> loading(new LakeLoading(log, registry, std::move(options)));
  LAGOA_ASSIGN_OR_RETURN(loading->store_, lake::LocalObjectStore::Make(store_options));
  LakeLoading* raw = loading.get();
  log->SetRetentionGuard([raw](const std::string& stream, PartitionId partition) {
    return raw->KeepFrom(stream, partition);
  });
  return loading;
}

LakeLoading::~LakeLoading() { Stop(); }

void LakeLoading::Start() {
  thread_ = std::thread([this] {
    SetCurrentThreadName("lagoa-lake-load");
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
  std::lock_guard lock(loaders_mu_);
  auto it = partitions_.find({stream, partition.value()});
  // Not loaded yet (just started, or its table failed): keep everything.
  if (it == partitions_.end() || !it->second.committed_next) return Offset(0);
  return *it->second.committed_next;
}

void LakeLoading::Run() {
  std::unique_lock lock(stop_mu_);
  while (!stopping_) {
    stop_cv_.wait_for(lock, options_.interval_ms, [this] { return stopping_; });
    if (stopping_) break;
    lock.unlock();
    for (const ingest::StreamHandle& handle : registry_->List()) {
      if (ingest::StreamRegistry::IsDeadLetterName(handle.definition->name)) continue;
      for (int32_t p = 0; p < handle.log->partition_count(); ++p) LoadPartition(handle, p);
    }
    lock.lock();
  }
}

void LakeLoading::LoadPartition(const ingest::StreamHandle& handle, int32_t partition) {
  const std::string& stream = handle.definition->name;
  auto report = [&](const Status& status) {
    std::lock_guard lock(loaders_mu_);
    std::string& last = partitions_[{stream, partition}].last_error;
    if (last != status.message()) spdlog::error("lake: stream {} partition {}: {}", stream, partition, status.message());
    last = status.message();
  };
  lake::StreamLoaderOptions options;
  options.partition = handle.log->partition(PartitionId(partition));
  options.partition_id = PartitionId(partition);
  options.stream = *handle.definition;
  options.store = store_.get();
  options.table_prefix = stream + "/";
  options.duckdb.memory_limit = "256MB";
  auto made = lake::StreamLoader::Make(std::move(options));
  if (!made.ok()) return report(made.status());
  lake::StreamLoader& loader = **made;
  // Until caught up: each call writes at most one file.
  for (;;) {
    {
      std::lock_guard lock(stop_mu_);
      if (stopping_) break;
    }
    auto step = loader.LoadOnce(std::chrono::milliseconds(0));
    if (!step.ok()) {
      report(step.status());
      break;
    }
    {
      std::lock_guard lock(loaders_mu_);
      partitions_[{stream, partition}].last_error.clear();
    }
    if (step->files_written == 0) break;
    spdlog::info("lake: stream {} partition {}: loaded offsets {} to {} ({} rows) as version {}", stream, partition,
                 step->first_offset.value(), step->last_offset.value(), step->rows, step->version.value());
  }
  std::lock_guard lock(loaders_mu_);
  partitions_[{stream, partition}].committed_next = loader.CommittedOffset();
}

}  // namespace lagoa::server
