// Answers for what PostgreSQL clients send that DuckDB does not understand the PostgreSQL way:
// session settings drivers set at connect (SET extra_float_digits, application_name …), SHOW of
// PostgreSQL settings, version(), and the catalog queries of psql (\dt, \d name) and pgjdbc
// (DatabaseMetaData) where DuckDB's pg_catalog lacks a function, operator or column, or where the
// engine's PostgreSQL catalog shim (sql/pg_catalog_shim.h) answers instead. Each
// statement is looked at alone (after SplitStatements); anything not recognized passes through
// unchanged to DuckDB. See README.md, "PostgreSQL wire protocol", for the list.
// Threads: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace lagoa::pg::pg {

struct ClientQueryAnswer {
  enum class Kind : uint8_t { kPass, kRewrite, kCommand };
  Kind kind = Kind::kPass;
  std::string sql;  // kRewrite: the statement to run instead
  std::string tag;  // kCommand: answered with this CommandComplete tag, nothing runs
  // kCommand: a setting the client changed that PostgreSQL reports with ParameterStatus.
  std::optional<std::pair<std::string, std::string>> parameter_status;
};

ClientQueryAnswer InterceptClientQuery(std::string_view statement);

// The version string of version() and the server_version parameter.
inline constexpr std::string_view kServerVersion = "15.0 (lagoa)";

}  // namespace lagoa::pg::pg
