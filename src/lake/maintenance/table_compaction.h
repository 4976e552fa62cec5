// Compaction (Delta's OPTIMIZE): rewrites a table's small data files into fewer, larger ones with
// one `dataChange: false` commit, so readers open fewer files while the rows stay exactly the same.
//
// Active files smaller than `small_file_bytes` are grouped by partition values; a group with at
// least `min_small_files` files is cut, in row order, into bins of about `target_file_bytes` of
// input, and each bin of two or more files becomes one new file. Row order: each input's rows stay
// together, inputs ordered by their minimum `_offset` statistic when the table has an `_offset`
// column (lagoa's stream tables: the output is in log order), else by path.
//
// Concurrency: the commit removes exactly the files it read (read_version = the snapshot's
// version), so appends made meanwhile (the loader) land without conflict, while another writer
// that removed one of the same files (a second compaction, a delete) makes this commit fail with
// FailedPrecondition; the new files are then deleted (best effort) and the table is unchanged.
//
// Lifecycle: one call; borrows the store and connection. Threads: one thread at a time per
// connection; any number of processes may compact, append to or read the table meanwhile.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>

#include "lake/delta/delta_table_writer.h"

namespace lagoa::lake {

struct CompactOptions {
  int64_t target_file_bytes = 128ll << 20;  // input bytes per output file (about)
  int64_t small_file_bytes = 32ll << 20;    // files below this are candidates
  int min_small_files = 2;                  // a partition needs this many candidates to be compacted
  std::filesystem::path scratch_dir;        // local directory for files in flight; empty = system temp

  static CompactOptions Defaults() { return {}; }
  Status Validate() const;
};

struct CompactResult {
  int files_removed = 0;
  int files_added = 0;
  uint64_t bytes_removed = 0;
  uint64_t bytes_added = 0;
  uint64_t rows = 0;                    // rows rewritten
  std::optional<TableVersion> version;  // the OPTIMIZE commit; unset when there was nothing to do
};

Result<CompactResult> CompactTable(ObjectStore* store, duck::Connection* duckdb, const DeltaWriterOptions& writer,
                                   const CompactOptions& options);

}  // namespace lagoa::lake
