#include "lake/delta/delta_checkpoint_writer.h"

#include <fmt/format.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <sstream>

#include "base/file_util.h"
#include "lake/delta/delta_log.h"
#include "lake/delta/delta_writer_actions.h"
#include "lake/store/local_object_store.h"
#include "lake/store/scratch_file.h"

namespace lagoa::lake {
namespace {

// The checkpoint's columns (PROTOCOL.md "Checkpoint Schema"), one struct per action type.
constexpr std::string_view kCheckpointColumns =
    R"({'txn': 'STRUCT("appId" VARCHAR, "version" BIGINT, "lastUpdated" BIGINT)', )"
    R"('add': 'STRUCT("path" VARCHAR, "partitionValues" MAP(VARCHAR, VARCHAR), "size" BIGINT, )"
    R"("modificationTime" BIGINT, "dataChange" BOOLEAN, "stats" VARCHAR)', )"
    R"('remove': 'STRUCT("path" VARCHAR, "deletionTimestamp" BIGINT, "dataChange" BOOLEAN)', )"
    R"('metaData': 'STRUCT("id" VARCHAR, "name" VARCHAR, "description" VARCHAR, )"
    R"("format" STRUCT("provider" VARCHAR, "options" MAP(VARCHAR, VARCHAR)), "schemaString" VARCHAR, )"
    R"("partitionColumns" VARCHAR[], "configuration" MAP(VARCHAR, VARCHAR), "createdTime" BIGINT)', )"
    R"('protocol': 'STRUCT("minReaderVersion" INTEGER, "minWriterVersion" INTEGER, )"
    R"("readerFeatures" VARCHAR[], "writerFeatures" VARCHAR[])'})";

std::atomic<uint64_t> scratch_counter{0};

std::filesystem::path ScratchPath(const std::filesystem::path& dir, std::string_view suffix) {
  return dir / fmt::format("lagoa-checkpoint-{}-{}{}", getpid(), scratch_counter.fetch_add(1), suffix);
}

Status WriteLocalFile(const std::filesystem::path& path, std::string_view data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  out.close();
  if (!out) return Status::IoError(fmt::format("write {}: failed", path.string()));
  return Status::Ok();
}

Result<std::string> ReadLocalFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IoError(fmt::format("open {}: failed", path.string()));
  std::ostringstream data;
  data << in.rdbuf();
  if (!in.good() && !in.eof()) return Status::IoError(fmt::format("read {}: failed", path.string()));
  return std::move(data).str();
}

// Replaces `key` with `data`: temporary file + rename on a local store, else Delete + PutIfAbsent.
Status ReplaceObject(ObjectStore& store, const std::string& key, std::string_view data) {
  if (auto* local = dynamic_cast<LocalObjectStore*>(&store); local != nullptr) {
    const std::filesystem::path target = local->root() / key;
    const std::filesystem::path temp =
        target.parent_path() / fmt::format("{}{}-{}-{}", kTempObjectPrefix, target.filename().string(), getpid(),
                                           scratch_counter.fetch_add(1));
    return WriteFileAtomically(target, data, temp);
  }
  Status deleted = store.Delete(key);
  if (!deleted.ok() && deleted.code() != StatusCode::kNotFound) return deleted;
  Status put = store.PutIfAbsent(key, data);
  // Another writer put a hint in between: theirs is as good as ours.
  if (put.code() == StatusCode::kAlreadyExists) return Status::Ok();
  return put;
}

Status UpdateLastCheckpoint(ObjectStore& store, const std::string& table_prefix, TableVersion version, size_t rows) {
  const std::string key = table_prefix + "_delta_log/_last_checkpoint";
  auto current = store.Get(key);
  if (current.ok()) {
    auto hint = ParseLastCheckpoint(*current);
    if (hint.ok() && hint->version >= version) return Status::Ok();
  } else if (current.status().code() != StatusCode::kNotFound) {
    return current.status();
  }
  return ReplaceObject(store, key, fmt::format(R"({{"version":{},"size":{}}})", version.value(), rows));
}

}  // namespace

std::string CheckpointKey(std::string_view table_prefix, TableVersion version) {
  return fmt::format("{}_delta_log/{}.checkpoint.parquet", table_prefix, VersionFileStem(version));
}

Status WriteCheckpoint(ObjectStore& store, duck::Connection& duckdb, const Snapshot& snapshot,
                       const std::filesystem::path& scratch_dir) {
  auto where = [&](const Status& s) { return s.WithContext(fmt::format("checkpoint {}", snapshot.version().value())); };
  std::vector<std::string> lines;
  lines.reserve(snapshot.files().size() + snapshot.app_versions().size() + 2);
  lines.push_back(SerializeAction(snapshot.protocol()));
  lines.push_back(SerializeAction(snapshot.metadata()));
  for (const AddFile& add : snapshot.files()) lines.push_back(SerializeAction(add));
  for (const auto& [app_id, version] : snapshot.app_versions()) {
    lines.push_back(SerializeAction(Txn{.app_id = app_id, .version = version, .last_updated_ms = std::nullopt}));
  }

  ScratchFile json_file(ScratchPath(scratch_dir, ".json"));
  ScratchFile parquet_file(ScratchPath(scratch_dir, ".parquet"));
  LAGOA_RETURN_IF_ERROR(where(WriteLocalFile(json_file.path(), SerializeCommit(lines))));
  const std::string sql = fmt::format(
      "COPY (SELECT txn, \"add\", \"remove\", \"metaData\", protocol FROM read_json({}, format = 'newline_delimited', "
      "columns = {})) TO {} (FORMAT parquet)",
      duck::SqlStringLiteral(json_file.path().string()), kCheckpointColumns,
      duck::SqlStringLiteral(parquet_file.path().string()));
  LAGOA_RETURN_IF_ERROR(where(duckdb.Execute(sql)));
  auto bytes = ReadLocalFile(parquet_file.path());
  if (!bytes.ok()) return where(bytes.status());

  Status put = store.PutIfAbsent(CheckpointKey(snapshot.table_prefix(), snapshot.version()), *bytes);
  // Checkpoints of one version hold the same actions, so another writer's is as good as ours.
  if (!put.ok() && put.code() != StatusCode::kAlreadyExists) return where(put);
  return where(UpdateLastCheckpoint(store, snapshot.table_prefix(), snapshot.version(), lines.size()));
}

}  // namespace lagoa::lake
