// LakeLoading: keeps every stream's lake table up to date. One thread walks the streams of the
// registry every `interval_ms` and, for each partition, runs a lake::StreamLoader until the
// partition is caught up; each stream has one Delta table under `<lake dir>/<stream>/`
// (dead-letter streams and streams created with "lake": {"enabled": false} are not loaded).
// Every `maintenance_interval_ms` the same thread also maintains each stream table after loading
// it: compaction of small files (dataChange=false), deletion of orphan files older than an hour
// (files a crashed writer put but never committed), and VACUUM with `vacuum_retention`.
// A partition gets at most kPartitionPassBudget per pass, so one busy stream cannot starve the
// others; a pass that left a partition behind starts the next one at once.
// Writes to a stream table hold `stream_table_writes` and first check that the stream is still
// the one the pass started with (not dropped, not dropped and re-created), so a load never
// recreates a table that DELETE /v1/streams just removed. A partition's loader (and its two in-memory
// DuckDB databases) is kept from one pass to the next while each pass loads a file, and released by
// a pass that finds nothing to load (or meets an error), so memory grows with the partitions that
// are loading now, not with the number of streams. Keeping it matters beyond the cost of opening
// DuckDB: closing a DuckDB database purges every free page of DuckDB's allocator in the whole
// process (DatabaseInstance's destructor), which the SQL engine's threads then fault back in — at
// one loader pass a second that was most of the queries' slowest percent (bench/RESULTS.md). The log's RetentionGuard
// asks for the first offset each partition has not committed to the lake, so retention never
// deletes unloaded events.
//
// Lifecycle: Make() after the log and registry, Start() once, Stop() before the log stops.
// Threads: its own loader thread runs the loaders; the guard is called on the log's maintenance
// thread; loaders_mu_ guards the partitions' committed offsets and last errors; the kept loaders
// are the loader thread's alone.
#pragma once

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>

#include "base/status.h"
#include "ingest/stream_registry.h"
#include "lake/load/stream_loader.h"
#include "lake/maintenance/table_compaction.h"
#include "lake/store/open_object_store.h"
#include "log/log.h"

namespace lagoa::jobs {

struct LakeLoadingOptions {
  std::filesystem::path dir;                     // the lake's root (one table per stream)
  std::chrono::milliseconds interval_ms{60000};  // between passes over the streams
  std::filesystem::path scratch_dir;             // local files in flight; must exist
  // Held by every writer of a stream table in this process (loads, maintenance, the table API's
  // compaction and VACUUM) from putting a file to committing it; required, borrowed.
  std::mutex* stream_table_writes = nullptr;
  std::optional<std::chrono::milliseconds> maintenance_interval;  // none: no maintenance
  std::optional<std::chrono::hours> vacuum_retention;             // none: never vacuum
  lake::CompactOptions compact;
  int64_t file_bytes_max = 128ll << 20;  // the loader's bytes_max: record payload per file
  duck::DatabaseOptions duckdb;          // each loader's and maintenance pass's DuckDB (its memory_limit)
  // The loading thread's nice value (0-19), which the DuckDB threads it starts inherit. Above 0,
  // loads and maintenance give way to ingest and queries when the cores are busy (and fall behind
  // for good under a steady query load: README.md, "Threads"). 0: the server's priority.
  int nice = 0;
};

class LakeLoading {
 public:
  static Result<std::unique_ptr<LakeLoading>> Make(log::Log* log, ingest::StreamRegistry* registry,
                                                   LakeLoadingOptions options);
  ~LakeLoading();
  void Start();
  void Stop();
  // Forgets what it knew of a dropped stream's partitions. Any thread.
  void ForgetStream(const std::string& stream);

  static constexpr std::chrono::seconds kPartitionPassBudget{10};
  // Loaders kept between passes at most; past it a partition's loader lives for one pass.
  static constexpr size_t kKeptLoadersMax = 64;

 private:
  LakeLoading(log::Log* log, ingest::StreamRegistry* registry, LakeLoadingOptions options)
      : log_(log), registry_(registry), options_(std::move(options)) {}
  void Run();
  // Before any front door opens: every partition skips past the offsets its table holds and the
  // log lost (lake::SkipOffsetsTheLakeHolds); errors are logged, and the loader checks again.
  void SkipOffsetsTheLakeHolds();
  // Loads the partition until caught up or out of budget (then returns false); with
  // `clean_orphans`, once caught up, deletes the table's orphans.
  bool LoadPartition(const ingest::StreamHandle& handle, int32_t partition, bool clean_orphans);
  void Maintain(const ingest::StreamHandle& handle);
  // True when the stream gained columns after `handle` was read: a load that met records of the
  // newer schema is retried at once with it instead of failing until the next pass.
  bool SchemaChangedSince(const ingest::StreamHandle& handle) const;
  // The write lock, if the stream is still the incarnation `handle` names.
  std::optional<std::unique_lock<std::mutex>> LockIfCurrent(const ingest::StreamHandle& handle);
  void Report(const std::string& stream, int32_t partition, const Status& status);
  Offset KeepFrom(const std::string& stream, PartitionId partition);

  // The loader kept from the last pass (see above), if its stream is still the same incarnation
  // with the same schema; taken out of the map.
  std::unique_ptr<lake::StreamLoader> TakeKeptLoader(const ingest::StreamHandle& handle, int32_t partition);
  // Releases the kept loaders of partitions this pass did not visit.
  void ReleaseLoadersNotIn(const std::set<std::pair<std::string, int32_t>>& loaded);

  std::chrono::steady_clock::time_point last_maintenance_;  // loader thread only

  struct KeptLoader {
    std::shared_ptr<const schema::StreamDefinition> definition;  // what it was made for
    std::unique_ptr<lake::StreamLoader> loader;
  };
  std::map<std::pair<std::string, int32_t>, KeptLoader> kept_loaders_;  // loader thread only

  struct PartitionState {
    std::optional<Offset> committed_next;  // first offset not in the lake, once a loader has run
    std::string last_error;                // logged once until it changes
  };

  log::Log* const log_;
  ingest::StreamRegistry* const registry_;
  const LakeLoadingOptions options_;
  std::unique_ptr<lake::ObjectStore> store_;

  std::mutex loaders_mu_;
  std::map<std::pair<std::string, int32_t>, PartitionState> partitions_;  // guarded by loaders_mu_

  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;  // guarded by stop_mu_
  std::thread thread_;
};

}  // namespace lagoa::jobs
