#include <fmt/format.h>
#include <simdjson.h>

#include <set>

#include "base/clock.h"
#include "base/json_writer.h"
#include "lake/delta_log.h"
#include "lake/delta_writer_actions.h"
#include "lake/table_history.h"
#include "lake/table_scan.h"
#include "serve/table_operations_internal.h"

namespace lagoa::serve::internal {
namespace {

// A page of rows stops growing beyond this many bytes (the client asks for the next page).
constexpr size_t kRowsBodyBytesMax = 32u << 20;

std::string FormatMillis(int64_t ms) { return FormatRfc3339Micros(ms * 1000); }

Result<std::unique_ptr<lake::DuckDbConnection>> OpenDuckDb(const lake::DuckDbOptions& options) {
  return lake::DuckDbConnection::Make(options);
}

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

void WriteTableIdentity(JsonWriter& w, const TableRef& table) {
  w.Key("name").String(table.name).Key("kind").String(table.kind).Key("path").String(table.path.string());
  w.Key("read_only").Bool(table.read_only);
}

void WriteSnapshot(JsonWriter& w, const lake::Snapshot& snapshot) {
  w.Key("version").Int(snapshot.version().value()).Key("id").String(snapshot.metadata().id);
  w.Key("created");
  if (snapshot.metadata().created_time_ms) {
    w.String(FormatMillis(*snapshot.metadata().created_time_ms));
  } else {
    w.Null();
  }
  w.Key("columns").BeginArray();
  for (const lake::DeltaColumn& column : snapshot.columns()) {
    w.BeginObject().Key("name").String(column.name).Key("type");
    if (column.type) {
      w.String(column.type->ToSql());
    } else {
      w.Null();
    }
    w.Key("delta_type").String(column.spark_type).Key("nullable").Bool(column.nullable).EndObject();
  }
  w.EndArray().Key("partition_columns").BeginArray();
  for (const std::string& column : snapshot.metadata().partition_columns) w.String(column);
  w.EndArray();
  uint64_t bytes = 0;
  std::set<lake::PartitionValues> partitions;
  for (const lake::AddFile& file : snapshot.files()) {
    bytes += static_cast<uint64_t>(file.size_bytes);
    partitions.insert(file.partition_values);
  }
  w.Key("files").Uint(snapshot.files().size()).Key("rows");
  if (auto rows = CountRows(snapshot)) {
    w.Int(*rows);
  } else {
    w.Null();
  }
  w.Key("size_bytes").Uint(bytes);
  w.Key("partitions").Uint(snapshot.metadata().partition_columns.empty() ? 0 : partitions.size());
  w.Key("checkpoint_version");
  if (snapshot.checkpoint_version()) {
    w.Int(snapshot.checkpoint_version()->value());
  } else {
    w.Null();
  }
  w.Key("applications").BeginObject();
  for (const auto& [app_id, version] : snapshot.app_versions()) w.Key(app_id).Int(version);
  w.EndObject();
}

Result<lake::Snapshot> LoadSnapshot(const TableRef& table, lake::DuckDbConnection* duckdb,
                                    std::optional<lake::TableVersion> version = std::nullopt) {
  lake::DeltaLogReader reader(table.store, duckdb, table.prefix);
  return reader.LoadSnapshot(version);
}

Status NothingLoaded(const TableRef& table) {
  return Status::NotFound(fmt::format(
      "table \"{}\" has no version yet: nothing of stream \"{}\" has been loaded into the lake (loading runs every "
      "lake_load_interval_ms)",
      table.name, table.name));
}

bool NoLogYet(const TableRef& table, const Status& status) {
  return table.kind == "stream" && status.code() == StatusCode::kNotFound &&
         !std::filesystem::exists(table.path / "_delta_log");
}

}  // namespace

HttpResponse Describe(const TableRef& table, const lake::DuckDbOptions& duckdb_options, unsigned status) {
  auto duckdb = OpenDuckDb(duckdb_options);
  if (!duckdb.ok()) return HttpResponse::FromStatus(duckdb.status());
  auto snapshot = LoadSnapshot(table, duckdb->get());
  JsonWriter w;
  w.BeginObject();
  WriteTableIdentity(w, table);
  if (snapshot.ok()) {
    WriteSnapshot(w, *snapshot);
  } else if (NoLogYet(table, snapshot.status())) {
    w.Key("version").Null().Key("files").Int(0).Key("rows").Int(0).Key("size_bytes").Int(0);
  } else {
    return HttpResponse::FromStatus(snapshot.status().WithContext(fmt::format("table \"{}\"", table.name)));
  }
  w.EndObject();
  return HttpResponse::Json(status, w.Take());
}

HttpResponse History(const TableRef& table, std::optional<int64_t> limit) {
  auto history = lake::ReadHistory(table.store, table.prefix, limit);
  if (!history.ok() && NoLogYet(table, history.status())) return HttpResponse::FromStatus(NothingLoaded(table));
  if (!history.ok())
    return HttpResponse::FromStatus(history.status().WithContext(fmt::format("table \"{}\"", table.name)));
  JsonWriter w;
  w.BeginObject();
  WriteTableIdentity(w, table);
  w.Key("commits").BeginArray();
  for (const lake::CommitSummary& commit : *history) {
    w.BeginObject()
        .Key("version")
        .Int(commit.version.value())
        .Key("timestamp")
        .String(FormatMillis(commit.timestamp_ms));
    w.Key("operation").String(commit.operation).Key("operation_parameters").BeginObject();
    for (const auto& [key, value] : commit.operation_parameters) w.Key(key).String(value);
    w.EndObject().Key("engine_info").String(commit.engine_info);
    w.Key("files_added").Int(commit.files_added).Key("files_removed").Int(commit.files_removed);
    w.Key("rows_added").Int(commit.rows_added).Key("bytes_added").Int(commit.bytes_added).EndObject();
  }
  w.EndArray().EndObject();
  return HttpResponse::Json(200, w.Take());
}

HttpResponse Rows(const TableRef& table, const lake::DuckDbOptions& duckdb_options, const VersionChoice& choice,
                  int64_t offset, int64_t limit) {
  auto duckdb = OpenDuckDb(duckdb_options);
  if (!duckdb.ok()) return HttpResponse::FromStatus(duckdb.status());
  std::optional<lake::TableVersion> version;
  if (choice.version) version = lake::TableVersion(*choice.version);
  if (choice.timestamp_ms) {
    auto at = lake::VersionAtTimestamp(table.store, table.prefix, *choice.timestamp_ms);
    if (!at.ok() && NoLogYet(table, at.status())) return HttpResponse::FromStatus(NothingLoaded(table));
    if (!at.ok()) return HttpResponse::FromStatus(at.status().WithContext(fmt::format("table \"{}\"", table.name)));
    version = *at;
  }
  auto snapshot = LoadSnapshot(table, duckdb->get(), version);
  if (!snapshot.ok() && NoLogYet(table, snapshot.status())) return HttpResponse::FromStatus(NothingLoaded(table));
  if (!snapshot.ok())
    return HttpResponse::FromStatus(snapshot.status().WithContext(fmt::format("table \"{}\"", table.name)));
  auto scan = lake::BuildScanSql(*snapshot, *table.store);
  if (!scan.ok()) return HttpResponse::FromStatus(scan.status());
  // One thread keeps the scan in file order, so consecutive pages neither skip nor repeat rows.
  std::string query =
      fmt::format("SELECT to_json(lagoa_row)::VARCHAR FROM ({}) AS lagoa_row LIMIT {} OFFSET {}", *scan, limit, offset);
  if (Status s = (*duckdb)->Execute("SET threads = 1"); !s.ok()) return HttpResponse::FromStatus(s);
  auto rows = (*duckdb)->QueryText(query, static_cast<size_t>(limit));
  if (!rows.ok()) return HttpResponse::FromStatus(rows.status().WithContext(fmt::format("table \"{}\"", table.name)));
  HttpResponse response;
  response.content_type = "application/x-ndjson";
  int64_t returned = 0;
  for (const lake::TextRow& row : *rows) {
    if (response.body.size() >= kRowsBodyBytesMax) break;
    response.body += row[0].value_or("null");
    response.body += '\n';
    ++returned;
  }
  response.headers.emplace_back("Lagoa-Table-Version", std::to_string(snapshot->version().value()));
  if (returned < static_cast<int64_t>(rows->size()) || returned == limit) {
    response.headers.emplace_back("Lagoa-Next-Offset", std::to_string(offset + returned));
  }
  return response;
}

HttpResponse Compact(const TableRef& table, const lake::DuckDbOptions& duckdb_options,
                     const lake::CompactOptions& options) {
  auto duckdb = OpenDuckDb(duckdb_options);
  if (!duckdb.ok()) return HttpResponse::FromStatus(duckdb.status());
  if (!std::filesystem::exists(table.path / "_delta_log")) return HttpResponse::FromStatus(NothingLoaded(table));
  lake::DeltaWriterOptions writer;
  writer.table_prefix = table.prefix;
  writer.scratch_dir = options.scratch_dir;
  auto result = lake::CompactTable(table.store, duckdb->get(), writer, options);
  if (!result.ok())
    return HttpResponse::FromStatus(result.status().WithContext(fmt::format("compacting table \"{}\"", table.name)));
  JsonWriter w;
  w.BeginObject();
  WriteTableIdentity(w, table);
  w.Key("version");
  if (result->version) {
    w.Int(result->version->value());
  } else {
    w.Null();
  }
  w.Key("files_removed").Int(result->files_removed).Key("files_added").Int(result->files_added);
  w.Key("bytes_removed").Uint(result->bytes_removed).Key("bytes_added").Uint(result->bytes_added);
  w.Key("rows").Uint(result->rows).EndObject();
  return HttpResponse::Json(200, w.Take());
}

HttpResponse Vacuum(const TableRef& table, const lake::DuckDbOptions& duckdb_options,
                    const lake::VacuumOptions& options) {
  auto duckdb = OpenDuckDb(duckdb_options);
  if (!duckdb.ok()) return HttpResponse::FromStatus(duckdb.status());
  if (!std::filesystem::exists(table.path / "_delta_log")) return HttpResponse::FromStatus(NothingLoaded(table));
  auto result = lake::VacuumTable(table.store, duckdb->get(), table.prefix, options);
  if (!result.ok())
    return HttpResponse::FromStatus(result.status().WithContext(fmt::format("vacuuming table \"{}\"", table.name)));
  JsonWriter w;
  w.BeginObject();
  WriteTableIdentity(w, table);
  w.Key("dry_run").Bool(options.dry_run).Key("files_deleted").Int(result->files_deleted);
  w.Key("bytes_deleted").Uint(result->bytes_deleted).Key("files").BeginArray();
  for (const std::string& key : result->keys) w.String(key.substr(table.prefix.size()));
  w.EndArray().EndObject();
  return HttpResponse::Json(200, w.Take());
}

}  // namespace lagoa::serve::internal
