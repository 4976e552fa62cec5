// DuckDbConnection: an in-memory DuckDB database and one connection to it, through DuckDB's C API,
// with every DuckDB error turned into a Status. The lake module uses it to read Parquet files
// (Delta checkpoints, data files in tests); duckdb.h stays out of this header so only
// duckdb_connection.cc depends on it.
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

struct _duckdb_connection;  // duckdb.h's connection handle, without including duckdb.h

namespace lagoa::lake {

struct DuckDbOptions {
  int threads = 1;                     // DuckDB worker threads per query; >= 1
  std::string memory_limit = "512MB";  // DuckDB's memory_limit setting

  static DuckDbOptions Defaults() { return {}; }
  Status Validate() const;
};

// How long DuckDB's allocator (the jemalloc built into libduckdb) keeps pages it freed before it
// gives them back to the kernel, for the whole process; DuckDB's default is 1 s. A server that
// frees and allocates about the same memory every statement and loader pass faults given-back
// pages in again, and a page fault is slow on virtual machines (14 µs a page on the benchmark
// machine, bench/RESULTS.md). Freed pages stay resident that much longer; peak memory does not
// change; -1 never gives them back. FailedPrecondition when libduckdb was built without jemalloc.
// Any thread, any time.
Status SetDuckDbFreedPagesKeptMs(int64_t kept_ms);
// What the allocator keeps them now (the default for new arenas), for tests.
Result<int64_t> DuckDbFreedPagesKeptMs();

// Rows of a query whose columns are all VARCHAR; std::nullopt is SQL NULL.
using TextRow = std::vector<std::optional<std::string>>;

class DuckDbConnection {
 public:
  static Result<std::unique_ptr<DuckDbConnection>> Make(const DuckDbOptions& options);
  ~DuckDbConnection();
  DuckDbConnection(const DuckDbConnection&) = delete;
  DuckDbConnection& operator=(const DuckDbConnection&) = delete;

  // Runs a statement and drops its result.
  Status Execute(std::string_view sql);

  // Runs a query whose result columns are all VARCHAR (cast in the SQL) and returns every row;
  // InvalidArgument when a column has another type. Fails with ResourceExhausted beyond
  // `rows_max` rows.
  Result<std::vector<TextRow>> QueryText(std::string_view sql, size_t rows_max = kRowsMax);

  static constexpr size_t kRowsMax = 10'000'000;

  // The C API's connection handle, for code that needs more of the API (the record appender);
  // owned by this object.
  _duckdb_connection* raw();

 private:
  struct Handles;
  explicit DuckDbConnection(std::unique_ptr<Handles> handles);
  std::unique_ptr<Handles> handles_;
};

// `text` as a SQL string literal: single quotes, inner quotes doubled.
std::string SqlStringLiteral(std::string_view text);

}  // namespace lagoa::lake
