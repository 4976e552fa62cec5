// The actions of a Delta Lake transaction log (PROTOCOL.md "Actions") and their parsing from JSON:
// one action per line of a commit file `_delta_log/<20-digit version>.json`, and one per row of a
// checkpoint (rows converted to JSON objects whose other action columns are null). Pure functions;
// any thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/status.h"
#include "base/strong_int.h"

namespace lagoa::lake {

// Version of a Delta table: 0 for the first commit, +1 per commit.
using TableVersion = StrongInt<struct TableVersionTag, int64_t>;

struct Protocol {
  int32_t min_reader_version = 0;
  int32_t min_writer_version = 0;
  std::vector<std::string> reader_features;  // only with min_reader_version 3
  std::vector<std::string> writer_features;  // only with min_writer_version 7

  friend bool operator==(const Protocol&, const Protocol&) = default;
};

struct Metadata {
  std::string id;
  std::string name;
  std::string description;
  std::string format_provider;  // "parquet"
  std::string schema_string;    // Spark's JSON schema, see delta_schema.h
  std::vector<std::string> partition_columns;
  std::map<std::string, std::string> configuration;
  std::optional<int64_t> created_time_ms;
};

// Partition column name → serialized value; std::nullopt is null (also an empty string).
using PartitionValues = std::map<std::string, std::optional<std::string>>;

// The value of partition column `column`: exact name first, then ignoring case (Spark matches
// partition columns case-insensitively). nullopt when absent or null.
std::optional<std::string> FindPartitionValue(const PartitionValues& values, std::string_view column);

struct AddFile {
  std::string path;  // decoded: a key relative to the table root
  PartitionValues partition_values;
  int64_t size_bytes = 0;
  int64_t modification_time_ms = 0;
  bool data_change = false;
  std::string stats;  // the JSON statistics string as written; empty when absent
  bool has_deletion_vector = false;
};

struct RemoveFile {
  std::string path;  // decoded, like AddFile::path
  std::optional<int64_t> deletion_timestamp_ms;
  bool data_change = false;
};

// The last version an application committed (idempotent writers, e.g. lagoa's lake loader).
struct Txn {
  std::string app_id;
  int64_t version = 0;
  std::optional<int64_t> last_updated_ms;
};

// Provenance only; its content is not interpreted.
struct CommitInfo {};

using Action = std::variant<Protocol, Metadata, AddFile, RemoveFile, Txn, CommitInfo>;

// Parses one JSON object holding one action ({"add": {...}}). Keys whose value is null are
// skipped (checkpoint rows); an object with only unknown actions (cdc, domainMetadata, ...) or
// none gives std::nullopt. Corruption when the JSON is invalid, holds two actions or misses a
// required field.
Result<std::optional<Action>> ParseAction(std::string_view json);

// The same, reusing one JSON parser's buffers across calls (checkpoints have a row per file).
// Lifecycle: plain value; one thread at a time.
class ActionParser {
 public:
  ActionParser();
  ~ActionParser();
  ActionParser(const ActionParser&) = delete;
  ActionParser& operator=(const ActionParser&) = delete;

  Result<std::optional<Action>> Parse(std::string_view json);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Parses a commit file: newline-delimited actions, blank lines ignored. Errors name the line.
Result<std::vector<Action>> ParseCommitFile(std::string_view contents);

// Decodes a Delta `path` (an RFC 2396 URI relative to the table root) into an object key:
// "%20" → " ", "%253A" → "%3A". InvalidArgument for a malformed escape, an absolute path or URI
// (with a scheme) — lagoa reads only files inside the table — or a key ValidateObjectKey refuses.
Result<std::string> DecodeDeltaPath(std::string_view uri);

}  // namespace lagoa::lake
