// ServerConfig: everything `lagoa server` can be told, and where it comes from. Each key can be set
// in a YAML file (`--config FILE` or LAGOA_CONFIG), by an environment variable LAGOA_<KEY> and by a
// flag --<key-with-dashes>; a flag beats the environment, which beats the file, which beats the
// default. A wrong value is an error naming the key, where it came from and what is allowed.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"

namespace lagoa::server {

struct ServerConfig {
  // Absolute once loaded (LoadServerConfig resolves it against the working directory at start).
  std::filesystem::path data_dir = "./lagoa-data";
  // SQL's import/export folder: COPY … TO and EXPORT DATABASE write only here, and SQL reads files
  // only here and in the lake; empty: <data_dir>/files. Absolute once loaded.
  std::filesystem::path files_dir;
  // More folders holding Delta tables that POST /v1/tables may attach (besides files_dir). Absolute once loaded.
  std::vector<std::filesystem::path> attach_dirs;
  std::string http_host = "127.0.0.1";
  uint16_t http_port = 8080;
  bool durability_fsync = true;  // durability: fsync | none (none is for benchmarks only)
  uint64_t segment_bytes_max = 128ull << 20;
  uint64_t free_space_min_bytes = 1ull << 30;
  double free_space_min_percent = 5.0;
  uint64_t max_body_bytes = 16ull << 20;
  uint64_t ingest_memory_bytes_max = 256ull << 20;  // request bodies held at once, all connections
  uint64_t log_pending_bytes_max = 64ull << 20;     // appends queued for group commit
  int64_t idempotency_window_hours = 24;            // how long a producer's Idempotency-Key is remembered
  uint64_t idempotency_keys_max = 100000;           // keys remembered per partition (the oldest go first)
  uint32_t max_connections = 10000;
  uint32_t http_threads = 0;  // 0: one per core
  bool auto_create_streams = false;
  int64_t retention_max_age_ms = -1;      // default for new streams; -1 keeps events forever
  int64_t retention_max_bytes = -1;       // per partition; -1 is unlimited
  int64_t lake_load_interval_ms = 60000;  // between loads of streams into the lake; -1 turns loading off
  // Between maintenance passes over the stream tables (compaction, orphan cleanup, VACUUM); -1 off.
  int64_t lake_maintenance_interval_ms = 600000;
  // Lake data files: a load writes at most about this much record payload per file, and
  // compaction merges files under a quarter of it into files of about this size.
  uint64_t lake_file_bytes_target = 128ull << 20;
  int lake_load_nice = 10;                           // the loader's CPU priority (nice, 0-19), below ingest and queries
  int64_t lake_vacuum_retention_hours = 168;         // VACUUM keeps unreferenced files this long; -1: never vacuum
  uint32_t sql_threads = 0;                          // DuckDB worker threads; 0: one per core
  uint64_t sql_memory_limit_bytes = 2ull << 30;      // DuckDB's memory limit for all statements
  uint64_t sql_tail_cache_bytes = 256ull << 20;      // decoded live tails kept between statements
  uint64_t table_memory_limit_bytes = 512ull << 20;  // DuckDB's limit for one table operation (describe, compact …)
  uint64_t lake_memory_limit_bytes = 256ull << 20;   // DuckDB's limit for the lake loader and maintenance
  // The memory budget: when set (not 0), the shares above that were not set themselves
  // (sql_memory_limit, sql_tail_cache, ingest_memory_bytes_max, log_pending_bytes_max,
  // table_memory_limit, lake_memory_limit) become fixed fractions of it, and all of them together
  // must fit in it. 0: the shares as they are.
  uint64_t memory_limit_bytes = 0;
  std::set<std::string> keys_set;             // the keys a file, the environment or a flag set
  int64_t sql_statement_timeout_ms = 300000;  // 0: no limit
  uint32_t sql_http_workers = 4;              // POST /v1/sql statements running at once
  bool pg_enabled = true;                     // the PostgreSQL wire protocol front door
  std::string pg_host = "127.0.0.1";
  uint16_t pg_port = 5433;
  uint32_t pg_connections_max = 64;
  std::vector<std::pair<std::string, std::string>> pg_users;  // (name, password); empty: trust
  // NAME:SHA256,…: HTTP requests must carry one of these bearer tokens (serve/http_auth.h); empty:
  // none needed, which only a loopback address or `insecure` allows.
  std::string http_tokens;
  // Serve HTTP without tokens, or PostgreSQL without pg_users, on an address other machines reach.
  bool insecure = false;
  std::string log_level = "info";
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
// Derives the shares from memory_limit (see ServerConfig::memory_limit_bytes) and checks they fit;
// InvalidArgument naming the keys otherwise. LoadServerConfig calls it.
Status ApplyMemoryBudget(ServerConfig& config);

// The process environment as a map, for LoadServerConfig.
std::map<std::string, std::string> ProcessEnvironment();

}  // namespace lagoa::server
