// Checks one binary record (src/schema/README.md, "Binary record format") and decodes it into one
// row of DuckDB vectors, for every scan that turns log records into DuckDB rows: the lake loader's
// staging scan and SQL's live-tail scan. Pure functions over the caller's vectors; any thread (the
// loader's thread checks records as they are staged, DuckDB's threads decode them inside a scan).
#pragma once

#include <duckdb.h>

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "duck/handles.h"
#include "schema/schema.h"

namespace lagoa::duck {

// The staged record payloads, copied out of the log reader's buffer (which the next read reuses).
// Decoded VARCHAR vectors point straight into these bytes, so the arena must outlive every query
// reading the staging scan.
// Lifecycle: Allocate() while staging; Clear() frees every block. Threads: Allocate() and Clear()
// on one thread, never during a query; DuckDB's threads only read the bytes.
class ByteArena {
 public:
  // `size` bytes, valid until Clear().
  std::byte* Allocate(size_t size);
  void Clear();

 private:
  static constexpr size_t kBlockBytes = 1u << 20;
  std::vector<std::unique_ptr<std::byte[]>> blocks_;
  std::byte* next_ = nullptr;
  size_t left_bytes_ = 0;
};

// What is wrong with a record: `column` is the index of the column being decoded, or -1 for the
// record's header and trailing bytes.
struct RecordProblem {
  const char* what = nullptr;
  int column = -1;
};

// Checks the record against `schema`, the version it was written with (whose columns are a prefix
// of `latest`'s): every length against the bytes left, every value against its type's range,
// UTF-8 of VARCHAR and JSON, NOT NULL columns present, no trailing bytes. Never reads outside
// `record`.
RecordProblem CheckRecord(std::span<const std::byte> record, const schema::Schema& schema,
                          const std::vector<schema::Field>& latest);

// Writes a record CheckRecord accepted into row `row` of `vectors` (one per column of `latest`, at
// least; a null vector: the column is read past and not written, for scans that do not project
// it). Columns the record does not have, and absent ones, become NULL. Strings longer than
// DuckDB's 12-byte inline size point into `record`, which must outlive every use of the vectors.
// Lengths are checked again (never reads outside `record`); UTF-8 is not.
RecordProblem DecodeRecordRow(std::span<const std::byte> record, const schema::Schema& schema,
                              const std::vector<schema::Field>& latest, std::span<const duckdb_vector> vectors,
                              idx_t row);

// Copies every string of rows [0, rows) of `vector` (a column of type `type`, its lists' elements
// and its structs' fields too) that points outside the vector (DecodeRecordRow's longer strings)
// into the vector's own string heap. DuckDB then owns them: they live as long as the vector, or
// any vector referencing it, and the record they were decoded from may go.
void OwnStrings(duckdb_vector vector, const schema::Type& type, idx_t rows);

// The DuckDB logical type of a lagoa type (JSON as VARCHAR).
LogicalTypeHandle MakeLogicalType(const schema::Type& type);

// True when `text` is valid UTF-8 (no overlongs, surrogates or code points past U+10FFFF).
bool IsValidUtf8(std::string_view text);

}  // namespace lagoa::duck
