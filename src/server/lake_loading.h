// LakeLoading: keeps every stream's lake table up to date. One thread walks the streams of the
// registry every `interval_ms` and, for each partition, runs a lake::StreamLoader until the
// partition is caught up; each stream has one Delta table under `<lake dir>/<stream>/`
// (dead-letter streams are not loaded). A loader (and its in-memory DuckDB) lives only for one
// partition's pass, so memory does not grow with the number of streams. The log's RetentionGuard
// asks for the first offset each partition has not committed to the lake, so retention never
// deletes unloaded events.
//
// Lifecycle: Make() after the log and registry, Start() once, Stop() before the log stops.
// Threads: its own loader thread runs the loaders; the guard is called on the log's maintenance
// thread; loaders_mu_ guards the map of loaders and their committed offsets.
#pragma once

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include "base/status.h"
#include "ingest/stream_registry.h"
#include "lake/local_object_store.h"
#include "lake/stream_loader.h"
#include "log/log.h"

namespace lagoa::server {

struct LakeLoadingOptions {
  std::filesystem::path dir;                   // the lake's root (one table per stream)
  std::chrono::milliseconds interval_ms{60000};  // between passes over the streams
};

class LakeLoading {
 public:
  static Result<std::unique_ptr<LakeLoading>> Make(log::Log* log, ingest::StreamRegistry* registry,
                                                   LakeLoadingOptions options);
  ~LakeLoading();
  void Start();
  void Stop();

 private:
  LakeLoading(log::Log* log, ingest::StreamRegistry* registry, LakeLoadingOptions options)
      : log_(log), registry_(registry), options_(std::move(options)) {}
  void Run();
  void LoadPartition(const ingest::StreamHandle& handle, int32_t partition);
  Offset KeepFrom(const std::string& stream, PartitionId partition);

  struct PartitionState {
    std::optional<Offset> committed_next;  // first offset not in the lake, once a loader has run
    std::string last_error;               // logged once until it changes
  };

  log::Log* const log_;
  ingest::StreamRegistry* const registry_;
  const LakeLoadingOptions options_;
  std::unique_ptr<lake::LocalObjectStore> store_;

  std::mutex loaders_mu_;
  std::map<std::pair<std::string, int32_t>, PartitionState> partitions_;  // guarded by loaders_mu_

  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;  // guarded by stop_mu_
  std::thread thread_;
};

}  // namespace lagoa::server
