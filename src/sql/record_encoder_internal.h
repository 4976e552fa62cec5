// ChunkRecordEncoder: rows of DuckDB data chunks as lagoa's binary records (src/schema/README.md,
// "Binary record format"), so SQL's INSERT INTO a stream appends typed records without a JSON
// round trip. The chunk's columns are the columns of one schema version of the stream, in order
// and of the same types (the INSERT's stage table is made from that version).
//
// A value the record format cannot hold — a NULL in a NOT NULL column, a DOUBLE that is NaN or
// infinite, a DATE or TIMESTAMP outside years 0001-9999, a VARCHAR or JSON value over
// string_bytes_max, a record over record_bytes_max (the JSON encoder's limits) — is an error
// naming the column and the value's place, never a wrong record.
//
// Lifecycle: made per statement; EncodeRow any number of times. Threads: the session's thread.
#pragma once

#include <duckdb.h>

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "schema/json_encoder.h"
#include "schema/schema.h"

namespace lagoa::sql::internal {

class ChunkRecordEncoder {
 public:
  // `event_time_column`: the index of the column whose value is the event time, if any.
  ChunkRecordEncoder(const schema::Schema& schema, std::optional<size_t> event_time_column,
                     schema::EncoderOptions limits = {});

  // The chunk's column vectors, taken once per chunk for EncodeRow.
  static std::vector<duckdb_vector> Vectors(duckdb_data_chunk chunk);
  // Writes row `row` of the chunk whose Vectors these are to `out` (cleared first). Sets
  // *event_time_us to the event time column's value when it has one.
  Status EncodeRow(std::span<const duckdb_vector> vectors, idx_t row, Bytes& out,
                   std::optional<int64_t>* event_time_us) const;

 private:
  Status EncodeValue(duckdb_vector vector, idx_t row, const schema::Type& type, const std::string& path, Bytes& out,
                     int depth) const;
  Status EncodeText(duckdb_vector vector, idx_t row, const std::string& path, Bytes& out) const;

  schema::Schema schema_;
  std::optional<size_t> event_time_column_;
  schema::EncoderOptions limits_;
};

}  // namespace lagoa::sql::internal
