#include "lake/delta/delta_table_writer.h"

#include <fmt/format.h>

#include <cassert>
#include <chrono>
#include <set>

#include "lake/delta/delta_checkpoint_writer.h"
#include "lake/delta/delta_log.h"
#include "lake/delta/delta_writer_actions.h"

namespace lagoa::lake {
namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string CommitKey(std::string_view table_prefix, TableVersion version) {
  return fmt::format("{}_delta_log/{}.json", table_prefix, VersionFileStem(version));
}

// What a commit touches, for conflict checks.
struct CommitFootprint {
  std::set<std::string> removed_paths;
  std::set<std::string> txn_app_ids;
  bool changes_metadata = false;  // protocol or metaData
  bool adds_files = false;

  explicit CommitFootprint(const std::vector<Action>& actions) {
    for (const Action& action : actions) {
      if (const auto* remove = std::get_if<RemoveFile>(&action)) removed_paths.insert(remove->path);
      if (const auto* txn = std::get_if<Txn>(&action)) txn_app_ids.insert(txn->app_id);
      if (std::holds_alternative<Protocol>(action) || std::holds_alternative<Metadata>(action)) changes_metadata = true;
      if (std::holds_alternative<AddFile>(action)) adds_files = true;
    }
  }
};

// Why the commit `mine` cannot follow `winner` (a commit another writer made after this one's read
// version), or "" when it can.
std::string ConflictReason(const CommitFootprint& mine, const CommitFootprint& winner, bool conflict_on_adds) {
  if (winner.changes_metadata) return "it changed the table's protocol or metadata";
  if (mine.changes_metadata)
    return "this commit changes the protocol or metadata, which must follow the latest version";
  for (const std::string& path : mine.removed_paths) {
    if (winner.removed_paths.contains(path)) return fmt::format("it also removed the file `{}`", path);
  }
  for (const std::string& app_id : mine.txn_app_ids) {
    if (winner.txn_app_ids.contains(app_id))
      return fmt::format("it advanced the transaction of application `{}`", app_id);
  }
  if (conflict_on_adds && !mine.removed_paths.empty() && winner.adds_files) {
    return "it added files this commit's removals did not see (serializable isolation)";
  }
  return "";
}

Status ValidateActions(const std::vector<Action>& actions) {
  size_t real_actions = 0;
  for (const Action& action : actions) {
    if (std::holds_alternative<CommitInfo>(action)) continue;
    ++real_actions;
    if (const auto* add = std::get_if<AddFile>(&action)) {
      LAGOA_RETURN_IF_ERROR(ValidateObjectKey(add->path).WithContext("add"));
      if (add->has_deletion_vector)
        return Status::InvalidArgument("add `" + add->path + "`: lagoa writes no deletion vectors");
      if (add->size_bytes < 0) return Status::InvalidArgument("add `" + add->path + "`: negative size");
    }
    if (const auto* remove = std::get_if<RemoveFile>(&action)) {
      LAGOA_RETURN_IF_ERROR(ValidateObjectKey(remove->path).WithContext("remove"));
    }
    if (const auto* protocol = std::get_if<Protocol>(&action)) LAGOA_RETURN_IF_ERROR(CheckWriterProtocol(*protocol));
  }
  if (real_actions == 0) return Status::InvalidArgument("a commit needs at least one action besides commitInfo");
  return Status::Ok();
}

}  // namespace

Status DeltaWriterOptions::Validate() const {
  if (!table_prefix.empty() && table_prefix.back() != '/') {
    return Status::InvalidArgument(fmt::format("table_prefix `{}`: must be empty or end in '/'", table_prefix));
  }
  if (checkpoint_interval < 0) return Status::InvalidArgument("checkpoint_interval: must be >= 0 (0 = never)");
  if (commit_attempts_max < 1) return Status::InvalidArgument("commit_attempts_max: must be >= 1");
  if (commit_bytes_max < 1) return Status::InvalidArgument("commit_bytes_max: must be >= 1");
  return Status::Ok();
}

Status CheckWriterProtocol(const Protocol& protocol) {
  if (protocol.min_writer_version > kWriterWriterVersion || !protocol.writer_features.empty() ||
      protocol.min_reader_version > kWriterReaderVersion) {
    return Status::FailedPrecondition(fmt::format(
        "the table needs Delta writer version {} (reader version {}){}; lagoa writes only reader 1 / writer 2 tables",
        protocol.min_writer_version, protocol.min_reader_version,
        protocol.writer_features.empty()
            ? ""
            : fmt::format(" with writer features [{}]", fmt::join(protocol.writer_features, ", "))));
  }
  return Status::Ok();
}

Result<std::unique_ptr<DeltaTableWriter>> DeltaTableWriter::Make(ObjectStore* store, duck::Connection* duckdb,
                                                                 DeltaWriterOptions options) {
  assert(store != nullptr && duckdb != nullptr);
  LAGOA_RETURN_IF_ERROR(options.Validate());
  if (options.scratch_dir.empty()) options.scratch_dir = std::filesystem::temp_directory_path();
  return std::unique_ptr<DeltaTableWriter>(new DeltaTableWriter(store, duckdb, std::move(options)));
}

