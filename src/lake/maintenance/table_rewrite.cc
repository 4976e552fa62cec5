#include "lake/maintenance/table_rewrite.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "lake/delta/delta_log.h"
#include "lake/delta/delta_schema.h"
#include "lake/delta/delta_writer_actions.h"
#include "lake/maintenance/maintenance_files_internal.h"

namespace lagoa::lake {
namespace {

using maintenance::FileScan;
using maintenance::NewFile;

// Files counted per query (a UNION ALL of per-file scans).
constexpr size_t kFilesPerCountQuery = 64;
// Distinct partitions one overwrite may write (one file each).
constexpr size_t kNewPartitionsMax = 10'000;

struct FileMatch {
  const AddFile* file = nullptr;
  FileScan scan;
  uint64_t matched = 0;
  uint64_t total = 0;
};

Result<uint64_t> ParseCount(const std::optional<std::string>& text) {
  uint64_t value = 0;
  if (!text) return Status::Internal("DuckDB returned NULL for a count");
  auto [end, error] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (error != std::errc() || end != text->data() + text->size()) {
    return Status::Internal(fmt::format("DuckDB returned \"{}\" for a count", *text));
  }
  return value;
}

// How many rows of each active file match the predicate.
Result<std::vector<FileMatch>> CountMatches(ObjectStore* store, duck::Connection* duckdb, const Snapshot& snapshot,
                                            const std::string& predicate_sql) {
  std::vector<FileMatch> matches;
  for (const AddFile& file : snapshot.files()) {
    LAGOA_ASSIGN_OR_RETURN(FileScan scan, maintenance::BuildFileScan(duckdb, *store, snapshot, file));
    matches.push_back({&file, std::move(scan), 0, 0});
  }
  for (size_t first = 0; first < matches.size(); first += kFilesPerCountQuery) {
    const size_t end = std::min(matches.size(), first + kFilesPerCountQuery);
    std::vector<std::string> parts;
    for (size_t i = first; i < end; ++i) {
      parts.push_back(fmt::format(
          "SELECT {}::VARCHAR, (count(*) FILTER (WHERE {} IS TRUE))::VARCHAR, count(*)::VARCHAR FROM ({}) AS t", i,
          maintenance::PredicateSql(predicate_sql), matches[i].scan.sql));
    }
    LAGOA_ASSIGN_OR_RETURN(std::vector<duck::TextRow> rows,
                           duckdb->QueryText(fmt::format("{}", fmt::join(parts, " UNION ALL "))));
    for (const duck::TextRow& row : rows) {
      LAGOA_ASSIGN_OR_RETURN(uint64_t index, ParseCount(row[0]));
      if (index < first || index >= end) return Status::Internal("DuckDB returned a count for an unknown file");
      LAGOA_ASSIGN_OR_RETURN(matches[index].matched, ParseCount(row[1]));
      LAGOA_ASSIGN_OR_RETURN(matches[index].total, ParseCount(row[2]));
    }
  }
  return matches;
}

// The removes and adds of one rewrite, and the new files to delete if it is not committed.
struct Plan {
  std::vector<Action> actions;
  std::vector<AddFile> added;
  RewriteResult result;
};

// Removes the files with matching rows and writes each one's other rows into a new file.
// `predicate_sql` empty: every file is removed (its rows counted, none rewritten).
Status RemoveMatchingRows(ObjectStore* store, duck::Connection* duckdb, const Snapshot& snapshot,
                          const std::string& predicate_sql, const std::filesystem::path& scratch_dir, Plan& plan) {
  const int64_t now_ms = maintenance::NowMs();
  auto remove = [&](const AddFile& file, uint64_t rows) {
    plan.actions.emplace_back(RemoveFile{.path = file.path, .deletion_timestamp_ms = now_ms, .data_change = true});
    ++plan.result.files_removed;
    plan.result.rows_deleted += rows;
  };
  if (predicate_sql.empty()) {
    LAGOA_ASSIGN_OR_RETURN(std::vector<FileMatch> all, CountMatches(store, duckdb, snapshot, "true"));
    for (const FileMatch& match : all) remove(*match.file, match.total);
    return Status::Ok();
  }
  LAGOA_ASSIGN_OR_RETURN(std::vector<FileMatch> matches, CountMatches(store, duckdb, snapshot, predicate_sql));
  for (const FileMatch& match : matches) {
    if (match.matched == 0) continue;
    remove(*match.file, match.matched);
    if (match.matched == match.total) continue;
    const std::string kept =
        fmt::format("SELECT {} FROM ({}) AS t WHERE {} IS NOT TRUE", fmt::join(match.scan.raw_select, ", "),
                    match.scan.sql, maintenance::PredicateSql(predicate_sql));
    LAGOA_ASSIGN_OR_RETURN(std::optional<NewFile> written,
                           maintenance::WriteDataFile(store, duckdb, snapshot, kept, match.file->partition_values,
                                                      scratch_dir, /*data_change=*/true));
    const uint64_t expected = match.total - match.matched;
    if (written) plan.added.push_back(written->add);
    if (!written || written->rows != expected) {
      return Status::Internal(fmt::format("rewriting `{}` kept {} rows where {} were expected", match.file->path,
                                          written ? written->rows : 0, expected));
    }
    ++plan.result.files_added;
    plan.result.rows_written += written->rows;
  }
  return Status::Ok();
}

// The rows of `select_sql` as the table's columns: positional, cast to each column's type (JSON
// as VARCHAR text, as the loader writes it; a column without a lagoa type as given).
Result<std::string> NewRowsSql(duck::Connection* duckdb, const Snapshot& snapshot, const std::string& select_sql) {
  auto described =
      duckdb->QueryText(fmt::format("SELECT column_name::VARCHAR FROM (DESCRIBE SELECT * FROM ({}))", select_sql));
  if (!described.ok()) {
    return Status::InvalidArgument(fmt::format("select `{}`: {}", select_sql, described.status().message()));
  }
  if (described->size() != snapshot.columns().size()) {
    return Status::InvalidArgument(fmt::format("select `{}` returns {} columns; the table has {}", select_sql,
                                               described->size(), snapshot.columns().size()));
  }
  std::vector<std::string> names;
  std::vector<std::string> casts;
  for (const DeltaColumn& column : snapshot.columns()) {
    const std::string name = schema::QuoteIdentifier(column.name);
    names.push_back(name);
    if (!column.type) {
      casts.push_back(fmt::format("s.{} AS {}", name, name));
    } else {
      const bool json = column.type->id() == schema::TypeId::kJson;
      casts.push_back(fmt::format("CAST(s.{} AS {}) AS {}", name, json ? "VARCHAR" : column.type->ToSql(), name));
    }
  }
  return fmt::format("SELECT {} FROM ({}) AS s({})", fmt::join(casts, ", "), select_sql, fmt::join(names, ", "));
}

// A partition column's value in the SELECT of new rows as Delta's partition value text (timestamps
// in UTC, as "2024-05-01 12:00:00.000000"; the scan reads them back as UTC).
Result<std::string> PartitionValueSql(const DeltaColumn& column) {
  if (!column.type || column.type->is_nested()) {
    return Status::InvalidArgument(
        fmt::format("partition column `{}` has type {}, which lagoa cannot write as a partition value", column.name,
                    column.spark_type));
  }
  const std::string value = "n." + schema::QuoteIdentifier(column.name);
  const schema::TypeId id = column.type->id();
  if (id == schema::TypeId::kTimestamp || id == schema::TypeId::kTimestampTz) {
    return fmt::format("strftime({}, '%Y-%m-%d %H:%M:%S.%f')", value);
  }
  return fmt::format("CAST({} AS VARCHAR)", value);
}

// Writes the new rows: one file per distinct partition (in its partition directory, partition
// columns not stored), or one file for an unpartitioned table.
Status WriteNewRows(ObjectStore* store, duck::Connection* duckdb, const Snapshot& snapshot, const std::string& new_rows,
                    const std::filesystem::path& scratch_dir, Plan& plan) {
  std::vector<std::string> data_select;
  for (const DeltaColumn& column : maintenance::DataColumns(snapshot)) {
    data_select.push_back("n." + schema::QuoteIdentifier(column.name));
  }
  if (data_select.empty())
    return Status::InvalidArgument("the table has no data columns besides its partition columns");
  std::vector<std::string> partition_names;
  std::vector<std::string> partition_exprs;
  for (const DeltaColumn& column : snapshot.columns()) {
    const std::vector<std::string>& partitions = snapshot.metadata().partition_columns;
    if (std::find(partitions.begin(), partitions.end(), column.name) == partitions.end()) continue;
    LAGOA_ASSIGN_OR_RETURN(std::string expr, PartitionValueSql(column));
    partition_names.push_back(column.name);
    partition_exprs.push_back(std::move(expr));
  }
  std::vector<PartitionValues> partitions = {{}};
  if (!partition_exprs.empty()) {
    LAGOA_ASSIGN_OR_RETURN(
        std::vector<duck::TextRow> rows,
        duckdb->QueryText(fmt::format("SELECT DISTINCT {} FROM ({}) AS n", fmt::join(partition_exprs, ", "), new_rows),
                          kNewPartitionsMax));
    partitions.clear();
    for (const duck::TextRow& row : rows) {
      PartitionValues values;
      for (size_t i = 0; i < row.size(); ++i) {
        // An empty string is null in Delta's partition values.
        values[partition_names[i]] = row[i] && !row[i]->empty() ? row[i] : std::nullopt;
      }
      partitions.push_back(std::move(values));
    }
  }
  for (const PartitionValues& values : partitions) {
    std::vector<std::string> conditions = {"true"};
    for (size_t i = 0; i < partition_names.size(); ++i) {
      const std::optional<std::string>& value = values.at(partition_names[i]);
      conditions.push_back(value ? fmt::format("{} = {}", partition_exprs[i], duck::SqlStringLiteral(*value))
                                 : fmt::format("coalesce({}, '') = ''", partition_exprs[i]));
    }
    const std::string rows_sql = fmt::format("SELECT {} FROM ({}) AS n WHERE {}", fmt::join(data_select, ", "),
                                             new_rows, fmt::join(conditions, " AND "));
    LAGOA_ASSIGN_OR_RETURN(std::optional<NewFile> written,
                           maintenance::WriteDataFile(store, duckdb, snapshot, rows_sql, values, scratch_dir,
                                                      /*data_change=*/true));
    if (!written) continue;
    plan.added.push_back(written->add);
    ++plan.result.files_added;
    plan.result.rows_written += written->rows;
  }
  return Status::Ok();
}

Result<RewriteResult> CommitPlan(ObjectStore* store, duck::Connection* duckdb, const DeltaWriterOptions& writer,
                                 const Snapshot& snapshot, Plan& plan, const CommitOptions& options) {
  if (plan.actions.empty() && plan.added.empty()) return plan.result;
  for (const AddFile& add : plan.added) plan.actions.emplace_back(add);
  LAGOA_ASSIGN_OR_RETURN(std::unique_ptr<DeltaTableWriter> table_writer, DeltaTableWriter::Make(store, duckdb, writer));
  Result<CommitResult> committed = table_writer->Commit(plan.actions, snapshot.version(), options);
  if (!committed.ok()) {
    if (maintenance::CommitCertainlyFailed(committed.status())) {
      maintenance::DeleteBestEffort(store, snapshot.table_prefix(), plan.added);
    }
    return committed.status();
  }
  plan.result.version = committed->version;
  return plan.result;
}

Result<Snapshot> LoadWritable(ObjectStore* store, duck::Connection* duckdb, const DeltaWriterOptions& writer) {
  LAGOA_RETURN_IF_ERROR(writer.Validate());
  LAGOA_ASSIGN_OR_RETURN(Snapshot snapshot, DeltaLogReader(store, duckdb, writer.table_prefix).LoadSnapshot());
  LAGOA_RETURN_IF_ERROR(CheckWriterProtocol(snapshot.protocol()));
  return snapshot;
}

}  // namespace

Result<RewriteResult> DeleteWhere(ObjectStore* store, duck::Connection* duckdb, const DeltaWriterOptions& writer,
                                  const std::string& predicate_sql, const std::filesystem::path& scratch_dir) {
  LAGOA_ASSIGN_OR_RETURN(Snapshot snapshot, LoadWritable(store, duckdb, writer));
  LAGOA_RETURN_IF_ERROR(maintenance::CheckPredicate(duckdb, snapshot, predicate_sql));
  Plan plan;
  Status planned = RemoveMatchingRows(store, duckdb, snapshot, predicate_sql, scratch_dir, plan);
  if (!planned.ok()) {
    maintenance::DeleteBestEffort(store, snapshot.table_prefix(), plan.added);
    return planned;
  }
  return CommitPlan(store, duckdb, writer, snapshot, plan,
                    {.operation = "DELETE",
                     .operation_parameters = {{"predicate", predicate_sql}},
                     .conflict_on_concurrent_adds = false});
}

Result<RewriteResult> OverwriteWhere(ObjectStore* store, duck::Connection* duckdb, const DeltaWriterOptions& writer,
                                     const std::string& predicate_sql, const std::string& select_sql,
                                     const std::filesystem::path& scratch_dir,
                                     std::optional<TableVersion> read_version) {
  LAGOA_ASSIGN_OR_RETURN(Snapshot snapshot, LoadWritable(store, duckdb, writer));
  if (read_version && snapshot.version() != *read_version) {
    return Status::FailedPrecondition(fmt::format(
        "the table changed (version {} is now {}) while the new rows were computed; run the statement again",
        read_version->value(), snapshot.version().value()));
  }
  if (!predicate_sql.empty()) LAGOA_RETURN_IF_ERROR(maintenance::CheckPredicate(duckdb, snapshot, predicate_sql));
  LAGOA_ASSIGN_OR_RETURN(std::string new_rows, NewRowsSql(duckdb, snapshot, select_sql));
  Plan plan;
  Status planned = RemoveMatchingRows(store, duckdb, snapshot, predicate_sql, scratch_dir, plan);
  if (planned.ok()) {
    planned = WriteNewRows(store, duckdb, snapshot, new_rows, scratch_dir, plan)
                  .WithContext(fmt::format("writing the rows of `{}`", select_sql));
  }
  if (!planned.ok()) {
    maintenance::DeleteBestEffort(store, snapshot.table_prefix(), plan.added);
    return planned;
  }
  return CommitPlan(store, duckdb, writer, snapshot, plan,
                    {.operation = "WRITE",
                     .operation_parameters = {{"mode", "Overwrite"}, {"predicate", predicate_sql}},
                     .conflict_on_concurrent_adds = true});
}

Result<RewriteResult> AppendRows(ObjectStore* store, duck::Connection* duckdb, const DeltaWriterOptions& writer,
                                 const std::string& select_sql, const std::filesystem::path& scratch_dir) {
  LAGOA_ASSIGN_OR_RETURN(Snapshot snapshot, LoadWritable(store, duckdb, writer));
  LAGOA_ASSIGN_OR_RETURN(std::string new_rows, NewRowsSql(duckdb, snapshot, select_sql));
  Plan plan;
  Status planned = WriteNewRows(store, duckdb, snapshot, new_rows, scratch_dir, plan)
                       .WithContext(fmt::format("writing the rows of `{}`", select_sql));
  if (!planned.ok()) {
    maintenance::DeleteBestEffort(store, snapshot.table_prefix(), plan.added);
    return planned;
  }
  return CommitPlan(
      store, duckdb, writer, snapshot, plan,
      {.operation = "WRITE", .operation_parameters = {{"mode", "Append"}}, .conflict_on_concurrent_adds = false});
}

Result<RewriteResult> ReplaceTable(ObjectStore* store, duck::Connection* duckdb, const DeltaWriterOptions& writer,
                                   const std::vector<schema::Field>& fields, const std::string& select_sql,
                                   const std::filesystem::path& scratch_dir) {
  LAGOA_ASSIGN_OR_RETURN(Snapshot snapshot, LoadWritable(store, duckdb, writer));
  Metadata metadata = snapshot.metadata();
  metadata.schema_string = SparkSchemaString(fields);
  metadata.partition_columns.clear();
  const bool schema_changed =
      metadata.schema_string != snapshot.metadata().schema_string || !snapshot.metadata().partition_columns.empty();
  // The new rows are written as the new schema's: the snapshot with the new metadata applied.
  LogReplay replay(snapshot);
  replay.Apply(Action(metadata));
  LAGOA_ASSIGN_OR_RETURN(Snapshot replaced, std::move(replay).Finish(snapshot.version()));
  LAGOA_ASSIGN_OR_RETURN(std::string new_rows, NewRowsSql(duckdb, replaced, select_sql));
  Plan plan;
  if (schema_changed) plan.actions.emplace_back(metadata);
  Status planned = RemoveMatchingRows(store, duckdb, snapshot, "", scratch_dir, plan);
  if (planned.ok()) {
    planned = WriteNewRows(store, duckdb, replaced, new_rows, scratch_dir, plan)
                  .WithContext(fmt::format("writing the rows of `{}`", select_sql));
  }
  if (!planned.ok()) {
    maintenance::DeleteBestEffort(store, snapshot.table_prefix(), plan.added);
    return planned;
  }
  return CommitPlan(store, duckdb, writer, snapshot, plan,
                    {.operation = "CREATE OR REPLACE TABLE AS SELECT", .conflict_on_concurrent_adds = true});
}

Result<TableVersion> AddColumns(ObjectStore* store, duck::Connection* duckdb, const DeltaWriterOptions& writer,
                                const std::vector<schema::Field>& fields) {
  LAGOA_ASSIGN_OR_RETURN(Snapshot snapshot, LoadWritable(store, duckdb, writer));
  LAGOA_ASSIGN_OR_RETURN(std::vector<schema::Field> columns, ToLagoaFields(snapshot.columns()));
  for (const schema::Field& field : fields) {
    for (const schema::Field& column : columns) {
      if (schema::EqualsIgnoreCase(column.name, field.name)) {
        return Status::AlreadyExists(fmt::format("the table already has a column \"{}\"", column.name));
      }
    }
    columns.push_back(field);
  }
  Metadata metadata = snapshot.metadata();
  metadata.schema_string = SparkSchemaString(columns);
  LAGOA_ASSIGN_OR_RETURN(std::unique_ptr<DeltaTableWriter> table_writer, DeltaTableWriter::Make(store, duckdb, writer));
  LAGOA_ASSIGN_OR_RETURN(CommitResult committed,
                         table_writer->Commit({Action(metadata)}, snapshot.version(), {.operation = "ADD COLUMNS"}));
  return committed.version;
}

}  // namespace lagoa::lake
