// TableApi: the /v1/tables routes of the HTTP API (src/serve/README.md has the table): list,
// describe, history, rows (NDJSON pages, by version or timestamp), compact and vacuum of lake
// tables, and attach/detach of read-only Delta tables written by other engines.
//
// A table is either the lake table of a stream (`<lake dir>/<stream>/`, for streams whose lake
// option is enabled) or an attached table (lake::AttachedTables). Attached tables are read-only:
// lagoa never writes, compacts or vacuums them.
//
// Lifecycle: Make() → Start() (starts the worker) → Stop() (answers queued requests 503, joins);
// must outlive the HttpServer that calls Handle(). Threads: Handle() runs on HTTP I/O threads, only
// parses the route and queues the work; one worker thread ("lagoa-tables") runs the operations —
// they read Delta logs and Parquet files through DuckDB and may take seconds — one at a time, each
// with its own in-memory DuckDB. The queue is bounded; a full queue answers 503.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "ingest/stream_registry.h"
#include "lake/attached_tables.h"
#include "lake/duckdb_connection.h"
#include "lake/local_object_store.h"
#include "lake/table_compaction.h"
#include "serve/http_server.h"

namespace lagoa::serve {

struct TableApiOptions {
  std::filesystem::path lake_dir;     // stream tables live in <lake_dir>/<stream>/
  std::filesystem::path scratch_dir;  // local files in flight (compaction, rewrites); must exist
  lake::DuckDbOptions duckdb;         // for each operation's DuckDB
  lake::CompactOptions compact;       // defaults of POST .../compact
  size_t queue_max = 16;              // operations waiting for the worker
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

 private:
  TableApi(ingest::StreamRegistry* registry, lake::AttachedTables* attached, TableApiOptions options)
      : registry_(registry), attached_(attached), options_(std::move(options)) {}
  // Queues `work`; answers 503 itself when the queue is full or the worker stopped.
  void Submit(std::function<HttpResponse()> work, Responder respond);
  void RunWorker();

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
