// Decodes one binary record (src/schema/README.md, "Binary record format") into one row of
// DuckDB vectors. Internal to the lake loader: it includes duckdb.h, which stays out of public
// headers. Pure functions over the caller's vectors; the caller's thread.
#pragma once

#include <duckdb.h>

#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "schema/schema.h"

namespace lagoa::lake::internal {

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
RecordProblem DecodeRecordRow(std::span<const std::byte> record, const schema::Schema& schema,
                              const std::vector<schema::Field>& latest, std::span<const duckdb_vector> vectors,
                              idx_t row);

// The DuckDB logical type of a lagoa type (JSON as VARCHAR); the caller destroys it.
duckdb_logical_type MakeLogicalType(const schema::Type& type);

// True when `text` is valid UTF-8 (no overlongs, surrogates or code points past U+10FFFF).
bool IsValidUtf8(std::string_view text);

}  // namespace lagoa::lake::internal
