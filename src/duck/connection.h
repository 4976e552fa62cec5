// Connection: an in-memory DuckDB database of its own and one connection to it, with every DuckDB
// error turned into a Status. The lake reads Parquet files and Delta checkpoints with it and a
// table operation describes a table with it; the SQL engine opens its shared database itself
// (database.h). duckdb.h stays out of this header, which the lake's public headers include.
//
// Lifecycle: Make() opens the database and connects; the destructor disconnects and closes it.
// Threads: one thread at a time (DuckDB runs its own worker threads inside a query).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "duck/database_options.h"

struct _duckdb_connection;  // duckdb.h's connection handle, without including duckdb.h

namespace lagoa::duck {

// Rows of a query whose columns are all VARCHAR; std::nullopt is SQL NULL.
using TextRow = std::vector<std::optional<std::string>>;
inline constexpr size_t kTextRowsMax = 10'000'000;

// Runs a statement on `connection` and drops its result; InvalidArgument with DuckDB's message.
Status Execute(_duckdb_connection* connection, std::string_view sql);

// Runs a query whose result columns are all VARCHAR (cast in the SQL) and returns every row;
// InvalidArgument when a column has another type, ResourceExhausted beyond `rows_max` rows.
Result<std::vector<TextRow>> QueryText(_duckdb_connection* connection, std::string_view sql,
                                       size_t rows_max = kTextRowsMax);

class Connection {
 public:
  static Result<std::unique_ptr<Connection>> Make(const DatabaseOptions& options);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  Status Execute(std::string_view sql) { return duck::Execute(handle(), sql); }
  Result<std::vector<TextRow>> QueryText(std::string_view sql, size_t rows_max = kTextRowsMax) {
    return duck::QueryText(handle(), sql, rows_max);
  }

  // The C API's connection handle, for code that needs more of the API (the record appender);
  // owned by this object.
  _duckdb_connection* handle();

 private:
  struct Handles;
  explicit Connection(std::unique_ptr<Handles> handles);
  std::unique_ptr<Handles> handles_;
};

// `text` as a SQL string literal: single quotes, inner quotes doubled.
std::string SqlStringLiteral(std::string_view text);

}  // namespace lagoa::duck
