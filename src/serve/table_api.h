// TableApi: the /v1/tables routes of the HTTP API (src/serve/README.md has the table): list,
// describe, history, rows (NDJSON pages, by version or timestamp), compact and vacuum of lake
// tables, and attach/detach of read-only Delta tables written by other engines.
//
// A table is the lake table of a stream (`<lake dir>/<stream>/`, for streams whose lake option is
// enabled), a lake table made by SQL (`<data>/tables/<name>/`), or an attached table
// (lake::AttachedTables). Attached tables are read-only:
// lagoa never writes, compacts or vacuums them.
//
// Lifecycle: Make() → Start() (starts the worker) → Stop() (answers queued requests 503, waits for
// the running one, joins); must outlive the HttpServer that calls Handle(). Threads: Handle() runs
// on HTTP I/O threads, only parses the route and queues the work; one worker thread
// ("lagoa-tables") runs the operations — they read Delta logs and Parquet files through DuckDB and
// may take seconds — one at a time, each with its own in-memory DuckDB. The queue is bounded; a
// full queue answers 503. Compaction and VACUUM of a stream table hold `stream_table_writes`, the
// lock the lake loader holds while it writes, so neither deletes or replaces a file the loader is
// about to commit (and the loader waits while they run).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "ingest/stream_registry.h"
#include "lake/attached_tables.h"
#include "lake/duckdb_connection.h"
#include "lake/local_object_store.h"
#include "lake/table_compaction.h"
#include "serve/http_server.h"
#include "serve/table_operations_internal.h"

namespace lagoa::serve {

struct TableApiOptions {
  std::filesystem::path lake_dir;             // stream tables live in <lake_dir>/<stream>/
  std::filesystem::path scratch_dir;          // local files in flight (compaction, rewrites); must exist
  lake::DuckDbOptions duckdb;                 // for each operation's DuckDB
  lake::CompactOptions compact;               // defaults of POST .../compact
  std::chrono::hours vacuum_retention{168};   // default of POST .../vacuum
  size_t queue_max = 16;                      // operations waiting for the worker
  std::mutex* stream_table_writes = nullptr;  // required; see above
  // POST /v1/tables attaches only tables inside these folders (SQL can read no other); empty: any.
  std::vector<std::filesystem::path> attach_dirs;
  // The SQL engine's lake tables (CREATE TABLE): listed, described, read, compacted and vacuumed
  // like stream tables; may be null.
  const lake::AttachedTables* lake_tables = nullptr;
  // Called (on the worker, holding stream_table_writes) after a dropped stream's table is removed.
  std::function<void(const std::string& stream)> on_stream_table_removed;
};

class TableApi {
 public:
  static Result<std::unique_ptr<TableApi>> Make(ingest::StreamRegistry* registry, lake::AttachedTables* attached,
                                                TableApiOptions options);
  ~TableApi();
  TableApi(const TableApi&) = delete;
  TableApi& operator=(const TableApi&) = delete;

  void Start();
  void Stop();

  // Requests whose path is /v1/tables or starts with /v1/tables/.
  static bool Owns(const HttpRequest& request);
  void Handle(HttpRequest&& request, Responder respond);

  // What holds `name` among the tables that are not streams' ("an attached table", "a table made
  // by SQL"), or std::nullopt: stream names must not collide with them. Any thread.
  std::optional<std::string> TableHolding(const std::string& name) const;
  // Deletes the lake table of a stream that was just dropped, on the worker (waiting for the
  // loader's current write), then answers `respond` with {"dropped": name}. Never refused for a
  // full queue: a table left behind would meet a re-created stream of the same name.
  void RemoveStreamTable(const std::string& name, Responder respond);

 private:
  TableApi(ingest::StreamRegistry* registry, lake::AttachedTables* attached, TableApiOptions options)
      : registry_(registry), attached_(attached), options_(std::move(options)) {}
  // Queues `work`; answers 503 itself when the queue is full (unless `always`) or the worker stopped.
  void Submit(std::function<HttpResponse()> work, Responder respond, bool always = false);
  void RunWorker();
  void HandleTable(const std::string& name, const std::string& action, const HttpRequest& req, Responder respond);
  HttpResponse ListTables();
  HttpResponse Attach(lake::AttachedTable table);
  HttpResponse Detach(const std::string& name);
  // On the worker: where the table is and whether lagoa may write it.
  Result<internal::TableRef> Resolve(const std::string& name);

  ingest::StreamRegistry* const registry_;
  lake::AttachedTables* const attached_;
  const TableApiOptions options_;
  std::unique_ptr<lake::LocalObjectStore> lake_store_;

  struct Job {
    std::function<HttpResponse()> work;
    Responder respond;
  };
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> queue_;  // guarded by mu_
  bool running_ = false;   // guarded by mu_
  std::thread worker_;
};

}  // namespace lagoa::serve
