// The engine's internals shared by sql_engine.cc and session.cc: the database handle, the relation
// catalog, and the watchdog that interrupts statements past their deadline. Internal to src/sql.
#pragma once

#include <duckdb.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "duck/database.h"
#include "lake/attached_tables.h"
#include "sql/file_skipping_internal.h"
#include "sql/lake_write_internal.h"
#include "sql/log_tail_scan_internal.h"
#include "sql/relation_catalog_internal.h"
#include "sql/sql_engine.h"
#include "sql/sql_objects_internal.h"
#include "sql/tail_cache_internal.h"

namespace lagoa::ingest {
class StreamRegistry;
}

namespace lagoa::sql::internal {

class SessionImpl;

// The names of the tables `sql` mentions (DuckDB's parser); std::nullopt when DuckDB cannot tell
// (it reads one statement without parameters; $1 and ? are read as NULL first).
std::optional<std::vector<std::string>> TableNames(duckdb_connection connection, const std::string& sql);

// The state every session shares. Lifecycle: built by SqlEngine::Make, destroyed after every
// session closed. Threads: any; `mu` guards `running` and `open_sessions`.
struct EngineShared {
  SqlEngineOptions options;
  duck::DatabaseHandle database;                      // closed first, by ~EngineShared
  std::unique_ptr<lake::AttachedTables> lake_tables;  // CREATE TABLE's tables; null without options.tables_dir
  // Held from a lake table's name check to its listing (CREATE) or unlisting and deletion (DROP),
  // so two statements never claim, or clear, the same directory.
  std::mutex lake_ddl_mu;
  ingest::StreamRegistry* streams = nullptr;       // borrowed; may be null
  catalog::Catalog* object_catalog = nullptr;      // every named object: name checks (never null once made)
  const lake::AttachedTables* attached = nullptr;  // borrowed; may be null
  std::unique_ptr<RelationCatalog> catalog;
  // lagoa's statements (lake tables, streams) then options.statement_handlers, in the order asked.
  std::vector<std::shared_ptr<const StatementHandler>> handlers;
  // The schemas, views and macros made with SQL, kept across restarts; null without
  // options.objects_path, and until the engine has replayed them at start.
  std::unique_ptr<SqlObjects> objects;
  std::unique_ptr<TailCache> tail_cache;  // lagoa_tail()'s; outlives the database (closed first)
  TailPins tail_pins;                     // lagoa_tail()'s; outlives the database (closed first)
  // Set, for good, once a statement may have defined functions of its own (CREATE MACRO or
  // FUNCTION, ATTACH, IMPORT DATABASE, LOAD): such a function may read a relation inside a
  // statement that names only another, so statements stop skipping files (a skipping view would
  // be read through it).
  std::atomic<bool> user_functions{false};
  // Set, for good, once a statement may have changed a TimeZone away from UTC: from then on no
  // statement skips files by a timestamp (file_skipping_internal.h).
  std::atomic<bool> timezone_set{false};

  std::mutex mu;
  std::condition_variable wake;    // a statement started, or stopping
  std::set<SessionImpl*> running;  // sessions planning or running a statement
  int open_sessions = 0;
  bool stopping = false;            // the watchdog's end
  bool statements_stopped = false;  // SqlEngine::Stop: no statement starts any more
  std::thread watchdog;

  ~EngineShared();
};

// One session. Lifecycle: from SqlEngine::OpenSession; closes its connection when destroyed.
// Threads: the caller's, one at a time; Cancel and the watchdog's Interrupt from any thread.
class SessionImpl final : public Session {
 public:
  static Result<std::unique_ptr<SessionImpl>> Make(std::shared_ptr<EngineShared> shared);
  ~SessionImpl() override;

  Result<size_t> Parse(std::string_view sql) override;
  Result<std::unique_ptr<Statement>> PrepareParsed(size_t index) override;
  Result<std::unique_ptr<Statement>> Prepare(std::string_view sql) override;
  void Cancel() override;

