// SqlEngine: the DuckDB database, its settings, lagoa's table functions, and the watchdog thread.
#include "sql/sql_engine.h"

#include <fmt/format.h>

#include <filesystem>
#include <map>

#include "base/metrics.h"
#include "catalog/catalog.h"
#include "catalog/sources.h"
#include "duck/connection.h"
#include "duck/database.h"
#include "schema/schema.h"
#include "sql/catalog_source_internal.h"
#include "sql/log_tail_scan_internal.h"
#include "sql/session_internal.h"

namespace lagoa::sql {
namespace {

using internal::EngineShared;
using internal::SessionImpl;
using internal::SqlObject;
using internal::SqlObjects;

void RunWatchdog(EngineShared* shared) {
  std::unique_lock lock(shared->mu);
  while (!shared->stopping) {
    auto next = std::chrono::steady_clock::time_point::max();
    const auto now = std::chrono::steady_clock::now();
    for (SessionImpl* session : shared->running) {
      if (session->deadline() <= now) {
        session->InterruptForTimeout();
      } else {
        next = std::min(next, session->deadline());
      }
    }
    if (next == std::chrono::steady_clock::time_point::max()) {
      shared->wake.wait(lock);
    } else {
      shared->wake.wait_until(lock, next);
    }
  }
}

// Runs every statement of `sql` in `session`, reading what they return.
Status RunIn(Session& session, const std::string& sql) {
  LAGOA_ASSIGN_OR_RETURN(size_t count, session.Parse(sql));
  for (size_t i = 0; i < count; ++i) {
    LAGOA_ASSIGN_OR_RETURN(std::unique_ptr<Statement> statement, session.PrepareParsed(i));
    LAGOA_ASSIGN_OR_RETURN(std::unique_ptr<Cursor> cursor, statement->Execute({}));
    for (;;) {
      LAGOA_ASSIGN_OR_RETURN(std::unique_ptr<ResultChunk> chunk, cursor->Next());
      if (chunk == nullptr) break;
    }
  }
  return Status::Ok();
}

// Makes the kept schemas, views and macros again, in the order they were made, through a session
// (so views over streams and tables bind). A definition that fails waits for the others (it may
// depend on one made later by a CREATE OR REPLACE) and is tried again until no pass makes one
// more; what still fails is marked and reported.
std::vector<std::string> Replay(const std::shared_ptr<EngineShared>& shared, SqlObjects& objects) {
  const std::vector<SqlObject> kept = objects.List();
  std::vector<size_t> waiting(kept.size());
  for (size_t i = 0; i < kept.size(); ++i) waiting[i] = i;
  std::map<size_t, Status> failures;
  {
    std::lock_guard lock(shared->mu);
    ++shared->open_sessions;  // given back by the session's destructor
  }
  Result<std::unique_ptr<SessionImpl>> session = SessionImpl::Make(shared);
  if (!session.ok()) {
    std::lock_guard lock(shared->mu);
    --shared->open_sessions;
    return {fmt::format("no session to make the kept views and macros again: {}", session.status().message())};
  }
  for (bool progress = true; progress && !waiting.empty();) {
    progress = false;
    std::vector<size_t> still;
    for (size_t index : waiting) {
      // A macro's CREATE may leave its schema to the session's, as it was when it was made.
      const bool in_schema = kept[index].kind == "macro" && !schema::EqualsIgnoreCase(kept[index].schema, "main");
      Status made =
          kept[index].sql.empty() ? Status::FailedPrecondition("its definition was never seen") : Status::Ok();
      if (made.ok() && in_schema) made = RunIn(**session, "USE " + schema::QuoteIdentifier(kept[index].schema));
      if (made.ok()) made = RunIn(**session, kept[index].sql);
      if (in_schema) RunIn(**session, "USE main").IgnoreError();  // the next definition's schema
      if (made.ok()) {
        progress = true;
        failures.erase(index);
      } else {
        failures[index] = made;
        still.push_back(index);
      }
    }
    waiting = std::move(still);
  }
  std::vector<std::string> errors;
  errors.reserve(failures.size());
  for (const auto& [index, status] : failures) {
    errors.push_back(fmt::format("the {} {}.{} kept from before could not be made again: {}", kept[index].kind,
                                 kept[index].schema, kept[index].name, status.message()));
  }
  objects.MarkUnrestored(waiting);
  return errors;
}

// The engine's part of the catalog: its lake tables and its kept objects (and, when the node gave
// no catalog, a catalog of its own over the streams and attached tables too).
struct CatalogParts {
  std::unique_ptr<catalog::Catalog> own;
  std::vector<std::unique_ptr<catalog::Source>> sources;
};

Result<CatalogParts> JoinCatalog(const std::shared_ptr<EngineShared>& shared, ingest::StreamRegistry* streams,
                                 const lake::AttachedTables* attached) {
  CatalogParts parts;
  catalog::Catalog* target = shared->options.catalog;
  if (target == nullptr) {
    LAGOA_ASSIGN_OR_RETURN(parts.own, catalog::Catalog::Open(""));
    target = parts.own.get();
    if (streams != nullptr)
      parts.sources.push_back(std::make_unique<catalog::StreamsSource>(streams, shared->options.lake_dir));
    if (attached != nullptr) parts.sources.push_back(std::make_unique<catalog::TablesSource>(attached));
  }
  LAGOA_ASSIGN_OR_RETURN(std::unique_ptr<internal::SqlObjectsSource> objects, internal::SqlObjectsSource::Make(shared));
  parts.sources.push_back(std::move(objects));
  for (const auto& source : parts.sources) target->AddSource(source.get());
  shared->object_catalog = target;
  return parts;
}

// What DuckDB's buffer manager holds, as the SQL share of the memory budget on /metrics: read on a
// connection of its own when /metrics is rendered (MetricsRegistry refreshers run one at a time).
class MemoryGauge {
 public:
  explicit MemoryGauge(duck::ConnectionHandle connection) : connection_(std::move(connection)) {
    refresher_id_ = MetricsRegistry::Global().AddRefresher([this] {
      if (Result<uint64_t> used = duck::MemoryUsedBytes(connection_.get()); used.ok()) {
        gauge_->Set(static_cast<int64_t>(*used));
      }
    });
  }
  MemoryGauge(const MemoryGauge&) = delete;
  MemoryGauge& operator=(const MemoryGauge&) = delete;
  ~MemoryGauge() { MetricsRegistry::Global().RemoveRefresher(refresher_id_); }

