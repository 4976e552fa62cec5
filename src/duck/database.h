// One place for DuckDB's settings: every in-memory database lagoa opens (the SQL engine's, the
// lake loader's, a table operation's) is opened here, with the same rules. duckdb.h is included
// (through handles.h); code outside src/duck, src/lake and src/sql uses connection.h.
//
// Threads: any thread.
#pragma once

#include <cstdint>
#include <string_view>

#include "base/status.h"
#include "duck/database_options.h"
#include "duck/handles.h"

namespace lagoa::duck {

// Opens an in-memory database with `options` and lagoa's fixed settings: no extension is ever
// installed or loaded on demand (lagoa runs what libduckdb ships: parquet, json, icu), no
// community extensions, no persistent secrets, and timestamps without a zone mean UTC. `purpose`
// names the database in errors ("the SQL engine's database").
Result<DatabaseHandle> OpenDatabase(const DatabaseOptions& options, std::string_view purpose);

// A new connection to `database`.
Result<ConnectionHandle> Connect(duckdb_database database);

// What DuckDB's buffer manager holds for `connection`'s database now (duckdb_memory()), bytes.
Result<uint64_t> MemoryUsedBytes(duckdb_connection connection);

}  // namespace lagoa::duck