  // Called by statements and cursors (session.cc, lake_write.cc).
  duckdb_connection connection() const { return connection_.get(); }
  EngineShared& shared() const { return *shared_; }
  // The tables `sql` names (TableNames), read on a connection of its own: DuckDB binds the views
  // a text names to list them, and this session's views of lagoa's relations would be bound too
  // (slow, and failing for some texts) — the names connection has none.
  std::optional<std::vector<std::string>> NamesIn(const std::string& sql) const {
    return TableNames(names_connection_.get(), sql);
  }
  // Runs `sql` (no parameters) on the session's connection and drops its result.
  Status Exec(const std::string& sql);
  // Whether the session has a transaction open (BEGIN fails inside one). Writes that commit on
  // their own (lake tables, streams) refuse to run inside one: a ROLLBACK could not undo them.
  bool InTransaction() {
    if (!Exec("BEGIN TRANSACTION").ok()) return true;
    Exec("ROLLBACK").IgnoreError();  // an empty transaction: nothing to lose
    return false;
  }
  // Creates or re-creates the temporary views of lagoa's relations among `names` (every
  // relation when `names` is unknown or empty, or one of them is not lagoa's: it may be a view
  // over them). `filter` (may be null) is the statement's: the view of its table lists only the
  // files it may match.
  Status RefreshRelations(const std::optional<std::vector<std::string>>& names, const SkipFilter* filter = nullptr);
  // The filter that lets the statement `text` skip lake files (file_skipping_internal.h), when
  // it reads one of lagoa's relations and nothing else.
  std::optional<SkipFilter> SkipFilterFor(const std::string& text,
                                          const std::optional<std::vector<std::string>>& names);
  // Marks a statement being planned or run until its deadline (watchdog) or Finish; Cancelled
  // once the engine stopped (SqlEngine::Stop).
  [[nodiscard]] Status Begin();
  void Finish();
  // The status for a DuckDB failure while a statement ran: Cancelled or DeadlineExceeded after
  // an interrupt, ResourceExhausted past the memory limit, else InvalidArgument with DuckDB's text.
  Status ErrorStatus(duckdb_error_type type, const char* message) const;
  // Cancelled or DeadlineExceeded when the statement begun last was cancelled or timed out
  // (`when`, if not empty, says in which phase, in parentheses); else Ok.
  Status InterruptedStatus(std::string_view when) const;
  // Which statement runs now; a cursor is valid while the generation it started with is current.
  uint64_t generation() const { return generation_; }
  uint64_t NextGeneration() { return ++generation_; }
  // Forgets which views exist (after a transaction ends: a rollback undoes views made in it).
  void ForgetViews() { views_.clear(); }
  // After a statement of `kind` (whose text is `text`) succeeded: records the schemas, views and
  // macros it committed, made or dropped (sql_objects_internal.h). An error means the statement ran
  // but what it made would not survive a restart.
  Status KeepSqlObjects(StatementKind kind, const std::string& text);

  // Watchdog and SqlEngine::Stop side (EngineShared::mu held).
  std::chrono::steady_clock::time_point deadline() const { return deadline_; }
  void InterruptForTimeout();
  void InterruptForStop();

 private:
  SessionImpl(std::shared_ptr<EngineShared> shared, duck::ConnectionHandle connection,
              duck::ConnectionHandle names_connection, idx_t connection_id)
      : shared_(std::move(shared)),
        connection_(std::move(connection)),
        names_connection_(std::move(names_connection)),
        connection_id_(connection_id) {}
  Status RefreshRelation(const std::string& name, const SkipFilter* filter);
  // PrepareParsed without marking the statement in flight.
  Result<std::unique_ptr<Statement>> PrepareParsedNow(size_t index);
  // Prepares statement `index` of extracted_, whose text is `text` (null: unknown, one of
  // several), after refreshing the relations `names`.
  Result<std::unique_ptr<Statement>> PrepareExtracted(size_t index,
                                                      const std::optional<std::vector<std::string>>& names,
                                                      const std::string* text);
  void DropView(const std::string& name);

  std::shared_ptr<EngineShared> shared_;
  duck::ConnectionHandle connection_;
  duck::ConnectionHandle names_connection_;               // only for NamesIn
  idx_t connection_id_;                                   // connection_'s, as lagoa_tail() sees it (TailPins)
  duck::ExtractedHandle extracted_;                       // of the last Parse
  std::optional<std::vector<std::string>> parsed_names_;  // tables the last Parse's text names
  std::string parsed_text_;                               // the last Parse's text
  // When the last Parse's text holds a write to a lake table: every statement's own text, and what
  // it writes (the statements are then prepared one by one from their text).
  struct Piece {
    std::string text;
    const StatementHandler* handler = nullptr;  // claimed at Parse; asked again at PrepareParsed
  };
  // The first handler claiming `statement`, or null: DuckDB's.
  const StatementHandler* HandlerFor(std::string_view statement) const;
  std::vector<Piece> pieces_;
  std::map<std::string, std::string> views_;  // relation name → definition key
  // CREATE statements of the current explicit transaction (or the one that just ran): a macro made
  // in a transaction is recorded with its text when the COMMIT shows it. The last kCreatesKeptMax.
  static constexpr size_t kCreatesKeptMax = 64;
  std::vector<std::string> creates_;
  bool in_transaction_ = false;  // after BEGIN, until COMMIT or ROLLBACK
  uint64_t generation_ = 0;

