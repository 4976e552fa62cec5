// SqlObjects: the schemas, views and macros clients make with SQL, kept in a file so that they
// outlive the process. DuckDB's database is in memory; without this, `CREATE VIEW` answered OK and
// the view was gone after a restart.
//
// After a statement that may make, change or drop one (CREATE, DROP, ALTER, COMMIT, ROLLBACK) the
// session calls Refresh, which reads DuckDB's committed catalog (on a connection outside the
// session's transaction) and records the difference: a view's definition is DuckDB's own
// (duckdb_views().sql, so ALTER VIEW … RENAME and CREATE OR REPLACE are followed), a schema's is
// CREATE SCHEMA, and a macro's is the CREATE statement that made it, which the session passes in
// (DuckDB keeps no text of a macro). The file is replaced atomically
// (written, fsynced, renamed) before Refresh returns, so a definition a client was told about
// survives SIGKILL. At start the engine replays the definitions, in the order they were made,
// through a session (so views over streams bind); one that fails stays in the file, marked, and is
// reported, never dropped in silence.
//
// File: {"objects": [{"kind": "schema"|"view"|"macro", "schema": S, "name": N, "sql": TEXT}, …]}.
// Temporary objects are the session's and are not kept; nor are the relations lagoa makes.
// Lifecycle: Open, then Replay once, then Refresh any number of times. Threads: any; one mutex
// orders Refresh calls, each reading the catalog and writing the file under it.
#pragma once

#include <duckdb.h>

#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace lagoa::sql::internal {

struct SqlObject {
  std::string kind;  // "schema", "view", "macro"
  std::string schema;
  std::string name;
  std::string sql;       // what re-creates it
  bool restored = true;  // false: its replay at start failed; kept until made again
};

class SqlObjects {
 public:
  // Reads `path` (missing: no objects yet). Corruption when it cannot be read as the format above.
  static Result<std::unique_ptr<SqlObjects>> Open(std::filesystem::path path);

  std::vector<SqlObject> List() const;
  // Marks what failed to replay at start (restored = false): Refresh keeps such an object, which
  // the catalog does not hold, until a statement makes it again.
  void MarkUnrestored(const std::vector<size_t>& indexes);
  // Records what the committed catalog (read on `connection`) holds now. `creates` are the CREATE
  // statements the session ran in its current transaction (or the statement that just ran),
  // oldest first: a new or replaced macro's definition is the last of them making it. A new macro
  // none of them made is another session's, which records it.
  Status Refresh(duckdb_connection connection, const std::vector<std::string>& creates);

 private:
  explicit SqlObjects(std::filesystem::path path) : path_(std::move(path)) {}
  Status Write() const;  // REQUIRES: mu_ held

  std::filesystem::path path_;
  mutable std::mutex mu_;
  std::vector<SqlObject> objects_;  // in the order they were made
};

}  // namespace lagoa::sql::internal
