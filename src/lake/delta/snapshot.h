// Snapshot: the state of a Delta table at one version — protocol, metadata, schema, the active data
// files and the applications' transaction versions — and LogReplay, which builds it by applying
// actions in log order (checkpoint first, then commits).
//
// Lifecycle: LogReplay is filled by one thread and consumed by Finish(); the Snapshot it returns is
// an immutable value, safe to share between threads (std::shared_ptr<const Snapshot>).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "lake/delta/delta_actions.h"
#include "lake/delta/delta_schema.h"

namespace lagoa::lake {

// The highest reader version lagoa implements. Version 2 needs column mapping and 3 table
// features; lagoa refuses both rather than misread a table.
inline constexpr int32_t kReaderVersionMax = 1;

// OK when lagoa can read tables with this protocol; else FailedPrecondition naming the reader
// version and features it would need.
Status CheckReaderProtocol(const Protocol& protocol);

class Snapshot {
 public:
  TableVersion version() const { return version_; }
  // The key prefix of the table's root inside its object store: "" or "dir/table/".
  const std::string& table_prefix() const { return table_prefix_; }
  const Protocol& protocol() const { return protocol_; }
  const Metadata& metadata() const { return metadata_; }
  const std::vector<DeltaColumn>& columns() const { return columns_; }
  // Active data files, sorted by path.
  const std::vector<AddFile>& files() const { return files_; }
  // The last version the application `app_id` committed, from `txn` actions.
  std::optional<int64_t> app_version(const std::string& app_id) const;
  const std::map<std::string, int64_t>& app_versions() const { return app_versions_; }
  // The checkpoint the snapshot started from, when one was used.
  std::optional<TableVersion> checkpoint_version() const { return checkpoint_version_; }

 private:
  friend class LogReplay;
  Snapshot() = default;

  TableVersion version_;
  std::string table_prefix_;
  Protocol protocol_;
  Metadata metadata_;
  std::vector<DeltaColumn> columns_;
  std::vector<AddFile> files_;
  std::map<std::string, int64_t> app_versions_;
  std::optional<TableVersion> checkpoint_version_;
};

// Applies actions in log order. Reconciliation (PROTOCOL.md "Action Reconciliation"): the latest
// protocol and metadata win; a file is active when its latest add is not followed by a remove of
// the same (decoded) path; the latest txn per appId wins.
class LogReplay {
 public:
  explicit LogReplay(std::string table_prefix) : table_prefix_(std::move(table_prefix)) {}
  // Replays on from `base`'s state: the commits after it give a later snapshot without reading
  // the log up to it again.
  explicit LogReplay(const Snapshot& base);

  void Apply(Action action);
  // The protocol seen so far, if any (lets callers name an unsupported protocol before a later
  // parse error hides it).
  const std::optional<Protocol>& protocol() const { return protocol_; }
  void set_checkpoint_version(TableVersion version) { checkpoint_version_ = version; }

  // The snapshot at `version`. Corruption without protocol or metadata, FailedPrecondition for a
  // protocol lagoa cannot read (see CheckReaderProtocol) or a feature it does not implement.
  Result<Snapshot> Finish(TableVersion version) &&;

 private:
  std::string table_prefix_;
  std::optional<Protocol> protocol_;
  std::optional<Metadata> metadata_;
  std::unordered_map<std::string, AddFile> files_;
  std::map<std::string, int64_t> app_versions_;
  std::optional<TableVersion> checkpoint_version_;
};

}  // namespace lagoa::lake
