// Deletes and overwrites by rewriting data files (copy-on-write; lagoa writes no deletion vectors).
//
// DeleteWhere evaluates `predicate_sql` on every active file through a per-file scan that reads
// the rows as the table does (partition columns filled from the log). Files without a matching row
// are untouched; a file whose rows all match is removed; any other matching file is removed and
// replaced by a new file holding its other rows, in their order and with their stored Parquet
// types. A row matches when the predicate is TRUE (NULL keeps the row, as SQL DELETE). One commit
// holds every remove and add (dataChange: true), operation DELETE.
//
// OverwriteWhere does the same for `predicate_sql` ("" = every file is removed, none rewritten)
// and, in the same commit (operation WRITE, mode Overwrite), adds the rows of `select_sql` cast to
// the table's column types: one file, or for a partitioned table one file per distinct partition
// (at most 10,000) in its `col=value/` directory without the partition columns (an empty string
// partition value becomes null, as Delta treats it; timestamps are written in UTC).
//
// AppendRows adds the rows of `select_sql` (cast and partitioned as for OverwriteWhere) in one
// commit (operation WRITE, mode Append) that removes nothing, so it never conflicts with other
// appends or deletes (INSERT and COPY FROM of SQL tables). AddColumns appends columns to the
// schema with a metaData commit (operation ADD COLUMNS); existing files read NULL for them.
// AlreadyExists when the table has a column of that name (ignoring case, as Delta does).
//
// ReplaceTable gives the table `fields` as its schema and the rows of `select_sql` (cast and
// written as for AppendRows) as its only rows, in one commit (operation CREATE OR REPLACE TABLE AS
// SELECT): a metaData action when the schema changes (same table id, no partition columns), a
// remove of every active file and the adds. Readers see the old table or the new one, never a mix.
// Any commit after the version it read conflicts (it removes every file, and may change the schema).
//
// `predicate_sql` is a DuckDB boolean expression over the table's columns ("user_id = 42") and
// `select_sql` a DuckDB query whose columns are the table's, in table order; both are SQL text
// run as given, for trusted callers (an administrator), not for end users' input. One that does not
// bind, or a predicate that is not BOOLEAN, is InvalidArgument carrying DuckDB's message.
//
// Concurrency: a concurrent removal of a file this commit removes conflicts (FailedPrecondition;
// the new files are deleted best effort). A delete does not conflict with concurrent appends
// (their rows are not checked against the predicate); an overwrite does (serializable), so rows
// appended meanwhile are never silently kept or dropped by it.
//
// Lifecycle: one call; borrows the store and connection. Threads: one thread at a time per
// connection.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "lake/delta/delta_table_writer.h"

namespace lagoa::lake {

struct RewriteResult {
  int files_removed = 0;
  int files_added = 0;
  uint64_t rows_deleted = 0;
  uint64_t rows_written = 0;            // rows in the added files: kept rows of rewritten files and new rows
  std::optional<TableVersion> version;  // unset when nothing changed (no commit)
};

Result<RewriteResult> DeleteWhere(ObjectStore* store, duck::Connection* duckdb, const DeltaWriterOptions& writer,
                                  const std::string& predicate_sql, const std::filesystem::path& scratch_dir);

// `read_version`, when set, is the version `select_sql` was computed from: a table that has moved
// on since fails with FailedPrecondition (UPDATE: rows matching the predicate that a later commit
// added are not in the select, and would be lost).
Result<RewriteResult> OverwriteWhere(ObjectStore* store, duck::Connection* duckdb, const DeltaWriterOptions& writer,
                                     const std::string& predicate_sql, const std::string& select_sql,
                                     const std::filesystem::path& scratch_dir,
                                     std::optional<TableVersion> read_version = std::nullopt);

Result<RewriteResult> AppendRows(ObjectStore* store, duck::Connection* duckdb, const DeltaWriterOptions& writer,
                                 const std::string& select_sql, const std::filesystem::path& scratch_dir);

Result<RewriteResult> ReplaceTable(ObjectStore* store, duck::Connection* duckdb, const DeltaWriterOptions& writer,
                                   const std::vector<schema::Field>& fields, const std::string& select_sql,
                                   const std::filesystem::path& scratch_dir);

Result<TableVersion> AddColumns(ObjectStore* store, duck::Connection* duckdb, const DeltaWriterOptions& writer,
                                const std::vector<schema::Field>& fields);

}  // namespace lagoa::lake
