#include "models/snapshots.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "base/file_util.h"
#include "models/compile.h"
#include "models/project.h"
#include "models/project_files_internal.h"

namespace lagoa::models {
namespace {

constexpr size_t kSnapshotsMax = 10'000;

Result<ProjectSnapshot> LoadSnapshot(const std::filesystem::path& dir, const std::filesystem::path& relative) {
  ProjectSnapshot snapshot;
  snapshot.name = relative.stem().string();
  snapshot.path = relative;
  const std::string file = relative.string();
  LAGOA_ASSIGN_OR_RETURN(std::string text, ReadWholeFile(dir / relative, kModelFileBytesMax));
  LAGOA_ASSIGN_OR_RETURN(snapshot.sql, ModelTemplate::Parse(text, file));
  if (!snapshot.sql.refs().empty()) {
    const NameUse& ref = snapshot.sql.refs().front();
    return Status::InvalidArgument(fmt::format("{}: ref('{}'): a snapshot reads sources (source('name')), not models",
                                               DescribePosition(file, ref.at), ref.name));
  }
  bool has_strategy = false;
  for (const ConfigArgument& argument : snapshot.sql.config()) {
    const std::string where = DescribePosition(file, argument.at);
    const std::vector<std::string> values = ConfigTexts(argument.value);
    const bool one = std::holds_alternative<std::string>(argument.value) && !values[0].empty();
    if (argument.key == "unique_key" || argument.key == "check_cols") {
      if (values.empty() || std::any_of(values.begin(), values.end(), [](const std::string& v) { return v.empty(); })) {
        return Status::InvalidArgument(
            fmt::format("{}: {}: expected a column or a list of columns", where, argument.key));
      }
      (argument.key == "unique_key" ? snapshot.unique_key : snapshot.check_cols) = values;
    } else if (argument.key == "updated_at" && one) {
      snapshot.updated_at = values[0];
    } else if (argument.key == "strategy" && one && (values[0] == "timestamp" || values[0] == "check")) {
      snapshot.strategy = values[0] == "timestamp" ? SnapshotStrategy::kTimestamp : SnapshotStrategy::kCheck;
      has_strategy = true;
    } else if (argument.key == "updated_at" || argument.key == "strategy") {
      return Status::InvalidArgument(fmt::format("{}: {}: expected {}", where, argument.key,
                                                 argument.key == "strategy" ? "timestamp or check" : "a column"));
    } else {
      return Status::InvalidArgument(
          fmt::format("{}: unknown setting `{}`: a snapshot takes unique_key, strategy, updated_at and check_cols",
                      where, argument.key));
    }
  }
  const auto missing = [&](std::string_view what) {
    return Status::InvalidArgument(
        fmt::format("{}: {}: write it in {{{{ config(...) }}}} (src/models/README.md, snapshots)", file, what));
  };
  if (snapshot.unique_key.empty()) return missing("unique_key is missing (the columns that identify a row)");
  if (!has_strategy) return missing("strategy is missing (timestamp or check)");
  if (snapshot.strategy == SnapshotStrategy::kTimestamp && snapshot.updated_at.empty()) {
    return missing("strategy timestamp needs updated_at (the column that says when a row last changed)");
  }
  if (snapshot.strategy == SnapshotStrategy::kCheck && snapshot.check_cols.empty()) {
    return missing("strategy check needs check_cols (the columns whose change makes a new version)");
  }
  return snapshot;
}

// When the version in `rows` starts: its updated_at, or the build's time.
std::string ValidFrom(const ProjectSnapshot& snapshot, std::string_view rows) {
  if (snapshot.strategy == SnapshotStrategy::kCheck) return "get_current_timestamp()";
  return fmt::format("CAST({}.{} AS TIMESTAMPTZ)", rows, SqlIdentifier(snapshot.updated_at));
}

// `a.k1 = b.k1 AND a.k2 = b.k2`
std::string KeysEqual(const ProjectSnapshot& snapshot, std::string_view a, std::string_view b) {
  std::vector<std::string> terms;
  for (const std::string& key : snapshot.unique_key) {
    terms.push_back(fmt::format("{}.{} = {}.{}", a, SqlIdentifier(key), b, SqlIdentifier(key)));
  }
  return fmt::format("{}", fmt::join(terms, " AND "));
}

}  // namespace

Result<std::vector<ProjectSnapshot>> LoadSnapshots(const std::filesystem::path& dir) {
  LAGOA_ASSIGN_OR_RETURN(std::vector<std::filesystem::path> files,
                         FindProjectFiles(dir, "snapshots", ".sql", kSnapshotsMax, "snapshots"));
  std::vector<ProjectSnapshot> snapshots;
  std::map<std::string, std::filesystem::path> seen;
  for (const std::filesystem::path& relative : files) {
    LAGOA_ASSIGN_OR_RETURN(ProjectSnapshot snapshot, LoadSnapshot(dir, relative));
    auto [it, added] = seen.emplace(ModelKey(snapshot.name), relative);
    if (!added) {
      return Status::AlreadyExists(fmt::format("{} and {} are both snapshot `{}`: snapshot names must differ",
                                               it->second.string(), relative.string(), snapshot.name));
    }
    snapshots.push_back(std::move(snapshot));
  }
  std::sort(snapshots.begin(), snapshots.end(),
            [](const ProjectSnapshot& a, const ProjectSnapshot& b) { return a.name < b.name; });
  return snapshots;
}

Result<std::string> RenderSnapshot(const ProjectSnapshot& snapshot, const std::map<std::string, std::string>& vars) {
  RenderContext context;
  context.this_relation = SqlIdentifier(snapshot.name);
  context.vars = vars;
  context.ref = [&](const NameUse& ref) -> Result<std::string> {
    return Status::InvalidArgument(fmt::format("{}: a snapshot reads no model", ref.name));  // LoadSnapshot refused it
  };
  context.source = [](const NameUse& source) -> Result<std::string> { return SqlIdentifier(source.name); };
  LAGOA_ASSIGN_OR_RETURN(std::string sql, snapshot.sql.Render(context));
  return Trimmed(sql);
}

std::string SnapshotCreateSql(const ProjectSnapshot& snapshot, const std::string& select) {
  return fmt::format(
      "CREATE OR REPLACE TABLE {} AS\nSELECT s.*, {} AS lagoa_valid_from, CAST(NULL AS TIMESTAMPTZ) AS lagoa_valid_to "
      "FROM (\n{}\n) AS s",
      SqlIdentifier(snapshot.name), ValidFrom(snapshot, "s"), select);
}

std::string SnapshotMergeSql(const ProjectSnapshot& snapshot, const std::string& select) {
  const std::string table = SqlIdentifier(snapshot.name);
  std::string changed;
  if (snapshot.strategy == SnapshotStrategy::kTimestamp) {
    changed = fmt::format("{} > {}", ValidFrom(snapshot, "s"), ValidFrom(snapshot, "c"));
  } else {
    std::vector<std::string> terms;
    for (const std::string& column : snapshot.check_cols) {
      terms.push_back(fmt::format("s.{} IS DISTINCT FROM c.{}", SqlIdentifier(column), SqlIdentifier(column)));
    }
    changed = fmt::format("({})", fmt::join(terms, " OR "));
  }
  // The source's rows are the table's columns: a changed row twice (closing the current version,
  // with valid_to set; opening the new one), and each new key once (opening it).
  return fmt::format(
      "MERGE INTO {table} AS t USING (\n"
      "WITH s AS (\n{select}\n),\n"
      "c AS (SELECT * FROM {table} WHERE lagoa_valid_to IS NULL),\n"
      "changed AS (SELECT s.* FROM s JOIN c ON {keys_sc} WHERE {changed})\n"
      "SELECT changed.*, {from_changed} AS lagoa_valid_from, {from_changed} AS lagoa_valid_to FROM changed\n"
      "UNION ALL\n"
      "SELECT changed.*, {from_changed}, CAST(NULL AS TIMESTAMPTZ) FROM changed\n"
      "UNION ALL\n"
      "SELECT s.*, {from_s}, CAST(NULL AS TIMESTAMPTZ) FROM s WHERE NOT EXISTS (SELECT 1 FROM c WHERE {keys_cs})\n"
      ") AS u ON u.lagoa_valid_to IS NOT NULL AND t.lagoa_valid_to IS NULL AND {keys_tu}\n"
      "WHEN MATCHED THEN UPDATE SET lagoa_valid_to = u.lagoa_valid_to\n"
      "WHEN NOT MATCHED AND u.lagoa_valid_to IS NULL THEN INSERT BY NAME",
      fmt::arg("table", table), fmt::arg("select", select), fmt::arg("keys_sc", KeysEqual(snapshot, "s", "c")),
      fmt::arg("changed", changed), fmt::arg("from_changed", ValidFrom(snapshot, "changed")),
      fmt::arg("from_s", ValidFrom(snapshot, "s")), fmt::arg("keys_cs", KeysEqual(snapshot, "c", "s")),
      fmt::arg("keys_tu", KeysEqual(snapshot, "t", "u")));
}

}  // namespace lagoa::models
