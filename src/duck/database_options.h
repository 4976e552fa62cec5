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
  // Where DuckDB spills what does not fit in memory_limit: each database in a folder of its own
  // below it (DuckDB names its spill files alike in every database). Empty: nothing spills, and a
  // statement beyond memory_limit fails (DuckDB's own default would be `.tmp` in the working
  // directory, outside lagoa's folders).
  std::filesystem::path temp_dir;

  static DatabaseOptions Defaults() { return {}; }
  Status Validate() const;
};

}  // namespace lagoa::duck
