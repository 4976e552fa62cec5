#include "lake/duckdb_connection.h"

#include <duckdb.h>
#include <fmt/format.h>

#include <sys/types.h>

#include <cerrno>
#include <cstring>

// jemalloc's control interface, which libduckdb exports for its own allocator. Weak: a libduckdb
// built without jemalloc leaves it null.
extern "C" int duckdb_je_mallctl(const char* name, void* old_value, size_t* old_length, void* new_value,
                                 size_t new_length) __attribute__((weak));

namespace lagoa::lake {

struct DuckDbConnection::Handles {
  duckdb_database database = nullptr;
  duckdb_connection connection = nullptr;

  ~Handles() {
    if (connection != nullptr) duckdb_disconnect(&connection);
    if (database != nullptr) duckdb_close(&database);
  }
};

namespace {

// Owns a duckdb_result: duckdb_destroy_result must run even when the query failed.
class QueryResult {
 public:
  QueryResult() = default;
  QueryResult(const QueryResult&) = delete;
  QueryResult& operator=(const QueryResult&) = delete;
  ~QueryResult() { duckdb_destroy_result(&result_); }
  duckdb_result* get() { return &result_; }

 private:
  duckdb_result result_{};
};

class DataChunk {
 public:
  explicit DataChunk(duckdb_data_chunk chunk) : chunk_(chunk) {}
  DataChunk(const DataChunk&) = delete;
  DataChunk& operator=(const DataChunk&) = delete;
  ~DataChunk() {
    if (chunk_ != nullptr) duckdb_destroy_data_chunk(&chunk_);
  }
  duckdb_data_chunk get() const { return chunk_; }

 private:
  duckdb_data_chunk chunk_;
};

class Config {
 public:
  Config() = default;
  Config(const Config&) = delete;
  Config& operator=(const Config&) = delete;
  ~Config() {
    if (config_ != nullptr) duckdb_destroy_config(&config_);
  }
  duckdb_config* out() { return &config_; }
  duckdb_config get() const { return config_; }

