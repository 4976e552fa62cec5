// RelationCatalog: what lagoa serves as SQL relations, and the SQL that defines each one now.
// - A stream S is the view
//     SELECT <columns> FROM <the lake snapshot's files>          -- when the table has files
//     UNION ALL
//     SELECT <columns> FROM lagoa_tail('S', '<from offsets>', <created_us>)
//   where the from offset of each partition is the one after the snapshot's `txn` for
//   `lagoa:S:<partition>` (the lake loader's exactly-once resume point), so an event is in the
//   files or in the tail, never both and never neither. Streams without a lake table (not loaded
//   yet, opted out, dead-letter streams) are the tail alone from the oldest offset.
// - An attached table, and a lake table (CREATE TABLE, lake_write_internal.h), is its latest
//   snapshot's scan (lake/delta/table_scan.h).
// - `NAME@v12` is version 12 of the Delta table of the stream or attached table NAME, and
//   `NAME@2026-11-26T10:00:00Z` the version current at that time (time travel): the lake's rows
//   only, as that version holds them (a stream's log tail is not part of its history).
// Each definition carries a key naming what it was built from (stream incarnation, schema
// version, snapshot version); sessions re-create their temporary view only when the key changes.
// Given a statement's filter (file_skipping_internal.h), a current stream or table lists only the
// files whose partition values and statistics may match it; the key then names those files (and,
// for a stream, no snapshot version: its tail offsets are pinned per connection, not written in
// the view, so such a view outlives commits that add only files it skips).
//
// Lifecycle: lives as long as the engine; borrows the registry and attached-table list.
// Threads: every method is safe from any thread (a mutex guards the snapshot cache; snapshots are
// loaded under it, through the catalog's own DuckDB connection, for checkpoint files).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "duck/connection.h"
#include "lake/attached_tables.h"
#include "lake/delta/snapshot.h"
#include "lake/store/object_store.h"
#include "sql/file_skipping_internal.h"

namespace lagoa::ingest {
class StreamRegistry;
}

namespace lagoa::sql::internal {

struct RelationDefinition {
  std::string name;
  std::string key;  // changes whenever `select` would
  std::string select;
  int64_t table_version = -1;  // the Delta version an attached or lake table's `select` reads; else -1
  // A stream with a lake table: where its log tail starts (lagoa_tail's from_offsets), for the
  // session to pin before `select` is bound (`select` reads them as `pinned`); else empty.
  std::string tail_from;
};

class RelationCatalog {
 public:
  // `lake_tables` may be null (no lake tables).
  static Result<std::unique_ptr<RelationCatalog>> Make(std::filesystem::path lake_dir, ingest::StreamRegistry* streams,
                                                       const lake::AttachedTables* attached,
                                                       const lake::AttachedTables* lake_tables);

  // The definition of the relation called `name` now (time travel names included); std::nullopt
  // when lagoa has none. `filter` (may be null) is the filter of the statement that reads it.
  Result<std::optional<RelationDefinition>> Find(std::string_view name, const SkipFilter* filter = nullptr);
  // The names of every relation lagoa serves now.
  std::vector<std::string> Names() const;
  // Drops what is cached of the Delta table in `dir` (a lake table dropped: one re-created under
  // the same name starts again at version 0).
  void ForgetTable(const std::filesystem::path& dir);

 private:
  RelationCatalog(std::filesystem::path lake_dir, ingest::StreamRegistry* streams, const lake::AttachedTables* attached,
                  const lake::AttachedTables* lake_tables)
      : lake_dir_(std::move(lake_dir)), streams_(streams), attached_(attached), lake_tables_(lake_tables) {}

  // The attached or lake table called `name`, with the key prefix of its definitions.
  std::optional<std::pair<lake::AttachedTable, std::string>> FindTable(std::string_view name) const;

  Result<std::optional<RelationDefinition>> FindCurrent(std::string_view name, const SkipFilter* filter);
  // The definition of `name` over the files of `snapshot` that `filter` may match, when it skips
  // some; nullptr when it skips none. `key` is the definition's key with every file; `build`
  // makes the SELECT over the files kept. REQUIRES: mu_ held.
  Result<const RelationDefinition*> Skipping(
      const std::string& name, const std::string& key, const lake::Snapshot& snapshot, const SkipFilter* filter,
      const std::function<Result<std::string>(const std::vector<lake::AddFile>&)>& build);
  // `name` is `base@when`.
  Result<std::optional<RelationDefinition>> FindAsOf(std::string_view name, std::string_view base,
                                                     std::string_view when);

  struct CachedTable {
    std::unique_ptr<lake::ObjectStore> store;        // rooted at the table's directory
    std::shared_ptr<const lake::Snapshot> snapshot;  // nullptr: the table has no commit yet
    std::string incarnation;                         // of the stream or attachment the table belongs to
  };
  // The latest snapshot of the Delta table in `dir`, which belongs to `incarnation` (a re-created
  // stream's table starts again at version 0); nullptr when it has no commit. REQUIRES: mu_ held.
  Result<std::shared_ptr<const lake::Snapshot>> Latest(const std::filesystem::path& dir, const std::string& incarnation,
                                                       const lake::ObjectStore** store);

  // The definition built for `name` when its key is `key`, else nullptr. REQUIRES: mu_ held.
  const RelationDefinition* Built(const std::string& name, const std::string& key) const;
  // Keeps a definition, so the SQL of a relation is built once per key (a table's scan lists
  // every file), not once per statement. REQUIRES: mu_ held.
  const RelationDefinition& Remember(const std::string& name, const std::string& key, std::string select,
                                     int64_t table_version = -1, std::string tail_from = "");

  const std::filesystem::path lake_dir_;
  ingest::StreamRegistry* const streams_;
  const lake::AttachedTables* const attached_;
  const lake::AttachedTables* const lake_tables_;
  std::mutex mu_;
  std::map<std::filesystem::path, CachedTable> tables_;  // guarded by mu_
  std::unique_ptr<duck::Connection> duckdb_;             // guarded by mu_
  std::map<std::string, RelationDefinition> built_;      // guarded by mu_: by relation name
  std::map<std::string, RelationDefinition> skipping_;   // guarded by mu_: the last one with files skipped, by name
};

}  // namespace lagoa::sql::internal