 private:
  duck::ConnectionHandle connection_;
  Gauge* gauge_ = MetricsRegistry::Global().GetGauge("lagoa_memory_used_bytes",
                                                     "Memory a share of the budget holds now.", {{"share", "sql"}});
  uint64_t refresher_id_ = 0;
};

class SqlEngineImpl final : public SqlEngine {
 public:
  SqlEngineImpl(std::shared_ptr<EngineShared> shared, std::vector<std::string> restore_errors, CatalogParts catalog,
                duck::ConnectionHandle memory_connection)
      : shared_(std::move(shared)),
        restore_errors_(std::move(restore_errors)),
        catalog_(std::move(catalog)),
        memory_gauge_(std::make_unique<MemoryGauge>(std::move(memory_connection))) {}
  ~SqlEngineImpl() override {
    memory_gauge_.reset();
    {
      std::lock_guard lock(shared_->mu);
      shared_->stopping = true;
    }
    shared_->wake.notify_all();
    if (shared_->watchdog.joinable()) shared_->watchdog.join();
  }

  const lake::AttachedTables* lake_tables() const override { return shared_->lake_tables.get(); }
  catalog::Catalog* catalog() const override { return shared_->object_catalog; }
  const std::vector<std::string>& restore_errors() const override { return restore_errors_; }

  void Stop() override {
    std::lock_guard lock(shared_->mu);
    shared_->statements_stopped = true;
    for (SessionImpl* session : shared_->running) session->InterruptForStop();
  }

  Result<std::unique_ptr<Session>> OpenSession() override {
    {
      std::lock_guard lock(shared_->mu);
      if (shared_->open_sessions >= shared_->options.sessions_max) {
        return Status::ResourceExhausted(
            fmt::format("{} SQL sessions are open, the most `sql_sessions_max` allows; close one or raise the limit",
                        shared_->open_sessions));
      }
      ++shared_->open_sessions;
    }
    Result<std::unique_ptr<SessionImpl>> session = SessionImpl::Make(shared_);
    if (!session.ok()) {
      std::lock_guard lock(shared_->mu);
      --shared_->open_sessions;
      return session.status();
    }
    return std::unique_ptr<Session>(std::move(*session));
  }

