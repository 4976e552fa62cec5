// Serializing Delta Lake actions (PROTOCOL.md "Actions") as the JSON lines of a commit file, the
// inverse of delta_actions.h's parser: SerializeAction(a) parsed back by ParseAction gives `a`.
// Also the pieces a writer needs around them: the Spark JSON schema of lagoa fields (the inverse
// of delta_schema.h), per-file statistics, path encoding and table ids. Pure functions apart from
// NewTableId (random); any thread.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "lake/delta/delta_actions.h"
#include "schema/types.h"

namespace lagoa::lake {

// The engine named in every commitInfo lagoa writes.
inline constexpr std::string_view kEngineInfo = "lagoa/0.1.0";
// The protocol of the tables lagoa creates: no table features, no column mapping.
inline constexpr int32_t kWriterReaderVersion = 1;
inline constexpr int32_t kWriterWriterVersion = 2;

// The provenance line of a commit ({"commitInfo": {...}}). The parser keeps nothing of it.
struct CommitInfoFields {
  int64_t timestamp_ms = 0;
  std::string operation;  // "CREATE TABLE", "WRITE", "DELETE", ...
  std::map<std::string, std::string> operation_parameters;
};

// Per-file statistics (PROTOCOL.md "Per-file Statistics"). Values are JSON text as Delta writes
// them for the column's type: numbers bare (`42`, `1.5`), strings, dates and timestamps quoted
// (`"2024-01-31"`, `"2024-01-31T10:00:00.000Z"`). Nested columns are not described.
struct FileStats {
  int64_t num_records = 0;
  std::map<std::string, std::string> min_values_json;
  std::map<std::string, std::string> max_values_json;
  std::map<std::string, int64_t> null_count;
};

// The `stats` string of an add: {"numRecords":n,"minValues":{...},"maxValues":{...},"nullCount":{...}}.
// InvalidArgument when a min/max value is not one JSON value.
Result<std::string> SerializeFileStats(const FileStats& stats);

// One action as one JSON line without the trailing newline. A CommitInfo variant (which carries
// nothing) serializes as {"commitInfo":{}}; use SerializeCommitInfo for real provenance.
// Paths are encoded with EncodeDeltaPath; an add's `stats` must be a JSON object text or empty
// (asserted by the writer, not here). A metaData without created_time_ms omits createdTime.
std::string SerializeAction(const Action& action);
std::string SerializeCommitInfo(const CommitInfoFields& info);

// A commit file: each line followed by '\n'.
std::string SerializeCommit(const std::vector<std::string>& lines);

// An object key relative to the table root as a Delta `path` URI: bytes other than ALPHA, DIGIT,
// `-._~`, `/` and `=` are percent-encoded ("a b/x:1" → "a%20b/x%3A1"), so DecodeDeltaPath gives
// the key back.
std::string EncodeDeltaPath(std::string_view key);

// Spark's JSON schema for lagoa fields (metaData.schemaString). BIGINT→long, INTEGER→integer,
// BOOLEAN→boolean, DOUBLE→double, DECIMAL(p,s)→decimal(p,s), VARCHAR→string, JSON→string (JSON
// text; reads back as VARCHAR), DATE→date, TIMESTAMPTZ→timestamp, TIMESTAMP→timestamp (Delta's
// timestamp_ntz needs the timestampNtz table feature, i.e. reader version 3, which lagoa does not
// write; the values are UTC microseconds either way and read back as TIMESTAMPTZ), LIST→array,
// STRUCT→struct.
std::string SparkSchemaString(const std::vector<schema::Field>& fields);

// A random (version 4) UUID in its 36-character text form, for metaData.id.
std::string NewTableId();

}  // namespace lagoa::lake
