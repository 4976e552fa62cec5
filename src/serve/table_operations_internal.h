// The operations behind TableApi's routes, each producing the HTTP response. Internal to src/serve;
// they run on TableApi's worker thread, one at a time, each opening its own in-memory DuckDB.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "lake/duckdb_connection.h"
#include "lake/local_object_store.h"
#include "lake/table_compaction.h"
#include "lake/table_vacuum.h"
#include "serve/http_server.h"

namespace lagoa::serve::internal {

// Where a table's Delta log and files are, and what lagoa may do with it.
struct TableRef {
  std::string name;
  std::string kind;            // "stream" or "attached"
  std::filesystem::path path;  // the table's root directory
  lake::ObjectStore* store = nullptr;
  std::string prefix;                                   // the table root's key prefix in `store`: "" or ending in '/'
  bool read_only = false;                               // attached tables
  std::unique_ptr<lake::LocalObjectStore> owned_store;  // an attached table's store
};

// Which version a read wants: the latest, a version, or the one current at a time.
struct VersionChoice {
  std::optional<int64_t> version;
  std::optional<int64_t> timestamp_ms;
};

// The table's description: kind, path, version, schema, partition columns, files, rows, bytes,
// distinct partition values, checkpoint, application (txn) versions. A stream table nothing has
// been loaded into yet is described with "version": null and no files.
HttpResponse Describe(const TableRef& table, const lake::DuckDbOptions& duckdb, unsigned status = 200);
HttpResponse History(const TableRef& table, std::optional<int64_t> limit);
// NDJSON, one object per row, `limit` rows from `offset` in the scan's order; headers
// Lagoa-Table-Version and, when more rows may follow, Lagoa-Next-Offset.
HttpResponse Rows(const TableRef& table, const lake::DuckDbOptions& duckdb, const VersionChoice& choice, int64_t offset,
                  int64_t limit);
HttpResponse Compact(const TableRef& table, const lake::DuckDbOptions& duckdb, const lake::CompactOptions& options);
HttpResponse Vacuum(const TableRef& table, const lake::DuckDbOptions& duckdb, const lake::VacuumOptions& options);

}  // namespace lagoa::serve::internal
