// SqlEngine: lagoa's SQL, run by an embedded DuckDB (through its C API). Streams and lake tables
// are SQL tables: a stream reads its Delta table's Parquet files (the snapshot current when the
// statement starts) plus the events still only in the log after the offsets that snapshot loaded
// (the live tail), so every acknowledged event is seen exactly once (README.md, "Reading
// streams"). Attached Delta tables read their latest snapshot. Every other statement is DuckDB's
// own dialect.
//
// Lifecycle: Make() opens the in-memory DuckDB database (memory limit, threads, spill directory)
// and registers lagoa's table functions; sessions are opened and closed any number of times; the
// engine outlives every session. The log, registry and attached-table list it reads are borrowed
// and must outlive it.
// Threads: OpenSession and the engine's accessors are safe from any thread. A Session runs one
// statement at a time, on the thread that calls it; only Session::Cancel may be called from
// another thread. A watchdog thread interrupts statements that pass their timeout.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/status.h"
#include "sql/result_chunk.h"

namespace lagoa::log {
class Log;
}
namespace lagoa::catalog {
class Catalog;
}
namespace lagoa::ingest {
class IngestService;
class StreamRegistry;
}  // namespace lagoa::ingest
namespace lagoa::lake {
class AttachedTables;
}

namespace lagoa::sql {

class StatementHandler;

struct SqlEngineOptions {
  std::filesystem::path lake_dir;  // one Delta table per stream: <lake_dir>/<stream>/
  std::filesystem::path temp_dir;  // DuckDB spills here, lake writes stage files here; must exist
  // Lake tables (CREATE TABLE): <tables_dir>/<name>/, listed in <tables_dir>/.tables.json (no table name starts with a
  // dot). Empty: no lake tables; CREATE TABLE makes DuckDB's in-memory tables.
  std::filesystem::path tables_dir;
  // The import/export folder: COPY … TO and EXPORT DATABASE write only under it, and SQL reads files
  // only under it, the lake's folders above and `read_dirs` (DuckDB's allowed_directories with
  // enable_external_access off). Empty: no file is read or written but the lake's.
  std::filesystem::path files_dir;
  std::vector<std::filesystem::path> read_dirs;  // more folders SQL may read: attached Delta tables
  // The schemas, views and macros clients make are kept in this file and made again at start
  // (sql_objects_internal.h). Empty: they last as long as the engine.
  std::filesystem::path objects_path;
  int lake_write_threads = 2;               // DuckDB threads of each write to a lake table
  std::string lake_write_memory = "512MB";  // and its memory_limit
  int threads = 2;                          // DuckDB worker threads, shared by all statements
  std::string memory_limit = "1GB";         // DuckDB's memory_limit: a statement beyond it fails
  // Streams' live tails stay decoded between statements up to this many bytes (outside
  // memory_limit), so a statement decodes only the events that arrived since the last; 0: off.
  size_t tail_cache_bytes = 256u << 20;
  int sessions_max = 64;  // open sessions at once (HTTP workers + PostgreSQL clients)
  // A statement running longer is interrupted and fails with DeadlineExceeded; 0 = no limit.
  // DuckDB cannot interrupt a statement it is planning: one whose planning passes the timeout
  // fails when the planning ends. The limits below are what bound planning time.
  std::chrono::milliseconds statement_timeout_ms{300'000};
  // Every text a session parses is refused, before DuckDB parses it, when it is longer than
  // text_bytes_max or one of its statements has more AND/OR operators than boolean_operators_max
  // or nests brackets deeper than nesting_depth_max (statement_limits_internal.h). The defaults
  // keep DuckDB's planning of one statement well under a second (README.md, "Limits").
  size_t text_bytes_max = 256u << 10;
  size_t boolean_operators_max = 2048;
  size_t nesting_depth_max = 128;

  // DROP STREAM: drops the stream and deletes its lake table, as the REST API does (the node
  // provides it; unset, DROP STREAM is refused).
  std::function<Status(const std::string& stream)> drop_stream;
  // INSERT INTO a stream appends typed records through it, in batches of about
  // ingest_batch_bytes; null, INSERT into a stream is DuckDB's (and fails: a stream is a view).
  ingest::IngestService* ingest = nullptr;
  size_t ingest_batch_bytes = 8u << 20;
  // The node's catalog of every named object (src/catalog): the engine adds its lake tables,
  // views, macros and schemas to it and checks new names against it. Null: the engine keeps a
  // catalog of its own over the streams, attached tables and its objects.
  catalog::Catalog* catalog = nullptr;
  // Statements other modules add (StatementHandler), asked after lagoa's own (lake tables,
  // streams).
  std::vector<std::shared_ptr<const StatementHandler>> statement_handlers;

  static SqlEngineOptions Defaults() { return {}; }
  Status Validate() const;
};

// A result has at most this many columns (PostgreSQL allows 1,664): DuckDB's C API copies every
// column's type to describe one, so a result of 65,536 columns took half a minute to describe.
inline constexpr size_t kResultColumnsMax = 4096;

// A statement parameter ($1, $2 … or ?): NULL, or a value DuckDB casts to the parameter's type.
using Param = std::variant<std::monostate, bool, int64_t, double, std::string>;

// What kind of statement ran: front doors derive their completion tags from it
// (PostgreSQL's "SELECT 3", "INSERT 0 1", "CREATE TABLE" …).
enum class StatementKind : uint8_t {
  kSelect,
  kInsert,
  kUpdate,
  kDelete,
  kCreate,  // tables, views, schemas, sequences, macros
  kDrop,
  kAlter,
  kCopy,
  kExplain,
  kSet,  // SET, RESET, PRAGMA
  kTransaction,
  kOther,
};

// Rows of one executed statement, fetched chunk by chunk (streamed from DuckDB, not materialized).
// Lifecycle: from Statement::Execute; valid until its session runs another statement, after which
// Next fails with FailedPrecondition. Threads: the session's.
class Cursor {
 public:
  virtual ~Cursor() = default;
  virtual const std::vector<ResultColumn>& columns() const = 0;
  // The next chunk of rows, or nullptr when the result is exhausted. DeadlineExceeded when the
  // statement timed out, Cancelled after Session::Cancel, ResourceExhausted past the memory limit.
  virtual Result<std::unique_ptr<ResultChunk>> Next() = 0;
  // For INSERT/UPDATE/DELETE/COPY: the rows changed (DuckDB returns them as the single "Count"
  // row, which this cursor does not return as a row); else -1.
  virtual int64_t changed_rows() const = 0;
};

// One prepared statement. Lifecycle: from Session::Prepare; lives at most as long as its session.
class Statement {
 public:
  virtual ~Statement() = default;
  virtual StatementKind kind() const = 0;
  virtual size_t param_count() const = 0;
  // The type DuckDB inferred for parameter `index` (0-based); kOther with sql "UNKNOWN" when it
  // could not tell.
  virtual ColumnType param_type(size_t index) const = 0;
  // The result's columns as known before execution (empty for statements without rows).
  virtual const std::vector<ResultColumn>& columns() const = 0;
  // False when DuckDB cannot tell the result's columns before execution because it could not type
  // a parameter (`SELECT $1 AS t`): columns() is then empty, and the executed Cursor has them.
  virtual bool columns_known() const = 0;
  // Binds `params` (param_count() of them) and runs the statement. InvalidArgument when a
  // parameter is missing or does not cast to its type; errors keep DuckDB's message.
  virtual Result<std::unique_ptr<Cursor>> Execute(std::span<const Param> params) = 0;
};

class Session;

// A statement DuckDB's grammar does not have, or one lagoa runs itself (CREATE STREAM, writes to
// lake tables; next CREATE MATERIALIZED VIEW, CREATE SOURCE, CREATE JOB, CREATE ENDPOINT). A
// session asks the handlers in order whether one claims a statement; the first that does prepares
// it, and every statement none claims is DuckDB's. A module adds statements by giving the engine
// a handler (SqlEngineOptions::statement_handlers), without editing the session.
// Lifecycle: held by the engine for its life. Threads: Claims and Prepare run on many sessions'
// threads at once; a handler must be thread-safe.
class StatementHandler {
 public:
  virtual ~StatementHandler() = default;
  // What it runs, for messages and logs ("lake tables", "streams").
  virtual std::string_view name() const = 0;
  // Whether `statement` (one statement, no ';') is this handler's, as things are now (an earlier
  // statement of the same text may have made the table it names). No side effects.
  virtual bool Claims(std::string_view statement) const = 0;
  // Prepares a statement Claims accepted on `session`, the session preparing it. The handler
  // checks what the statement may touch itself (the engine's statement policy covers DuckDB's).
  virtual Result<std::unique_ptr<Statement>> Prepare(std::string_view statement, Session& session) const = 0;
};

// A DuckDB connection with lagoa's catalog: settings (SET), temporary objects and prepared
// statements live as long as the session.
class Session {
 public:
  virtual ~Session() = default;
  // Splits `sql` into its statements (DuckDB's parser); InvalidArgument with DuckDB's message and
  // position on a syntax error. An empty or comment-only text has none.
  virtual Result<size_t> Parse(std::string_view sql) = 0;
  // Prepares statement `index` of the last Parse (statements are prepared one at a time, after
  // the previous ones ran, since they may depend on them).
  virtual Result<std::unique_ptr<Statement>> PrepareParsed(size_t index) = 0;
  // Parse + PrepareParsed for a text holding exactly one statement.
  virtual Result<std::unique_ptr<Statement>> Prepare(std::string_view sql) = 0;
  // Interrupts the running statement, if any. Any thread.
  virtual void Cancel() = 0;
};

class SqlEngine {
 public:
  static Result<std::unique_ptr<SqlEngine>> Make(const SqlEngineOptions& options, log::Log* log,
                                                 ingest::StreamRegistry* streams, const lake::AttachedTables* attached);
  virtual ~SqlEngine() = default;
  // ResourceExhausted when sessions_max sessions are open.
  virtual Result<std::unique_ptr<Session>> OpenSession() = 0;
  // The list of lake tables (CREATE TABLE); null without `tables_dir`. Any thread.
  virtual const lake::AttachedTables* lake_tables() const = 0;
  // The catalog names are checked against (SqlEngineOptions::catalog, or the engine's own).
  virtual catalog::Catalog* catalog() const = 0;
  // The schemas, views and macros kept from before that could not be made again at start, each
  // with DuckDB's reason; they stay recorded until a statement makes them again.
  virtual const std::vector<std::string>& restore_errors() const = 0;
  // For the server's shutdown, before its front doors stop: interrupts every statement running
  // and fails every statement that would start from now on with Cancelled, so that no session
  // keeps its front door's thread (a statement DuckDB is planning fails once the planning ends).
  // Any thread; idempotent. The engine stays usable for nothing but closing sessions.
  virtual void Stop() = 0;
};

}  // namespace lagoa::sql
