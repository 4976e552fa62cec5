// The operations behind TableService's calls, each returning its typed result. Internal to
// src/tables; they run on the service's worker thread, one at a time, each opening its own
// in-memory DuckDB.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "duck/connection.h"
#include "lake/maintenance/table_compaction.h"
#include "lake/maintenance/table_vacuum.h"
#include "lake/store/open_object_store.h"
#include "tables/table_service.h"

namespace lagoa::tables::internal {

// Where a table's Delta log and files are, and what lagoa may do with it.
struct TableRef {
  TableInfo info;
  lake::ObjectStore* store = nullptr;
  std::string prefix;                              // the table root's key prefix in `store`: "" or ending in '/'
  std::unique_ptr<lake::ObjectStore> owned_store;  // the store of a table in a folder of its own
};

Result<TableDescription> Describe(const TableRef& table, const duck::DatabaseOptions& duckdb);
Result<TableHistory> History(const TableRef& table, std::optional<int64_t> limit);
// `limit` rows from `offset` in the scan's order (one thread, so pages neither skip nor repeat).
Result<RowsPage> Rows(const TableRef& table, const duck::DatabaseOptions& duckdb, const VersionChoice& choice,
                      int64_t offset, int64_t limit);
Result<CompactOutcome> Compact(const TableRef& table, const duck::DatabaseOptions& duckdb,
                               const lake::CompactOptions& options);
Result<VacuumOutcome> Vacuum(const TableRef& table, const duck::DatabaseOptions& duckdb,
                             const lake::VacuumOptions& options);

}  // namespace lagoa::tables::internal