 private:
  std::shared_ptr<EngineShared> shared_;
  std::vector<std::string> restore_errors_;
  CatalogParts catalog_;  // destroyed before shared_: its sources read the engine
  std::unique_ptr<MemoryGauge> memory_gauge_;
};

}  // namespace

namespace internal {

EngineShared::~EngineShared() {
  database.reset();  // before the tail cache and pins its scans use
}

}  // namespace internal

namespace {

// Statements read and write files only in lagoa's folders (statement_policy_internal.h keeps
// clients' writes in files_dir): temp_dir is where writes to lake tables stage their Parquet files
// (DuckDB's spill folder, below it, DuckDB allows itself). DuckDB wants the folders to exist and
// to end with '/'.
std::string FileAccessSettings(const SqlEngineOptions& options) {
  std::vector<std::filesystem::path> dirs = {options.files_dir, options.lake_dir, options.tables_dir, options.temp_dir};
  dirs.insert(dirs.end(), options.read_dirs.begin(), options.read_dirs.end());
  std::string list;
  for (const std::filesystem::path& dir : dirs) {
    if (dir.empty()) continue;
    std::string text = std::filesystem::absolute(dir).lexically_normal().string();
    if (!text.ends_with('/')) text += '/';
    list += (list.empty() ? "" : ", ") + duck::SqlStringLiteral(text);
  }
  return fmt::format("SET GLOBAL allowed_directories = [{}]; SET GLOBAL enable_external_access = false", list);
}

// The folders the engine reads and writes, made when missing.
Status MakeDirectories(const SqlEngineOptions& options) {
  for (const std::filesystem::path& dir : {options.files_dir, options.lake_dir, options.tables_dir, options.temp_dir}) {
    if (dir.empty()) continue;
    std::error_code made;
    std::filesystem::create_directories(dir, made);
    if (made) return Status::IoError(fmt::format("creating the directory {}: {}", dir.string(), made.message()));
  }
  return Status::Ok();
}

}  // namespace

Status SqlEngineOptions::Validate() const {
  if (threads < 1) return Status::InvalidArgument(fmt::format("sql `threads` must be >= 1, got {}", threads));
  if (memory_limit.empty()) return Status::InvalidArgument("sql `memory_limit` is empty; e.g. \"1GB\"");
  if (sessions_max < 1)
    return Status::InvalidArgument(fmt::format("sql `sessions_max` must be >= 1, got {}", sessions_max));
  if (statement_timeout_ms.count() < 0) {
    return Status::InvalidArgument(
        fmt::format("sql `statement_timeout_ms` must be >= 0 (0: none), got {}", statement_timeout_ms.count()));
  }
  if (text_bytes_max < 1 || boolean_operators_max < 1 || nesting_depth_max < 1) {
    return Status::InvalidArgument(
        fmt::format("sql `text_bytes_max`, `boolean_operators_max` and `nesting_depth_max` must be >= 1, got {}, {} "
                    "and {}",
                    text_bytes_max, boolean_operators_max, nesting_depth_max));
  }
  if (temp_dir.empty()) return Status::InvalidArgument("sql `temp_dir` is empty; DuckDB needs a directory to spill to");
  return Status::Ok();
}

Result<std::unique_ptr<SqlEngine>> SqlEngine::Make(const SqlEngineOptions& options, log::Log* /*log*/,
                                                   ingest::StreamRegistry* streams,
                                                   const lake::AttachedTables* attached) {
  LAGOA_RETURN_IF_ERROR(options.Validate());
  LAGOA_RETURN_IF_ERROR(MakeDirectories(options));
  auto shared = std::make_shared<EngineShared>();
  shared->options = options;
  const duck::DatabaseOptions database{
      .threads = options.threads, .memory_limit = options.memory_limit, .temp_dir = options.temp_dir};
  LAGOA_ASSIGN_OR_RETURN(shared->database, duck::OpenDatabase(database, "the SQL engine's database"));
  LAGOA_ASSIGN_OR_RETURN(duck::ConnectionHandle setup, duck::Connect(shared->database.get()));
  // Parquet footers are cached between statements (lake files are immutable).
  LAGOA_RETURN_IF_ERROR(duck::Execute(setup.get(), "SET GLOBAL parquet_metadata_cache = true"));
  shared->tail_cache = std::make_unique<internal::TailCache>(options.tail_cache_bytes);
  if (streams != nullptr) {
    LAGOA_RETURN_IF_ERROR(
        internal::RegisterLogTailScan(setup.get(), streams, shared->tail_cache.get(), &shared->tail_pins));
  }
  LAGOA_RETURN_IF_ERROR(internal::CreatePgCatalogShim(setup.get()));
  LAGOA_RETURN_IF_ERROR(internal::RegisterCatalogScans(setup.get(), shared.get()));
  LAGOA_RETURN_IF_ERROR(duck::Execute(setup.get(), FileAccessSettings(options)));
  setup.reset();
  if (!options.tables_dir.empty()) {
    LAGOA_ASSIGN_OR_RETURN(shared->lake_tables, lake::AttachedTables::Open(options.tables_dir / ".tables.json"));
  }
  shared->streams = streams;
  shared->attached = attached;
  LAGOA_ASSIGN_OR_RETURN(
      shared->catalog, internal::RelationCatalog::Make(options.lake_dir, streams, attached, shared->lake_tables.get()));
  LAGOA_ASSIGN_OR_RETURN(CatalogParts catalog, JoinCatalog(shared, streams, attached));
  if (shared->lake_tables != nullptr) {  // without tables_dir, every statement is DuckDB's
    shared->handlers.push_back(internal::LagoaStatements(shared.get()));
  }
  for (const auto& handler : options.statement_handlers) shared->handlers.push_back(handler);
  std::unique_ptr<SqlObjects> objects;
  if (!options.objects_path.empty()) {
    LAGOA_ASSIGN_OR_RETURN(objects, SqlObjects::Open(options.objects_path));
  }
  LAGOA_ASSIGN_OR_RETURN(duck::ConnectionHandle memory_connection, duck::Connect(shared->database.get()));
  shared->watchdog = std::thread(RunWatchdog, shared.get());  // nothing fails from here on
  std::vector<std::string> restore_errors;
  if (objects != nullptr) {
    restore_errors = Replay(shared, *objects);
    shared->objects = std::move(objects);  // from here on, statements are recorded
  }
  return std::unique_ptr<SqlEngine>(new SqlEngineImpl(std::move(shared), std::move(restore_errors), std::move(catalog),
                                                      std::move(memory_connection)));
}

}  // namespace lagoa::sql
