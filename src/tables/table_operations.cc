#include <fmt/format.h>
#include <simdjson.h>

#include <set>

#include "lake/delta/delta_log.h"
#include "lake/delta/delta_writer_actions.h"
#include "lake/delta/table_scan.h"
#include "lake/maintenance/table_history.h"
#include "tables/table_operations_internal.h"

namespace lagoa::tables::internal {
namespace {

// A page of rows stops growing beyond this many bytes (the caller asks for the next page).
constexpr size_t kRowsPageBytesMax = 32u << 20;

// Rows in the snapshot's files from their stats; nullopt when a file has none.
std::optional<int64_t> CountRows(const lake::Snapshot& snapshot) {
  simdjson::dom::parser parser;
  int64_t rows = 0;
  for (const lake::AddFile& file : snapshot.files()) {
    simdjson::dom::element stats;
    int64_t records = 0;
    if (file.stats.empty() || parser.parse(file.stats).get(stats) != simdjson::SUCCESS ||
        stats["numRecords"].get(records) != simdjson::SUCCESS) {
      return std::nullopt;
    }
    rows += records;
  }
  return rows;
}

TableDescription FromSnapshot(const TableInfo& table, const lake::Snapshot& snapshot) {
  TableDescription d;
  d.table = table;
  d.version = snapshot.version();
  d.id = snapshot.metadata().id;
  d.created_ms = snapshot.metadata().created_time_ms;
  d.columns = snapshot.columns();
  d.partition_columns = snapshot.metadata().partition_columns;
  std::set<lake::PartitionValues> partitions;
  for (const lake::AddFile& file : snapshot.files()) {
    d.size_bytes += static_cast<uint64_t>(file.size_bytes);
    partitions.insert(file.partition_values);
  }
  d.files = snapshot.files().size();
  d.rows = CountRows(snapshot);
  d.partitions = d.partition_columns.empty() ? 0 : partitions.size();
  d.checkpoint_version = snapshot.checkpoint_version();
  d.applications = snapshot.app_versions();
  return d;
}

Result<lake::Snapshot> LoadSnapshot(const TableRef& table, duck::Connection* duckdb,
                                    std::optional<lake::TableVersion> version = std::nullopt) {
  lake::DeltaLogReader reader(table.store, duckdb, table.prefix);
  return reader.LoadSnapshot(version);
}

// Through the table's store, not the local disk (an S3-compatible store later changes src/lake
// only). When the store cannot tell, the operation that follows reports why.
bool HasLog(const TableRef& table) {
  Result<bool> has = lake::HasDeltaLog(table.store, table.prefix);
  return !has.ok() || *has;
}

Status NothingLoaded(const TableRef& table) {
  return Status::NotFound(fmt::format(
      "table \"{}\" has no version yet: nothing of stream \"{}\" has been loaded into the lake (loading runs every "
      "lake_load_interval_ms)",
      table.info.name, table.info.name));
}

// A lake error about the table: "nothing loaded yet" for a stream table without a log, else the
// error with the table named.
Status TableError(const TableRef& table, const Status& status, std::string_view doing = "table") {
  if (table.info.kind == "stream" && status.code() == StatusCode::kNotFound && !HasLog(table)) {
    return NothingLoaded(table);
  }
  return status.WithContext(fmt::format("{} \"{}\"", doing, table.info.name));
}

}  // namespace

Result<TableDescription> Describe(const TableRef& table, const duck::DatabaseOptions& duckdb_options) {
  LAGOA_ASSIGN_OR_RETURN(auto duckdb, duck::Connection::Make(duckdb_options));
  auto snapshot = LoadSnapshot(table, duckdb.get());
  if (snapshot.ok()) return FromSnapshot(table.info, *snapshot);
  if (table.info.kind == "stream" && snapshot.status().code() == StatusCode::kNotFound && !HasLog(table)) {
    TableDescription empty;
    empty.table = table.info;
    empty.rows = 0;
    return empty;
  }
  return TableError(table, snapshot.status());
}

Result<TableHistory> History(const TableRef& table, std::optional<int64_t> limit) {
  auto commits = lake::ReadHistory(table.store, table.prefix, limit);
  if (!commits.ok()) return TableError(table, commits.status());
  return TableHistory{table.info, std::move(commits).value()};
}

Result<RowsPage> Rows(const TableRef& table, const duck::DatabaseOptions& duckdb_options, const VersionChoice& choice,
                      int64_t offset, int64_t limit) {
  LAGOA_ASSIGN_OR_RETURN(auto duckdb, duck::Connection::Make(duckdb_options));
  std::optional<lake::TableVersion> version;
  if (choice.version) version = lake::TableVersion(*choice.version);
  if (choice.timestamp_ms) {
    auto at = lake::VersionAtTimestamp(table.store, table.prefix, *choice.timestamp_ms);
    if (!at.ok()) return TableError(table, at.status());
    version = *at;
  }
  auto snapshot = LoadSnapshot(table, duckdb.get(), version);
  if (!snapshot.ok()) return TableError(table, snapshot.status());
  LAGOA_ASSIGN_OR_RETURN(std::string scan, lake::BuildScanSql(*snapshot, *table.store));
  // One thread keeps the scan in file order, so consecutive pages neither skip nor repeat rows.
  const std::string query =
      fmt::format("SELECT to_json(lagoa_row)::VARCHAR FROM ({}) AS lagoa_row LIMIT {} OFFSET {}", scan, limit, offset);
  LAGOA_RETURN_IF_ERROR(duckdb->Execute("SET threads = 1"));
  auto rows = duckdb->QueryText(query, static_cast<size_t>(limit));
  if (!rows.ok()) return TableError(table, rows.status());
  RowsPage page{table.info, snapshot->version(), {}, std::nullopt};
  size_t bytes = 0;
  for (const duck::TextRow& row : *rows) {
    if (bytes >= kRowsPageBytesMax) break;
    page.rows.push_back(row[0].value_or("null"));
    bytes += page.rows.back().size();
  }
  const auto returned = static_cast<int64_t>(page.rows.size());
  if (returned < static_cast<int64_t>(rows->size()) || returned == limit) page.next_offset = offset + returned;
  return page;
}

Result<CompactOutcome> Compact(const TableRef& table, const duck::DatabaseOptions& duckdb_options,
                               const lake::CompactOptions& options) {
  LAGOA_ASSIGN_OR_RETURN(auto duckdb, duck::Connection::Make(duckdb_options));
  if (!HasLog(table)) return NothingLoaded(table);
  lake::DeltaWriterOptions writer;
  writer.table_prefix = table.prefix;
  writer.scratch_dir = options.scratch_dir;
  auto result = lake::CompactTable(table.store, duckdb.get(), writer, options);
  if (!result.ok()) return TableError(table, result.status(), "compacting table");
  return CompactOutcome{table.info, *result};
}

Result<VacuumOutcome> Vacuum(const TableRef& table, const duck::DatabaseOptions& duckdb_options,
                             const lake::VacuumOptions& options) {
  LAGOA_ASSIGN_OR_RETURN(auto duckdb, duck::Connection::Make(duckdb_options));
  if (!HasLog(table)) return NothingLoaded(table);
  auto result = lake::VacuumTable(table.store, duckdb.get(), table.prefix, options);
  if (!result.ok()) return TableError(table, result.status(), "vacuuming table");
  VacuumOutcome outcome{table.info, options.dry_run, result->files_deleted, result->bytes_deleted, {}};
  for (const std::string& key : result->keys) outcome.files.push_back(key.substr(table.prefix.size()));
  return outcome;
}

}  // namespace lagoa::tables::internal
