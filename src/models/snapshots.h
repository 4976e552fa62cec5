// Snapshots: type 2 slowly changing dimensions. `snapshots/**/NAME.sql` is a SELECT over sources (a
// template without refs) whose rows change in place; the snapshot table NAME keeps every version of
// each row, with `lagoa_valid_from` and `lagoa_valid_to` (TIMESTAMPTZ; NULL for the current one):
//
//   {{ config(unique_key='id', strategy='timestamp', updated_at='updated_at') }}
//   SELECT id, email, plan, updated_at FROM {{ source('customers') }}
//
// strategy timestamp: a row changed when its updated_at is later than the current version's, which
// is closed at the new updated_at (valid_from and valid_to are updated_at values). strategy check,
// with check_cols (a column or a list): a row changed when one of those columns differs (NULLs
// compare equal), and versions are closed and opened at the build's time. New keys open a version;
// keys gone from the SELECT stay as they are (their current version stays current).
//
// The first build is CREATE OR REPLACE TABLE of the rows with their valid_from; later builds are one
// MERGE (one lake commit: readers see the versions before or after it, never half of them).
//
// Value type: immutable once loaded. Threads: pure functions.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "base/status.h"
#include "models/model_template.h"

namespace lagoa::models {

enum class SnapshotStrategy { kTimestamp, kCheck };

struct ProjectSnapshot {
  std::string name;
  std::filesystem::path path;  // relative to the project folder
  ModelTemplate sql;
  SnapshotStrategy strategy = SnapshotStrategy::kTimestamp;
  std::vector<std::string> unique_key;
  std::string updated_at;               // kTimestamp
  std::vector<std::string> check_cols;  // kCheck
};

// Every snapshots/**/*.sql below `dir`, sorted by name. Errors name the file and position: a
// missing or unknown setting, a ref (snapshots read sources), a template error, a name used twice.
Result<std::vector<ProjectSnapshot>> LoadSnapshots(const std::filesystem::path& dir);

// The snapshot's SELECT with its sources and vars filled in.
Result<std::string> RenderSnapshot(const ProjectSnapshot& snapshot, const std::map<std::string, std::string>& vars);

// The first build: every row of `select` opened.
std::string SnapshotCreateSql(const ProjectSnapshot& snapshot, const std::string& select);

// Later builds: one MERGE closing the current version of each changed row and opening its new one,
// and opening a version for each new key.
std::string SnapshotMergeSql(const ProjectSnapshot& snapshot, const std::string& select);

}  // namespace lagoa::models
