// Decodes one binary record (src/schema/README.md, "Binary record format") into one row of
// DuckDB vectors. Internal to the lake loader: it includes duckdb.h, which stays out of public
// headers. Pure functions over the caller's vectors; the caller's thread.
#pragma once

#include <duckdb.h>

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "schema/schema.h"

namespace lagoa::lake::internal {

// Bytes of the strings longer than DuckDB's inline size (12 bytes) that decoded vectors point at.
// DuckDB reads them in place — duckdb_vector_assign_string_element_len would copy each one into
// the vector's own heap, one call and one allocation per value. The arena must outlive every chunk
// that points into it and every query reading those chunks.
// Lifecycle: Allocate() while decoding; Clear() frees every block. Threads: one at a time.
class StringArena {
 public:
  // `size` bytes, valid until Clear().
  char* Allocate(size_t size);
  void Clear();

 private:
  static constexpr size_t kBlockBytes = 1u << 20;
  std::vector<std::unique_ptr<char[]>> blocks_;
  char* next_ = nullptr;
  size_t left_bytes_ = 0;
};

// What is wrong with a record: `column` is the index of the column being decoded, or -1 for the
// record's header and trailing bytes.
struct RecordProblem {
  const char* what = nullptr;
  int column = -1;
};

// Writes the record into row `row` of `vectors` (one per column of `latest`, at least). Columns
// the record does not have, and absent ones, become NULL. `schema` is the version the record was
// written with; its columns are a prefix of `latest`'s. Never reads outside `record`. On a
// problem the row is partly written and must not be used (LIST children it added stay unused).
// Strings longer than 12 bytes are copied into `strings`.
RecordProblem DecodeRecordRow(std::span<const std::byte> record, const schema::Schema& schema,
                              const std::vector<schema::Field>& latest, std::span<const duckdb_vector> vectors,
                              idx_t row, StringArena& strings);

// The DuckDB logical type of a lagoa type (JSON as VARCHAR); the caller destroys it.
duckdb_logical_type MakeLogicalType(const schema::Type& type);

// True when `text` is valid UTF-8 (no overlongs, surrogates or code points past U+10FFFF).
bool IsValidUtf8(std::string_view text);

}  // namespace lagoa::lake::internal