Result<CommitResult> DeltaTableWriter::CreateTable(const std::vector<schema::Field>& fields,
                                                   const std::vector<std::string>& partition_columns,
                                                   const std::map<std::string, std::string>& configuration) {
  if (fields.empty()) return Status::InvalidArgument("a table needs at least one column");
  for (const std::string& column : partition_columns) {
    bool found = false;
    for (const schema::Field& field : fields) found = found || field.name == column;
    if (!found)
      return Status::InvalidArgument(fmt::format("partition column `{}` is not a column of the table", column));
  }
  LAGOA_ASSIGN_OR_RETURN(std::vector<ObjectInfo> existing, store_->List(options_.table_prefix + "_delta_log/"));
  for (const ObjectInfo& object : existing) {
    if (object.key.ends_with(".json") || object.key.find(".checkpoint.") != std::string::npos) {
      return Status::AlreadyExists(
          fmt::format("table `{}` exists: its log holds `{}`", options_.table_prefix, object.key));
    }
  }
  const int64_t now_ms = NowMs();
  Metadata metadata;
  metadata.id = NewTableId();
  metadata.format_provider = "parquet";
  metadata.schema_string = SparkSchemaString(fields);
  metadata.partition_columns = partition_columns;
  metadata.configuration = configuration;
  metadata.created_time_ms = now_ms;
  const std::string contents = SerializeCommit(
      {SerializeCommitInfo({.timestamp_ms = now_ms, .operation = "CREATE TABLE", .operation_parameters = {}}),
       SerializeAction(Protocol{kWriterReaderVersion, kWriterWriterVersion, {}, {}}), SerializeAction(metadata)});
  Status put = store_->PutIfAbsent(CommitKey(options_.table_prefix, TableVersion(0)), contents);
  if (put.code() == StatusCode::kAlreadyExists) {
    return Status::AlreadyExists(
        fmt::format("table `{}` exists: another writer created version 0", options_.table_prefix));
  }
  LAGOA_RETURN_IF_ERROR(put);
  return CommitResult{.version = TableVersion(0), .attempts = 1, .checkpoint = std::nullopt, .checkpoint_status = {}};
}

Result<CommitResult> DeltaTableWriter::Commit(const std::vector<Action>& actions, TableVersion read_version,
                                              const CommitOptions& options) {
  if (read_version < TableVersion(0)) return Status::InvalidArgument("read_version: must be >= 0");
  LAGOA_RETURN_IF_ERROR(ValidateActions(actions));
  LAGOA_ASSIGN_OR_RETURN(CommitResult result, CommitFrom(actions, read_version + 1, options));
  if (options_.checkpoint_interval > 0 && result.version.value() % options_.checkpoint_interval == 0) {
    result.checkpoint = result.version;
    result.checkpoint_status = Checkpoint(result.version);
  }
  return result;
}

Result<CommitResult> DeltaTableWriter::CommitFrom(const std::vector<Action>& actions, TableVersion first_version,
                                                  const CommitOptions& options) {
  std::vector<std::string> lines;
  lines.reserve(actions.size() + 1);
  lines.push_back(SerializeCommitInfo(
      {.timestamp_ms = NowMs(), .operation = options.operation, .operation_parameters = options.operation_parameters}));
  for (const Action& action : actions) {
    if (!std::holds_alternative<CommitInfo>(action)) lines.push_back(SerializeAction(action));
  }
  const std::string contents = SerializeCommit(lines);
  if (static_cast<int64_t>(contents.size()) > options_.commit_bytes_max) {
    return Status::InvalidArgument(
        fmt::format("commit of {} bytes exceeds commit_bytes_max {}", contents.size(), options_.commit_bytes_max));
  }
  const CommitFootprint mine(actions);
  TableVersion version = first_version;
  for (int attempt = 1; attempt <= options_.commit_attempts_max; ++attempt, ++version) {
    const std::string key = CommitKey(options_.table_prefix, version);
    Status put = store_->PutIfAbsent(key, contents);
    if (put.ok())
      return CommitResult{.version = version, .attempts = attempt, .checkpoint = std::nullopt, .checkpoint_status = {}};
    if (put.code() != StatusCode::kAlreadyExists)
      return put.WithContext(fmt::format("commit version {}", version.value()));
    // Lost this version: the winner's commit is complete (PutIfAbsent is atomic); read it.
    LAGOA_ASSIGN_OR_RETURN(std::string winner_contents, store_->Get(key));
    auto winner = ParseCommitFile(winner_contents);
    if (!winner.ok()) return winner.status().WithContext(fmt::format("reading concurrent commit {}", version.value()));
    const std::string reason = ConflictReason(mine, CommitFootprint(*winner), options.conflict_on_concurrent_adds);
    if (!reason.empty()) {
      return Status::FailedPrecondition(fmt::format(
          "commit conflict: version {} was committed by another writer after read version {} and {}; re-read the "
          "table and retry",
          version.value(), first_version.value() - 1, reason));
    }
  }
  return Status::ResourceExhausted(
      fmt::format("commit gave up after {} attempts (versions {}..{}) lost to other writers",
                  options_.commit_attempts_max, first_version.value(), version.value() - 1));
}

Status DeltaTableWriter::Checkpoint(TableVersion version) {
  DeltaLogReader reader(store_, duckdb_, options_.table_prefix);
  LAGOA_ASSIGN_OR_RETURN(Snapshot snapshot, reader.LoadSnapshot(version));
  return WriteCheckpoint(*store_, *duckdb_, snapshot, options_.scratch_dir);
}

}  // namespace lagoa::lake
