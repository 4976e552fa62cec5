// Schemas and stream definitions: the columns of a stream at one version, the parsers for column
// lists and type names written by users, and the JSON forms of a stream definition used by the
// REST API (PUT and GET /v1/streams/NAME).
//
// Everything here is a value type or a pure function; any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "base/strong_int.h"
#include "schema/types.h"

namespace lagoa::schema {

inline constexpr size_t kColumnsMax = 1024;  // top-level columns of one stream
inline constexpr size_t kStreamNameBytesMax = 128;
inline constexpr int32_t kPartitionsMax = 1024;

// The columns of a stream at one version. Versions only ever append nullable columns, so the
// columns of version v are a prefix of the columns of every later version.
struct Schema {
  SchemaVersion version;
  std::vector<Field> fields;

  // The index of the column named exactly `name` (JSON keys are matched case-sensitively), or
  // nullopt. Linear: schemas are small and hot paths keep their own index.
  std::optional<size_t> FieldIndex(std::string_view name) const;
  // The index of the column whose name equals `name` ignoring case (SQL identifiers), or nullopt.
  std::optional<size_t> FieldIndexIgnoringCase(std::string_view name) const;
};

// Parses a type name: BOOLEAN, INTEGER, BIGINT, DOUBLE, DECIMAL(p,s), VARCHAR, DATE, TIMESTAMP,
// TIMESTAMPTZ, JSON, LIST(T), T[], STRUCT(name T, ...), case-insensitive, with DuckDB's aliases
// (see README.md). Errors: InvalidArgument "at character N: ..." naming what was found and
// what was expected.
Result<Type> ParseType(std::string_view text);

// Parses a column list "user_id BIGINT, url VARCHAR NOT NULL, \"my col\" INTEGER". Empty or blank
// text is an empty list. Column names keep their case; duplicates (ignoring case) are rejected.
Result<std::vector<Field>> ParseColumns(std::string_view sql);

// "user_id BIGINT, url VARCHAR NOT NULL": the inverse of ParseColumns.
std::string ColumnsToSql(const std::vector<Field>& fields);

// A column or STRUCT field name: 1..255 bytes of UTF-8 without control characters.
Status ValidateFieldName(std::string_view name);
// Names valid and unique ignoring case, at most kColumnsMax, STRUCT fields nullable.
Status ValidateColumns(const std::vector<Field>& fields);
// An RFC 3339 timestamp as events and query parameters carry it ("2024-05-01T12:00:00.5Z"; no
// offset means UTC) as microseconds since the epoch; InvalidArgument saying what is wrong.
Result<int64_t> ParseTimestampMicros(std::string_view text);

// A stream name: 1..128 bytes of [A-Za-z0-9_.-], starting with a letter, digit or '_' (it is
// also a file name in the catalog directory and a path segment of the REST API).
Status ValidateStreamName(std::string_view name);

// How a stream's events reach the lake (the "lake" object of a stream definition).
struct StreamLakeOptions {
  bool enabled = true;  // a loader keeps the stream's Delta table up to date; false opts out
  // "partition_by": "date(COLUMN)" keeps COLUMN here: the table gets a `_date DATE` partition
  // column, the UTC date of COLUMN (a TIMESTAMP/TIMESTAMPTZ column of the stream, or the loader's
  // `_event_time` / `_ingested_at`). Empty: the table is unpartitioned.
  std::string date_partition_source;

  friend bool operator==(const StreamLakeOptions&, const StreamLakeOptions&) = default;
};

// Parses the "lake" object: {"enabled": false} or {"partition_by": "date(ts)"}. Unknown keys are
// errors naming the allowed keys; the partition column itself is checked by ValidateStreamDefinition.
Result<StreamLakeOptions> StreamLakeOptionsFromJson(std::string_view json);

// A stream: its schema versions and ingest settings. Stored by the Catalog; shared read-only
// (std::shared_ptr<const StreamDefinition>) once created.
struct StreamDefinition {
  std::string name;
  std::vector<Schema> versions;  // versions[i].version == i + 1; never empty once validated
  // The column holding each event's time (TIMESTAMP or TIMESTAMPTZ). Events whose value is null
  // or that have no such column get the time they were received.
  std::optional<std::string> event_time_column;
  bool infer = false;      // unknown fields of events become new nullable columns
  int32_t partitions = 1;  // 1..kPartitionsMax
  int64_t created_us = 0;  // microseconds since the epoch
  StreamLakeOptions lake;

  const Schema& latest() const;                  // asserts versions is non-empty
  const Schema* version(SchemaVersion v) const;  // nullptr when v is not a version of this stream
};

// Checks every invariant above; InvalidArgument naming the problem.
Status ValidateStreamDefinition(const StreamDefinition& def);

// The body of PUT /v1/streams/NAME:
//   {"schema": "user_id BIGINT, ts TIMESTAMPTZ"}  or
//   {"columns": [{"name": "user_id", "type": "BIGINT", "nullable": false}, ...]}
// plus optional "event_time": "ts", "infer": true (then the schema may be absent or empty),
// "partitions": 1 and "lake": {"enabled": false}. Unknown keys are errors naming the key and the allowed keys. The
// result has one version (1) and created_us 0 (the caller stamps it).
Result<StreamDefinition> StreamDefinitionFromJson(std::string_view name, std::string_view json);

// The definition for GET /v1/streams/NAME:
//   {"name":"clicks","versions":[{"version":1,"columns":[{"name":"a","type":"BIGINT","nullable":true}]}],
//    "event_time":"ts" or null,"infer":false,"partitions":1,"created":"2024-05-01T12:00:00.000000Z",
//    "lake":{"enabled":true}}
std::string StreamDefinitionToJson(const StreamDefinition& def);

}  // namespace lagoa::schema
