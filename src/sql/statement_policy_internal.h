// What a SQL client may not do to the server it shares with every other client (README.md, "What
// SQL may touch"). DuckDB itself keeps file access inside the allowed folders
// (`enable_external_access = false`, `allowed_directories`), but it cannot tell reading from writing,
// and a client's SET can change settings of the whole database. So before a statement runs, the
// session checks it here:
// - COPY … TO and EXPORT DATABASE write only under the import/export folder (`files_dir`), given as
//   a plain string literal; the lake's own folders are readable (they are the data SQL serves) but
//   never written by a client.
// - ATTACH, DETACH, INSTALL, LOAD and PRAGMA statements are refused; a PREPARE is checked as the
//   statement it prepares.
// - SET and RESET change only this session's reading of its statements (kSessionSettings below);
//   SET GLOBAL, and settings that reach the whole database, files or the server's output
//   (memory_limit, threads, enable_external_access, profiling_output, max_expression_depth …) are
//   refused. SET VARIABLE and USE are the session's own.
// - DuckDB's log switches (enable_logging, disable_logging, truncate_duckdb_logs) are refused: the
//   log is the whole database's.
// Threads: pure functions.
#pragma once

#include <duckdb.h>

#include <filesystem>
#include <string_view>

#include "base/status.h"

namespace lagoa::sql::internal {

// OK when `statement` (one statement's text, whose DuckDB type is `type`) may run; PermissionDenied
// naming what is refused and what is allowed instead.
Status CheckStatementAllowed(duckdb_statement_type type, std::string_view statement,
                             const std::filesystem::path& files_dir);

}  // namespace lagoa::sql::internal
