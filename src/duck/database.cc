#include "duck/database.h"

#include <fmt/format.h>

#include <unistd.h>

#include <atomic>
#include <optional>
#include <utility>

#include "base/parse_number.h"
#include "duck/connection.h"

namespace lagoa::duck {

Status DatabaseOptions::Validate() const {
  if (threads < 1) return Status::InvalidArgument(fmt::format("duckdb `threads` must be >= 1, got {}", threads));
  if (memory_limit.empty()) return Status::InvalidArgument("duckdb `memory_limit` is empty; e.g. \"512MB\"");
  return Status::Ok();
}

Result<DatabaseHandle> OpenDatabase(const DatabaseOptions& options, std::string_view purpose) {
  LAGOA_RETURN_IF_ERROR(options.Validate());
  ConfigHandle config;
  if (duckdb_create_config(config.out()) != DuckDBSuccess) return Status::Internal("DuckDB: cannot create a config");
  const std::string threads = std::to_string(options.threads);
  static std::atomic<uint64_t> next_spill_folder{0};
  const std::string temp_dir =
      options.temp_dir.empty()
          ? std::string()
          : (options.temp_dir / fmt::format("duckdb-{}-{}", ::getpid(), next_spill_folder.fetch_add(1))).string();
  const std::pair<const char*, const char*> settings[] = {
      {"threads", threads.c_str()},
      {"memory_limit", options.memory_limit.c_str()},
      {"autoinstall_known_extensions", "false"},
      {"autoload_known_extensions", "false"},
      {"allow_community_extensions", "false"},
      {"allow_persistent_secrets", "false"},
      {"temp_directory", temp_dir.c_str()},
      // DuckDB keeps the bytes it read from files in its buffer pool, up to memory_limit, and gives
      // them back only under pressure. lagoa's files are local, and the kernel's page cache holds
      // them already: the copy only grew the server (119 MiB an hour into the soak, still growing).
      {"enable_external_file_cache", "false"},
  };
  for (const auto& [name, value] : settings) {
    if (duckdb_set_config(config.get(), name, value) != DuckDBSuccess) {
      return Status::InvalidArgument(fmt::format("DuckDB rejected the setting {} = {} for {}", name, value, purpose));
    }
  }
  DatabaseHandle database;
  char* error = nullptr;
  if (duckdb_open_ext(nullptr, database.out(), config.get(), &error) != DuckDBSuccess) {
    std::string message = error != nullptr ? error : "unknown error";
    duckdb_free(error);
    return Status::InvalidArgument(fmt::format("DuckDB: cannot open {}: {}", purpose, message));
  }
  LAGOA_ASSIGN_OR_RETURN(ConnectionHandle setup, Connect(database.get()));
  // A timestamp without a zone (a Delta partition value, a literal) means UTC, whatever the
  // machine's zone; a SQL session may SET its own.
  LAGOA_RETURN_IF_ERROR(Execute(setup.get(), "SET GLOBAL TimeZone = 'UTC'"));
  return database;
}

Result<ConnectionHandle> Connect(duckdb_database database) {
  ConnectionHandle connection;
  if (duckdb_connect(database, connection.out()) != DuckDBSuccess) {
    return Status::Internal("DuckDB: cannot connect to an in-memory database");
  }
  return connection;
}

Result<uint64_t> MemoryUsedBytes(duckdb_connection connection) {
  LAGOA_ASSIGN_OR_RETURN(
      std::vector<TextRow> rows,
      QueryText(connection, "SELECT coalesce(sum(memory_usage_bytes), 0)::VARCHAR FROM duckdb_memory()"));
  const std::string& text = rows.at(0).at(0).value();
  const std::optional<uint64_t> bytes = ParseInteger<uint64_t>(text);
  if (!bytes) return Status::Internal(fmt::format("DuckDB: duckdb_memory() summed to \"{}\", not a byte count", text));
  return *bytes;
}

}  // namespace lagoa::duck
