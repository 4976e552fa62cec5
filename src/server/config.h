// ServerConfig: everything `lagoa server` can be told, and where it comes from. Each key can be set
// in a YAML file (`--config FILE` or LAGOA_CONFIG), by an environment variable LAGOA_<KEY> and by a
// flag --<key-with-dashes>; a flag beats the environment, which beats the file, which beats the
// default. A value that does not parse is an error naming the key, where it came from and what is
// allowed; once all are read, each section's Validate() checks its ranges and the rules between its
// keys (naming the key, the value and what is allowed), then the checks that span sections run.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "base/status.h"
#include "http/http_config.h"
#include "ingest/ingest_config.h"
#include "jobs/jobs_config.h"
#include "log/log_config.h"
#include "pg/pg_config.h"
#include "sql/sql_config.h"
#include "tables/tables_config.h"

namespace lagoa::server {

// One section per module, each checked by its own Validate() (src/server/README.md); the keys
// that span sections (folders, the memory budget, `insecure`, `log_level`) are here.
struct ServerConfig {
  // Absolute once loaded (LoadServerConfig resolves it against the working directory at start).
  std::filesystem::path data_dir = "./lagoa-data";
  // SQL's import/export folder: COPY … TO and EXPORT DATABASE write only here, and SQL reads files
  // only here and in the lake; empty: <data_dir>/files. Absolute once loaded.
  std::filesystem::path files_dir;
  // More folders holding Delta tables that POST /v1/tables may attach (besides files_dir). Absolute once loaded.
  std::vector<std::filesystem::path> attach_dirs;
  http::HttpConfig http;
  pg::PgConfig pg;
  log::LogConfig log;
  ingest::IngestConfig ingest;
  sql::SqlConfig sql;
  tables::TablesConfig tables;
  jobs::JobsConfig jobs;
  // The memory budget: when set (not 0), the shares (MemoryShares) that were not set themselves
  // become fixed fractions of it, and all of them together must fit in it. 0: the shares as they are.
  uint64_t memory_limit_bytes = 0;
  // `duckdb_memory_max`: what DuckDB's allocator may map in all, tracked by DuckDB or not (a
  // statement's large strings); 0 until ApplyMemoryBudget derives it from the DuckDB shares.
  uint64_t duckdb_memory_max_bytes = 0;
  // How often glibc malloc's free pages are given back to the kernel (server/heap_trimmer.h); 0: never.
  int64_t heap_trim_interval_ms = 10'000;
  // Serve HTTP without tokens, or PostgreSQL without pg_users, on an address other machines reach.
  bool insecure = false;
  std::string log_level = "info";
  // The keys a file, the environment or a flag set, and where each was set ("flag", "file F line
  // 3", "environment variable LAGOA_X"), for messages.
  std::map<std::string, std::string> key_sources;
};

// One settable key, for --help and the README.
struct ConfigKey {
  std::string name;  // as in the YAML file: data_dir
  std::string help;
  std::string default_value;
};
const std::vector<ConfigKey>& ConfigKeys();

// Sets one key from its text form. `source` names where the value came from, for the message.
Status SetConfigValue(ServerConfig& config, const std::string& key, const std::string& value,
                      const std::string& source);

// Builds the configuration from the file (if `config_file` is non-empty), then the LAGOA_*
// variables in `environment`, then `flags` (key → value, keys as in the file).
Result<ServerConfig> LoadServerConfig(const std::string& config_file,
                                      const std::map<std::string, std::string>& environment,
                                      const std::map<std::string, std::string>& flags);

// One share of the memory budget: its name on /metrics, its config key, its field, the fraction of
// memory_limit it gets when not set itself, and the least it may be.
struct MemoryShare {
  std::string name;
  std::string key;
  uint64_t* bytes;
  double fraction;
  uint64_t minimum_bytes;
};
std::vector<MemoryShare> MemoryShares(ServerConfig& config);
// Derives the shares from memory_limit (see ServerConfig::memory_limit_bytes) and checks they fit
// (without a budget: that the ingest share holds one body of max_body_bytes);
// InvalidArgument naming the keys otherwise. LoadServerConfig calls it.
Status ApplyMemoryBudget(ServerConfig& config);

// The process environment as a map, for LoadServerConfig.
std::map<std::string, std::string> ProcessEnvironment();

}  // namespace lagoa::server
