#include "lake/maintenance/table_vacuum.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <map>
#include <set>

#include "lake/delta/delta_log.h"
#include "lake/delta/delta_table_writer.h"
#include "lake/maintenance/maintenance_files_internal.h"

namespace lagoa::lake {
namespace {

constexpr std::string_view kLogDir = "_delta_log/";

// True when a segment of `path` (relative to the table root) is hidden; `<partition column>=`
// directories are not, even when the column's name starts with `_`.
bool IsHidden(std::string_view path, const std::vector<std::string>& partition_columns) {
  while (!path.empty()) {
    const size_t slash = path.find('/');
    const std::string_view segment = path.substr(0, slash);
    if (segment.starts_with('_') || segment.starts_with('.')) {
      const bool partition_dir = slash != std::string_view::npos &&
                                 std::any_of(partition_columns.begin(), partition_columns.end(),
                                             [&](const std::string& c) { return segment.starts_with(c + "="); });
      if (!partition_dir) return true;
    }
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return false;
}

// Path → newest time a retained commit removed it.
Result<std::map<std::string, int64_t>> ReadRemoveTimes(ObjectStore* store, const LogListing& listing,
                                                       const std::map<std::string, int64_t>& commit_mtimes) {
  std::map<std::string, int64_t> removed;
  for (const auto& [version, key] : listing.commits) {
    LAGOA_ASSIGN_OR_RETURN(std::string contents, store->Get(key));
    auto actions = ParseCommitFile(contents);
    if (!actions.ok()) return actions.status().WithContext(key);
    for (const Action& action : *actions) {
      const auto* remove = std::get_if<RemoveFile>(&action);
      if (remove == nullptr) continue;
      auto mtime = commit_mtimes.find(key);
      const int64_t when =
          remove->deletion_timestamp_ms.value_or(mtime != commit_mtimes.end() ? mtime->second : INT64_MAX);
      auto [it, inserted] = removed.emplace(remove->path, when);
      if (!inserted) it->second = std::max(it->second, when);
    }
  }
  return removed;
}

}  // namespace

Status VacuumOptions::Validate() const {
  if (retention.count() < 0) return Status::InvalidArgument("vacuum `retention` must be >= 0");
  if (retention < kVacuumRetentionMin && !allow_short_retention) {
    return Status::InvalidArgument(fmt::format(
        "vacuum retention of {} ms is below the safety minimum of {} ms: files that writers have put but not yet "
        "committed, and the files of recent versions, could be deleted; set allow_short_retention to do it anyway",
        retention.count(), kVacuumRetentionMin.count()));
  }
  return Status::Ok();
}

Result<VacuumResult> VacuumTable(ObjectStore* store, duck::Connection* duckdb, const std::string& table_prefix,
                                 const VacuumOptions& options) {
  LAGOA_RETURN_IF_ERROR(options.Validate());
  const int64_t now_ms = options.now_ms != 0 ? options.now_ms : maintenance::NowMs();
  const int64_t cutoff_ms = now_ms - options.retention.count();
  // Data objects first: a file committed after this listing is then seen as referenced below.
  LAGOA_ASSIGN_OR_RETURN(std::vector<ObjectInfo> objects, store->List(table_prefix));
  DeltaLogReader reader(store, duckdb, table_prefix);
  LAGOA_ASSIGN_OR_RETURN(LogListing listing, reader.List());
  LAGOA_ASSIGN_OR_RETURN(Snapshot snapshot, reader.LoadSnapshot());
  LAGOA_RETURN_IF_ERROR(CheckWriterProtocol(snapshot.protocol()));
  std::set<std::string> active;
  for (const AddFile& file : snapshot.files()) active.insert(file.path);
  std::map<std::string, int64_t> commit_mtimes;
  for (const ObjectInfo& object : objects) {
    if (object.key.ends_with(".json")) commit_mtimes[object.key] = object.modified_ms;
  }
  LAGOA_ASSIGN_OR_RETURN(auto remove_times, ReadRemoveTimes(store, listing, commit_mtimes));

  VacuumResult result;
  for (const ObjectInfo& object : objects) {
    const std::string_view path = std::string_view(object.key).substr(table_prefix.size());
    if (path.starts_with(kLogDir) || IsHidden(path, snapshot.metadata().partition_columns)) continue;
    const std::string path_text(path);
    if (active.contains(path_text)) continue;
    auto removed = remove_times.find(path_text);
    const int64_t last_reference_ms = removed != remove_times.end() ? removed->second : object.modified_ms;
    if (last_reference_ms >= cutoff_ms) continue;
    if (!options.dry_run) {
      Status deleted = store->Delete(object.key);
      if (deleted.code() == StatusCode::kNotFound) continue;  // another VACUUM was faster
      LAGOA_RETURN_IF_ERROR(deleted.WithContext("vacuum"));
    }
    ++result.files_deleted;
    result.bytes_deleted += object.size_bytes;
    result.keys.push_back(object.key);
  }
  return result;
}

}  // namespace lagoa::lake
