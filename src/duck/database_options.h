// DatabaseOptions: what a caller chooses for one DuckDB database (database.h opens it). Kept apart
// from database.h so that headers which only pass options along need not include duckdb.h.
#pragma once

#include <filesystem>
#include <string>

#include "base/status.h"

namespace lagoa::duck {

struct DatabaseOptions {
  int threads = 1;                     // DuckDB worker threads per query; >= 1
  std::string memory_limit = "512MB";  // DuckDB's memory_limit setting
  // Where DuckDB spills what does not fit in memory_limit; empty: DuckDB's default.
  std::filesystem::path temp_dir;

  static DatabaseOptions Defaults() { return {}; }
  Status Validate() const;
};

}  // namespace lagoa::duck