 private:
  duckdb_config config_ = nullptr;
};

Status RunQuery(duckdb_connection connection, std::string_view sql, QueryResult* result) {
  std::string text(sql);
  if (duckdb_query(connection, text.c_str(), result->get()) != DuckDBSuccess) {
    const char* error = duckdb_result_error(result->get());
    return Status::InvalidArgument(fmt::format("DuckDB: {}", error != nullptr ? error : "query failed"));
  }
  return Status::Ok();
}

}  // namespace

Status SetDuckDbFreedPagesKeptMs(int64_t kept_ms) {
  if (kept_ms < -1) {
    return Status::InvalidArgument(fmt::format("kept_ms must be >= -1 (-1: never given back), got {}", kept_ms));
  }
  if (duckdb_je_mallctl == nullptr) return Status::FailedPrecondition("libduckdb was built without jemalloc");
  ssize_t value = kept_ms;
  // New arenas take the defaults; the ones that exist are set one by one (an index without an
  // arena yet answers EFAULT: nothing to set there).
  for (const char* name : {"arenas.dirty_decay_ms", "arenas.muzzy_decay_ms"}) {
    if (int error = duckdb_je_mallctl(name, nullptr, nullptr, &value, sizeof(value)); error != 0) {
      return Status::Internal(
          fmt::format("DuckDB's allocator refused {} = {}: {}", name, kept_ms, std::strerror(error)));
    }
  }
  unsigned arenas = 0;
  size_t length = sizeof(arenas);
  if (int error = duckdb_je_mallctl("arenas.narenas", &arenas, &length, nullptr, 0); error != 0) {
    return Status::Internal(fmt::format("DuckDB's allocator: arenas.narenas: {}", std::strerror(error)));
  }
  for (unsigned i = 0; i < arenas; ++i) {
    for (const char* kind : {"dirty", "muzzy"}) {
      const std::string name = fmt::format("arena.{}.{}_decay_ms", i, kind);
      const int error = duckdb_je_mallctl(name.c_str(), nullptr, nullptr, &value, sizeof(value));
      if (error != 0 && error != EFAULT) {
        return Status::Internal(
            fmt::format("DuckDB's allocator refused {} = {}: {}", name, kept_ms, std::strerror(error)));
      }
    }
  }
  return Status::Ok();
}

Result<int64_t> DuckDbFreedPagesKeptMs() {
  if (duckdb_je_mallctl == nullptr) return Status::FailedPrecondition("libduckdb was built without jemalloc");
  ssize_t value = 0;
  size_t length = sizeof(value);
  if (int error = duckdb_je_mallctl("arenas.dirty_decay_ms", &value, &length, nullptr, 0); error != 0) {
    return Status::Internal(fmt::format("DuckDB's allocator: arenas.dirty_decay_ms: {}", std::strerror(error)));
  }
  return static_cast<int64_t>(value);
}

Status DuckDbOptions::Validate() const {
  if (threads < 1) return Status::InvalidArgument(fmt::format("duckdb `threads` must be >= 1, got {}", threads));
  if (memory_limit.empty()) return Status::InvalidArgument("duckdb `memory_limit` is empty; e.g. \"512MB\"");
  return Status::Ok();
}

DuckDbConnection::DuckDbConnection(std::unique_ptr<Handles> handles) : handles_(std::move(handles)) {}
DuckDbConnection::~DuckDbConnection() = default;

Result<std::unique_ptr<DuckDbConnection>> DuckDbConnection::Make(const DuckDbOptions& options) {
  LAGOA_RETURN_IF_ERROR(options.Validate());
  Config config;
  if (duckdb_create_config(config.out()) != DuckDBSuccess) return Status::Internal("DuckDB: cannot create a config");
  const std::string threads = std::to_string(options.threads);
  if (duckdb_set_config(config.get(), "threads", threads.c_str()) != DuckDBSuccess ||
      duckdb_set_config(config.get(), "memory_limit", options.memory_limit.c_str()) != DuckDBSuccess) {
    return Status::InvalidArgument(
        fmt::format("DuckDB rejected threads={} or memory_limit={}", threads, options.memory_limit));
  }
  auto handles = std::make_unique<Handles>();
  char* error = nullptr;
  if (duckdb_open_ext(nullptr, &handles->database, config.get(), &error) != DuckDBSuccess) {
    std::string message = error != nullptr ? error : "unknown error";
    duckdb_free(error);
    handles->database = nullptr;
    return Status::Internal("DuckDB: cannot open an in-memory database: " + message);
  }
  if (duckdb_connect(handles->database, &handles->connection) != DuckDBSuccess) {
    handles->connection = nullptr;
    return Status::Internal("DuckDB: cannot connect to the in-memory database");
  }
  auto connection = std::unique_ptr<DuckDbConnection>(new DuckDbConnection(std::move(handles)));
  // Timestamps without a zone (Delta partition values) mean UTC, whatever the machine's zone.
  LAGOA_RETURN_IF_ERROR(connection->Execute("SET TimeZone = 'UTC'"));
  return connection;
}

_duckdb_connection* DuckDbConnection::raw() { return handles_->connection; }

Status DuckDbConnection::Execute(std::string_view sql) {
  QueryResult result;
  return RunQuery(handles_->connection, sql, &result);
}

Result<std::vector<TextRow>> DuckDbConnection::QueryText(std::string_view sql, size_t rows_max) {
  QueryResult result;
  LAGOA_RETURN_IF_ERROR(RunQuery(handles_->connection, sql, &result));
  const idx_t columns = duckdb_column_count(result.get());
  for (idx_t c = 0; c < columns; ++c) {
    if (duckdb_column_type(result.get(), c) != DUCKDB_TYPE_VARCHAR) {
      return Status::InvalidArgument(
          fmt::format("DuckDB result column {} (\"{}\") is not VARCHAR; cast it in the query", c,
                      duckdb_column_name(result.get(), c)));
    }
  }
  std::vector<TextRow> rows;
  while (true) {
    DataChunk chunk(duckdb_fetch_chunk(*result.get()));
    if (chunk.get() == nullptr) break;
    const idx_t size = duckdb_data_chunk_get_size(chunk.get());
    if (rows.size() + size > rows_max) {
      return Status::ResourceExhausted(fmt::format("DuckDB query returned more than {} rows", rows_max));
    }
    const size_t first = rows.size();
    rows.resize(first + size, TextRow(columns));
    for (idx_t c = 0; c < columns; ++c) {
      duckdb_vector vector = duckdb_data_chunk_get_vector(chunk.get(), c);
      auto* strings = static_cast<duckdb_string_t*>(duckdb_vector_get_data(vector));
      uint64_t* validity = duckdb_vector_get_validity(vector);
      for (idx_t r = 0; r < size; ++r) {
        if (validity != nullptr && !duckdb_validity_row_is_valid(validity, r)) continue;
        rows[first + r][c].emplace(duckdb_string_t_data(&strings[r]), duckdb_string_t_length(strings[r]));
      }
    }
  }
  return rows;
}

std::string SqlStringLiteral(std::string_view text) {
  std::string out = "'";
  for (char ch : text) {
    if (ch == '\'') out += '\'';
    out += ch;
  }
  out += '\'';
  return out;
}

}  // namespace lagoa::lake