  std::chrono::steady_clock::time_point deadline_;  // guarded by shared_->mu
  std::atomic<bool> timed_out_{false};
  std::atomic<bool> cancelled_{false};
  std::atomic<bool> stopped_{false};  // cancelled by SqlEngine::Stop
};

// The comment on each session's temporary view of a lagoa relation: the PostgreSQL catalog shim
// (pg_catalog_shim.h) tells lagoa's relations from other temporary views by it.
inline constexpr std::string_view kRelationComment = "lagoa relation";

// Creates the PostgreSQL catalog shim's schema, views and macros (pg_catalog_shim.cc).
Status CreatePgCatalogShim(duckdb_connection connection);

// The lake table called `name` as DuckDB matches identifiers (ignoring case): its name as created,
// or std::nullopt.
std::optional<std::string> LakeTableName(const EngineShared& shared, std::string_view name);

// The type DuckDB inferred for parameter `index` (0-based) of `prepared`; kOther "UNKNOWN" when it
// could not tell.
ColumnType ParamType(duckdb_prepared_statement prepared, size_t index);

// The answer of a statement that returns no rows: `changed_rows` rows changed (-1: not DML).
class NoRowsCursor final : public Cursor {
 public:
  explicit NoRowsCursor(int64_t changed_rows) : changed_rows_(changed_rows) {}
  const std::vector<ResultColumn>& columns() const override { return columns_; }
  Result<std::unique_ptr<ResultChunk>> Next() override { return std::unique_ptr<ResultChunk>(); }
  int64_t changed_rows() const override { return changed_rows_; }

 private:
  int64_t changed_rows_;
  std::vector<ResultColumn> columns_;
};

// Why the relation `name` could not be defined, from DuckDB's error: NotFound for a time travel
// version VACUUM deleted files of, else InvalidArgument with DuckDB's message.
Status UnreadableRelation(std::string_view name, std::string_view duckdb_error);

// `status`, or, when it is DuckDB's "No files found" and the statement (naming `names`) reads a time
// travel version, UnreadableRelation's answer for that version.
Status MissingFilesOfAVersion(const Status& status, const std::optional<std::vector<std::string>>& names);

// The status of a failed prepare with DuckDB's `message` (null: `fallback`): PermissionDenied for a
// file outside the allowed folders, else InvalidArgument.
Status PrepareErrorStatus(const char* message, std::string_view fallback);

// `status` with every mention of the temporary `stage` table replaced by `name` (what the user
// wrote) and `context` in front: DuckDB's errors about a write's stage are about its target.
Status NameTheTarget(const Status& status, const std::string& stage, const std::string& name, std::string_view context);

// Binds `params` to `prepared` ($1 is params[0]); InvalidArgument naming the parameter DuckDB
// refused.
Status BindParams(duckdb_prepared_statement prepared, std::span<const Param> params);

// The statement carrying out `write` in `session` (lake_write.cc; stream statements in stream_statements.cc):
// INSERT and COPY are prepared (their stage made), refusals fail here.
// lake_write.cc: whether `kind` is a stream's statement; what `statement` is, as things are now.
bool IsStreamStatement(LakeWriteKind kind);
std::optional<LakeWriteText> RecognizeNow(const EngineShared& shared, std::string_view statement);

// lagoa's own statement handler (lake_write.cc): writes to lake tables and their DDL; CREATE
// STREAM, DROP STREAM and INSERT INTO a stream (stream_statements.cc prepares those). It reads
// `shared`, which outlives it.
std::shared_ptr<const StatementHandler> LagoaStatements(const EngineShared* shared);
Result<std::unique_ptr<Statement>> PrepareStreamStatement(SessionImpl* session, LakeWriteText write);

}  // namespace lagoa::sql::internal
