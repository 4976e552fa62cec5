// What compaction, deletes and overwrites share: the typed per-file scan a predicate is evaluated
// on, the Delta statistics of a new data file, and writing a new data file into a table (DuckDB
// COPY to a local scratch file, statistics read back from that file, PutIfAbsent under a new
// `part-<uuid>.zstd.parquet` key in the partition's directory).
//
// Internal to src/lake's maintenance files. Pure functions over the connection and store they are
// given; one thread at a time (the DuckDB connection).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "duck/connection.h"
#include "lake/delta/delta_actions.h"
#include "lake/delta/snapshot.h"
#include "lake/store/object_store.h"

namespace lagoa::lake::maintenance {

// The table columns stored in data files (all but the partition columns), in schema order.
std::vector<DeltaColumn> DataColumns(const Snapshot& snapshot);

// The top-level column names of one Parquet file (or the union of several, by name).
Result<std::vector<std::string>> ParquetColumnNames(duck::Connection* duckdb, const std::string& read_parquet_sql);

// `read_parquet(...)` over the given DuckDB locations: no hive partitioning (partition values come
// from the log), union by name (older files may lack newer columns).
std::string ReadParquetSql(const std::vector<std::string>& locations);

// One file's rows as the table reads them (data columns cast to their lagoa type, partition
// columns typed from the add's partitionValues, columns the file lacks NULL), plus each data column
// the file holds unchanged as `__lagoa_raw_<i>` (i: index in DataColumns). A predicate over the
// table's columns can be evaluated on it while the raw columns are written back as they were.
struct FileScan {
  std::string sql;                      // SELECT ... FROM read_parquet(...) AS d
  std::vector<std::string> raw_select;  // `"__lagoa_raw_3" AS "col"` for each column the file holds
};
Result<FileScan> BuildFileScan(duck::Connection* duckdb, const ObjectStore& store, const Snapshot& snapshot,
                               const AddFile& file);

// A one-row relation of typed NULLs named like the table's columns: binds a predicate (and tells
// its type) without reading data.
Result<std::string> NullRowSql(const Snapshot& snapshot);

// The predicate as a parenthesized SQL expression; the newline ends a trailing `--` comment.
std::string PredicateSql(const std::string& predicate_sql);

// InvalidArgument carrying DuckDB's message when `predicate_sql` does not bind against the table's
// columns or is not BOOLEAN.
Status CheckPredicate(duck::Connection* duckdb, const Snapshot& snapshot, const std::string& predicate_sql);

// A new data file for the table: writes the rows of `select_sql` (data columns only, in its order)
// with COPY to `scratch_dir`, computes its statistics from the written file, puts it into the store
// under `<table>/<partition dir>/part-<uuid>.zstd.parquet` and returns its `add` (size,
// modificationTime = now, stats, the given partition values and dataChange). The scratch file is
// removed in every case. std::nullopt when the SELECT returns no row (nothing is put).
struct NewFile {
  AddFile add;
  uint64_t rows = 0;
};
Result<std::optional<NewFile>> WriteDataFile(ObjectStore* store, duck::Connection* duckdb, const Snapshot& snapshot,
                                             const std::string& select_sql, const PartitionValues& partition_values,
                                             const std::filesystem::path& scratch_dir, bool data_change);

// numRecords, minValues, maxValues and nullCount of a written Parquet file (`read_parquet_sql`,
// see ReadParquetSql) for `columns` (the data columns), by one aggregate query over the file, in the
// JSON conventions of ParquetFileInfo::stats_json. The stream loader uses it for partitioned loads.
struct FileStatsText {
  uint64_t rows = 0;
  std::string json;
};
Result<FileStatsText> ComputeStats(duck::Connection* duckdb, const std::string& read_parquet_sql,
                                   const std::vector<DeltaColumn>& columns);

// `<col>=<value>/` per partition column in schema order: bytes other than ALPHA, DIGIT and `-._~`
// percent-encoded (Hive's convention of escaping in directory names, made stricter), a null or
// empty value as `__HIVE_DEFAULT_PARTITION__`. "" for an unpartitioned table. Readers take the
// values from the log, never from this name.
std::string PartitionDirectory(const std::vector<std::string>& partition_columns, const PartitionValues& values);

// Best-effort removal of files put by a commit that did not land (they are orphans otherwise,
// which VACUUM or the loader's orphan cleanup would remove later).
void DeleteBestEffort(ObjectStore* store, const std::string& table_prefix, const std::vector<AddFile>& files);

// True when `status` from DeltaTableWriter::Commit means the commit certainly did not land
// (a conflict, too many lost versions, an invalid commit) — an I/O error leaves it unknown.
bool CommitCertainlyFailed(const Status& status);

int64_t NowMs();

}  // namespace lagoa::lake::maintenance
