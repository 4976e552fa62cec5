#include "sql/relation_catalog_internal.h"

#include <fmt/format.h>

#include <algorithm>

#include "base/parse_number.h"
#include "ingest/stream_registry.h"
#include "lake/attached_tables.h"
#include "lake/delta/delta_log.h"
#include "lake/delta/file_pruning.h"
#include "lake/delta/table_scan.h"
#include "lake/maintenance/table_history.h"
#include "lake/store/open_object_store.h"
#include "schema/schema.h"
#include "schema/types.h"
#include "sql/log_tail_scan_internal.h"

namespace lagoa::sql::internal {
namespace {

using schema::QuoteIdentifier;

// Where the tail of a stream with `partitions` partitions starts: one past the snapshot's txn of
// each partition (0 when it has none), or the log's oldest offset (-1) without a lake table.
std::string TailFrom(const schema::StreamDefinition& stream, int32_t partitions, const lake::Snapshot* snapshot) {
  std::string from;
  for (int32_t p = 0; p < partitions; ++p) {
    int64_t offset = -1;
    if (snapshot != nullptr) {
      std::optional<int64_t> loaded = snapshot->app_version(fmt::format("lagoa:{}:{}", stream.name, p));
      offset = loaded ? *loaded + 1 : 0;
    }
    from += fmt::format("{}{}", p == 0 ? "" : ",", offset);
  }
  return from;
}

// The stream's view: the log tail first (its columns are the stream's latest schema and the
// metadata columns, in order), then the lake's rows matched BY NAME, so columns the stream gained
// after the table's last load are NULL for those rows. With a lake table the tail's start is
// pinned by the session (TailPins), so the text stays the same while the files do.
std::string StreamSelect(const schema::StreamDefinition& stream, int32_t partitions, const lake::Snapshot* snapshot,
                         const std::string& lake_scan) {
  const std::string from = snapshot != nullptr ? std::string(kPinnedOffsets) : TailFrom(stream, partitions, nullptr);
  std::string date;
  if (!stream.lake.date_partition_source.empty()) {
    date = fmt::format(", CAST(timezone('UTC', {}) AS DATE) AS \"_date\"",
                       QuoteIdentifier(stream.lake.date_partition_source));
  }
  std::string tail = fmt::format("SELECT *{} FROM {}({}, {}, {})", date, kLogTailFunction,
                                 duck::SqlStringLiteral(stream.name), duck::SqlStringLiteral(from), stream.created_us);
  if (lake_scan.empty()) return tail;
  return fmt::format("{} UNION ALL BY NAME ({})", tail, lake_scan);
}

}  // namespace

Result<std::unique_ptr<RelationCatalog>> RelationCatalog::Make(std::filesystem::path lake_dir,
                                                               ingest::StreamRegistry* streams,
                                                               const lake::AttachedTables* attached,
                                                               const lake::AttachedTables* lake_tables) {
  auto catalog =
      std::unique_ptr<RelationCatalog>(new RelationCatalog(std::move(lake_dir), streams, attached, lake_tables));
  LAGOA_ASSIGN_OR_RETURN(catalog->duckdb_, duck::Connection::Make(duck::DatabaseOptions::Defaults()));
  return catalog;
}

std::vector<std::string> RelationCatalog::Names() const {
  std::vector<std::string> names;
  if (streams_ != nullptr) {
    for (const ingest::StreamHandle& stream : streams_->List()) names.push_back(stream.definition->name);
  }
  if (attached_ != nullptr) {
    for (const lake::AttachedTable& table : attached_->List()) names.push_back(table.name);
  }
  if (lake_tables_ != nullptr) {
    for (const lake::AttachedTable& table : lake_tables_->List()) names.push_back(table.name);
  }
  return names;
}

void RelationCatalog::ForgetTable(const std::filesystem::path& dir) {
  std::lock_guard lock(mu_);
  tables_.erase(dir);
}

std::optional<std::pair<lake::AttachedTable, std::string>> RelationCatalog::FindTable(std::string_view name) const {
  if (attached_ != nullptr) {
    if (std::optional<lake::AttachedTable> table = attached_->Find(name)) return std::pair(*table, "attached");
  }
  if (lake_tables_ != nullptr) {
    if (std::optional<lake::AttachedTable> table = lake_tables_->Find(name)) return std::pair(*table, "table");
  }
  return std::nullopt;
}

Result<std::shared_ptr<const lake::Snapshot>> RelationCatalog::Latest(const std::filesystem::path& dir,
                                                                      const std::string& incarnation,
                                                                      const lake::ObjectStore** store) {
  *store = nullptr;
  CachedTable& cached = tables_[dir];
  if (cached.incarnation != incarnation) {
    cached = CachedTable{};
    cached.incarnation = incarnation;
  }
  if (cached.store == nullptr) {
    Result<std::unique_ptr<lake::ObjectStore>> opened = lake::OpenObjectStore(dir.string());
    if (!opened.ok()) {
      tables_.erase(dir);
      // A stream's table before its first load has no folder yet.
      if (opened.status().code() == StatusCode::kNotFound) return std::shared_ptr<const lake::Snapshot>();
      return opened.status();
    }
    cached.store = std::move(*opened);
  }
  *store = cached.store.get();
  lake::DeltaLogReader reader(cached.store.get(), duckdb_.get(), "");
  if (cached.snapshot != nullptr) {
    LAGOA_ASSIGN_OR_RETURN(const bool latest, reader.IsLatest(*cached.snapshot));
    if (latest) return cached.snapshot;
  }
  // Following the table: only the commits since the cached snapshot are read.
  Result<lake::Snapshot> snapshot =
      cached.snapshot != nullptr ? reader.LoadSnapshotAfter(*cached.snapshot) : reader.LoadSnapshot();
  if (!snapshot.ok()) {
    cached.snapshot.reset();
    if (snapshot.status().code() == StatusCode::kNotFound) return std::shared_ptr<const lake::Snapshot>();
    return snapshot.status().WithContext(fmt::format("reading the Delta table in {}", dir.string()));
  }
  cached.snapshot = std::make_shared<const lake::Snapshot>(std::move(*snapshot));
  return cached.snapshot;
}

Result<std::optional<RelationDefinition>> RelationCatalog::Find(std::string_view name, const SkipFilter* filter) {
  LAGOA_ASSIGN_OR_RETURN(std::optional<RelationDefinition> current, FindCurrent(name, filter));
  if (current) return current;
  const size_t at = name.rfind('@');
  if (at == std::string_view::npos || at == 0) return std::optional<RelationDefinition>();
  return FindAsOf(name, name.substr(0, at), name.substr(at + 1));
}

Result<std::optional<RelationDefinition>> RelationCatalog::FindAsOf(std::string_view name, std::string_view base,
                                                                    std::string_view when) {
  // Where the Delta table of `base` is, if lagoa has a relation of that name.
  std::filesystem::path dir;
  std::string incarnation;
  std::optional<ingest::StreamHandle> stream;
  if (streams_ != nullptr) stream = streams_->Find(base);
  std::optional<std::pair<lake::AttachedTable, std::string>> found;
  if (!stream) found = FindTable(base);
  const lake::AttachedTable* table = found ? &found->first : nullptr;
  if (stream) {
    dir = lake_dir_ / stream->definition->name;
    incarnation = std::to_string(stream->definition->created_us);
  } else if (table) {
    dir = table->path;
    incarnation = std::to_string(table->attached_ms);
  } else {
    return std::optional<RelationDefinition>();
  }
  std::optional<int64_t> version;
  std::optional<int64_t> timestamp_ms;
  if (when.size() > 1 && when[0] == 'v' &&
      std::all_of(when.begin() + 1, when.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    version = ParseInteger<int64_t>(when.substr(1));
    if (!version) {
      return Status::InvalidArgument(
          fmt::format("\"{}\": version {} of the table \"{}\" is past the largest there can be ({})", name,
                      when.substr(1), base, INT64_MAX));
    }
  } else if (Result<int64_t> micros = schema::ParseTimestampMicros(when); micros.ok()) {
    timestamp_ms = *micros / 1000;
  } else {
    return Status::InvalidArgument(fmt::format(
        "\"{}\": after '@' comes a version (v12) or an RFC 3339 time (2026-11-26T10:00:00Z) of the table \"{}\"", name,
        base));
  }
  std::lock_guard lock(mu_);
  const lake::ObjectStore* ignored = nullptr;
  LAGOA_ASSIGN_OR_RETURN(std::shared_ptr<const lake::Snapshot> latest, Latest(dir, incarnation, &ignored));
  if (latest == nullptr) {
    return Status::NotFound(fmt::format("\"{}\": the table \"{}\" has no version yet (nothing loaded)", name, base));
  }
  lake::ObjectStore* store = tables_[dir].store.get();
  if (timestamp_ms) {
    Result<lake::TableVersion> at = lake::VersionAtTimestamp(store, "", *timestamp_ms);
    if (!at.ok()) return at.status().WithContext(fmt::format("\"{}\": table \"{}\"", name, base));
    version = at->value();
  }
  lake::DeltaLogReader reader(store, duckdb_.get(), "");
  Result<lake::Snapshot> loaded = reader.LoadSnapshot(lake::TableVersion(*version));
  if (!loaded.ok()) return loaded.status().WithContext(fmt::format("\"{}\"", name));
  const lake::Snapshot& snapshot = *loaded;
  LAGOA_RETURN_IF_ERROR(lake::CheckReaderProtocol(snapshot.protocol()).WithContext(fmt::format("table \"{}\"", base)));
  RelationDefinition relation;
  relation.name = std::string(name);
  relation.key = fmt::format("as-of:{}:{}", incarnation, snapshot.version().value());
  LAGOA_ASSIGN_OR_RETURN(relation.select, lake::BuildScanSql(snapshot, *store));
  return std::optional(std::move(relation));
}

Result<std::optional<RelationDefinition>> RelationCatalog::FindCurrent(std::string_view name,
                                                                       const SkipFilter* filter) {
  std::optional<ingest::StreamHandle> stream;
  if (streams_ != nullptr) stream = streams_->Find(name);
  if (stream) {
    const schema::StreamDefinition& definition = *stream->definition;
    std::lock_guard lock(mu_);
    const lake::ObjectStore* store = nullptr;
    std::shared_ptr<const lake::Snapshot> snapshot;
    if (!ingest::StreamRegistry::IsDeadLetterName(definition.name) && definition.lake.enabled) {
      LAGOA_ASSIGN_OR_RETURN(snapshot,
                             Latest(lake_dir_ / definition.name, std::to_string(definition.created_us), &store));
    }
    const int32_t partitions = stream->log->partition_count();
    const std::string stream_key =
        fmt::format("stream:{}:{}:{}", definition.created_us, definition.latest().version.value(), partitions);
    const std::string key = fmt::format("{}:{}", stream_key, snapshot != nullptr ? snapshot->version().value() : -1);
    const std::string tail_from = snapshot != nullptr ? TailFrom(definition, partitions, snapshot.get()) : "";
    if (snapshot != nullptr) {
      // With every file skipped the lake side is still there, empty, so the view's column types
      // stay those of the union.
      auto build = [&](const std::vector<lake::AddFile>& files) -> Result<std::string> {
        LAGOA_ASSIGN_OR_RETURN(std::string scan, lake::BuildScanSql(*snapshot, *store, files));
        return StreamSelect(definition, partitions, snapshot.get(), scan);
      };
      LAGOA_ASSIGN_OR_RETURN(const RelationDefinition* skipping,
                             Skipping(definition.name, stream_key, *snapshot, filter, build));
      if (skipping != nullptr) {
        RelationDefinition relation = *skipping;
        relation.tail_from = tail_from;
        return std::optional(std::move(relation));
      }
    }
    if (const RelationDefinition* built = Built(definition.name, key)) {
      RelationDefinition relation = *built;
      relation.tail_from = tail_from;
      return std::optional(std::move(relation));
    }
    std::string scan;
    if (snapshot != nullptr && !snapshot->files().empty()) {
      LAGOA_ASSIGN_OR_RETURN(scan, lake::BuildScanSql(*snapshot, *store));
    }
    return std::optional(
        Remember(definition.name, key, StreamSelect(definition, partitions, snapshot.get(), scan), -1, tail_from));
  }
  std::optional<std::pair<lake::AttachedTable, std::string>> found = FindTable(name);
  if (!found) return std::optional<RelationDefinition>();
  const lake::AttachedTable* table = &found->first;
  std::lock_guard lock(mu_);
  const lake::ObjectStore* store = nullptr;
  LAGOA_ASSIGN_OR_RETURN(std::shared_ptr<const lake::Snapshot> snapshot,
                         Latest(table->path, std::to_string(table->attached_ms), &store));
  if (snapshot == nullptr) {
    return Status::NotFound(
        fmt::format("{} table \"{}\": {} holds no Delta commit", found->second, table->name, table->path.string()));
  }
  LAGOA_RETURN_IF_ERROR(
      lake::CheckReaderProtocol(snapshot->protocol()).WithContext(fmt::format("table \"{}\"", table->name)));
  const std::string key =
      fmt::format("{}:{}:{}:{}", found->second, table->attached_ms, table->path.string(), snapshot->version().value());
  auto build = [&](const std::vector<lake::AddFile>& files) { return lake::BuildScanSql(*snapshot, *store, files); };
  LAGOA_ASSIGN_OR_RETURN(const RelationDefinition* skipping, Skipping(table->name, key, *snapshot, filter, build));
  if (skipping != nullptr) {
    RelationDefinition relation = *skipping;
    relation.table_version = snapshot->version().value();
    return std::optional(std::move(relation));
  }
  if (const RelationDefinition* built = Built(table->name, key)) return std::optional(*built);
  LAGOA_ASSIGN_OR_RETURN(std::string select, lake::BuildScanSql(*snapshot, *store));
  return std::optional(Remember(table->name, key, std::move(select), snapshot->version().value()));
}

Result<const RelationDefinition*> RelationCatalog::Skipping(
    const std::string& name, const std::string& key, const lake::Snapshot& snapshot, const SkipFilter* filter,
    const std::function<Result<std::string>(const std::vector<lake::AddFile>&)>& build) {
  if (filter == nullptr || snapshot.files().empty()) return nullptr;
  std::vector<lake::ColumnPredicate> predicates;
  for (const SkipPredicate& predicate : filter->predicates) {
    for (const lake::DeltaColumn& column : snapshot.columns()) {
      if (!schema::EqualsIgnoreCase(column.name, predicate.predicate.column)) continue;
      if (Applies(predicate, column.type ? &*column.type : nullptr)) predicates.push_back(predicate.predicate);
    }
  }
  if (predicates.empty()) return nullptr;
  Result<lake::PrunedFiles> pruned = lake::PruneFiles(snapshot, predicates);
  // A literal the pruner cannot read (out of its range) skips nothing; DuckDB judges the statement.
  if (!pruned.ok() || pruned->files_pruned == 0) return nullptr;
  std::string skipping_key = key + ":skipping";
  for (const lake::AddFile& file : pruned->files) skipping_key += ":" + file.path;
  auto it = skipping_.find(name);
  if (it != skipping_.end() && it->second.key == skipping_key) return &it->second;
  LAGOA_ASSIGN_OR_RETURN(std::string select, build(pruned->files));
  RelationDefinition& relation = skipping_[name];
  relation = {name, std::move(skipping_key), std::move(select), -1, ""};
  return &relation;
}

const RelationDefinition* RelationCatalog::Built(const std::string& name, const std::string& key) const {
  auto it = built_.find(name);
  return it != built_.end() && it->second.key == key ? &it->second : nullptr;
}

const RelationDefinition& RelationCatalog::Remember(const std::string& name, const std::string& key, std::string select,
                                                    int64_t table_version, std::string tail_from) {
  RelationDefinition& relation = built_[name];
  relation = {name, key, std::move(select), table_version, std::move(tail_from)};
  return relation;
}

}  // namespace lagoa::sql::internal
