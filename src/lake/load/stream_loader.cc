#include "lake/load/stream_loader.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <fstream>
#include <future>
#include <set>
#include <span>
#include <utility>

#include "base/assert.h"
#include "lake/delta/delta_log.h"
#include "lake/delta/delta_schema.h"
#include "lake/delta/delta_table_writer.h"
#include "lake/delta/delta_writer_actions.h"
#include "lake/delta/snapshot.h"
#include "lake/load/parquet_file_writer.h"
#include "lake/load/record_appender.h"
#include "lake/maintenance/maintenance_files_internal.h"

namespace lagoa::lake {
namespace {

constexpr std::string_view kDeltaLogDir = "_delta_log/";
constexpr int kCreateAttemptsMax = 5;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// One read of the whole file (a stream iterator's byte-at-a-time copy showed in profiles).
Result<std::string> ReadLocalFile(const std::filesystem::path& path) {
  std::error_code ec;
  const uintmax_t size = std::filesystem::file_size(path, ec);
  if (ec) return Status::IoError(fmt::format("cannot stat `{}`: {}", path.string(), ec.message()));
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IoError(fmt::format("cannot open `{}`", path.string()));
  std::string data(static_cast<size_t>(size), '\0');
  if (!in.read(data.data(), static_cast<std::streamsize>(size)) || in.gcount() != static_cast<std::streamsize>(size)) {
    return Status::IoError(fmt::format("cannot read `{}`", path.string()));
  }
  return data;
}

// Fields as they read back from a Delta schema (JSON → VARCHAR, TIMESTAMP → TIMESTAMPTZ ...), so a
// stream's fields can be compared with a table's.
Result<std::vector<schema::Field>> AsDeltaReadsThem(const std::vector<schema::Field>& fields) {
  LAGOA_ASSIGN_OR_RETURN(std::vector<DeltaColumn> columns, ParseSparkSchema(SparkSchemaString(fields)));
  return ToLagoaFields(columns);
}

// The table's columns followed by the stream's new ones (nullable: rows already in the table have
// no value for them). FailedPrecondition when a table column is missing from the stream or has
// another type.
Result<std::vector<schema::Field>> ColumnsAfterEvolution(const std::vector<schema::Field>& table_fields,
                                                         const std::vector<schema::Field>& wanted,
                                                         const std::vector<schema::Field>& wanted_read,
                                                         const StreamLoaderOptions& o) {
  for (const schema::Field& column : table_fields) {
    auto it = std::find_if(wanted_read.begin(), wanted_read.end(),
                           [&](const schema::Field& f) { return f.name == column.name; });
    if (it == wanted_read.end()) {
      return Status::FailedPrecondition(fmt::format("table `{}` has column `{}`, which stream `{}` does not have",
                                                    o.table_prefix, column.name, o.stream.name));
    }
    if (!(it->type == column.type)) {
      return Status::FailedPrecondition(fmt::format("table `{}`: column `{}` is {} but stream `{}` has {}",
                                                    o.table_prefix, column.name, column.type.ToSql(), o.stream.name,
                                                    it->type.ToSql()));
    }
  }
  std::vector<schema::Field> new_fields = table_fields;
  for (const schema::Field& field : wanted) {
    if (std::none_of(table_fields.begin(), table_fields.end(),
                     [&](const schema::Field& f) { return f.name == field.name; })) {
      schema::Field added = field;
      added.nullable = true;
      new_fields.push_back(std::move(added));
    }
  }
  return new_fields;
}

}  // namespace

Status StreamLoaderOptions::Validate() const {
  if (partition == nullptr) return Status::InvalidArgument("stream loader: `partition` is required");
  if (store == nullptr) return Status::InvalidArgument("stream loader: `store` is required");
  LAGOA_RETURN_IF_ERROR(schema::ValidateStreamDefinition(stream));
  if (partition_id.value() < 0 || partition_id.value() >= stream.partitions) {
    return Status::InvalidArgument(
        fmt::format("stream loader: `partition_id` {} is not a partition of stream `{}` (0..{})", partition_id.value(),
                    stream.name, stream.partitions - 1));
  }
  if (!table_prefix.empty() && table_prefix.back() != '/') {
    return Status::InvalidArgument(
        fmt::format("stream loader: `table_prefix` must be empty or end in '/', got `{}`", table_prefix));
  }
  if (rows_max < 1)
    return Status::InvalidArgument(fmt::format("stream loader: `rows_max` must be >= 1, got {}", rows_max));
  if (bytes_max < 1) {
    return Status::InvalidArgument(fmt::format("stream loader: `bytes_max` must be >= 1, got {}", bytes_max));
  }
  if (interval_ms.count() < 0) {
    return Status::InvalidArgument(
        fmt::format("stream loader: `interval_ms` must be >= 0, got {}", interval_ms.count()));
  }
  if (read_bytes_max < 1) return Status::InvalidArgument("stream loader: `read_bytes_max` must be >= 1");
  if (!date_partition_source.empty()) {
    schema::StreamDefinition partitioned = stream;
    partitioned.lake.date_partition_source = date_partition_source;
    LAGOA_RETURN_IF_ERROR(schema::ValidateStreamDefinition(partitioned).WithContext("stream loader"));
  }
  if (conflict_retries_max < 0) return Status::InvalidArgument("stream loader: `conflict_retries_max` must be >= 0");
  return duckdb.Validate();
}

std::vector<schema::Field> StreamTableFields(const schema::StreamDefinition& stream,
                                             const std::string& date_partition_source) {
  std::vector<schema::Field> fields = WithLoadMetadataColumns(stream.latest().fields);
  if (!date_partition_source.empty()) fields.push_back({std::string(kDatePartitionColumn), schema::Type::Date(), true});
  return fields;
}

struct StreamLoader::State {
  StreamLoaderOptions options;
  std::string app_id;
  std::unique_ptr<duck::Connection> duckdb;  // the Delta log reader's and writer's
  std::unique_ptr<DeltaTableWriter> writer;
  std::unique_ptr<RecordAppender> appender;
  std::unique_ptr<ParquetFileWriter> parquet;
  std::unique_ptr<log::Reader> reader;  // kept across LoadOnce calls while its position fits
  std::function<Status(const std::string&)> before_commit_hook;
  std::string schema_string;  // the table's, as checked by EnsureTable
  // A partitioned table's columns stored in its files (all but `_date`), for the files' statistics.
  std::vector<DeltaColumn> data_columns;
  // The table as the last attempt read it: the next one reads only the commits after it.
  std::optional<Snapshot> last_snapshot;
};

std::string LoaderAppId(std::string_view stream, PartitionId partition) {
  return fmt::format("lagoa:{}:{}", stream, partition.value());
}

Status SkipOffsetsTheLakeHolds(log::Partition* partition, std::string_view what, int64_t loaded_last) {
  const Offset next(loaded_last + 1);
  const Offset log_next = partition->next_offset();
  if (next <= log_next) return Status::Ok();
  spdlog::error(
      "lake: {}: the table holds offsets up to {} but the log ends at {}; the log lost offsets {} to {} "
      "after they were loaded (the table keeps those events) and skips them, so that no new event "
      "gets an offset the table already holds",
      what, loaded_last, log_next.value(), log_next.value(), loaded_last);
  std::promise<Result<log::AppendResult>> skipped;
  partition->SkipTo(next, [&skipped](Result<log::AppendResult> r) { skipped.set_value(std::move(r)); });
  Result<log::AppendResult> result = skipped.get_future().get();
  if (!result.ok()) {
    return result.status().WithContext(fmt::format("{}: skipping the log to offset {}", what, next.value()));
  }
  return Status::Ok();
}

StreamLoader::StreamLoader(std::unique_ptr<State> state) : state_(std::move(state)) {}
StreamLoader::~StreamLoader() = default;

const std::string& StreamLoader::app_id() const { return state_->app_id; }

void StreamLoader::SetBeforeCommitHookForTesting(std::function<Status(const std::string& file_key)> hook) {
  state_->before_commit_hook = std::move(hook);
}

Result<std::unique_ptr<StreamLoader>> StreamLoader::Make(StreamLoaderOptions options) {
  LAGOA_RETURN_IF_ERROR(options.Validate());
  auto state = std::make_unique<State>();
  state->app_id = LoaderAppId(options.stream.name, options.partition_id);
  if (options.scratch_dir.empty()) options.scratch_dir = std::filesystem::temp_directory_path();
  LAGOA_ASSIGN_OR_RETURN(state->duckdb, duck::Connection::Make(options.duckdb));
  DeltaWriterOptions writer_options = DeltaWriterOptions::Defaults();
  writer_options.table_prefix = options.table_prefix;
  writer_options.checkpoint_interval = options.checkpoint_interval;
  writer_options.scratch_dir = options.scratch_dir;
  LAGOA_ASSIGN_OR_RETURN(state->writer, DeltaTableWriter::Make(options.store, state->duckdb.get(), writer_options));
  RecordAppenderOptions appender_options;
  appender_options.versions = options.stream.versions;
  appender_options.duckdb = options.duckdb;
  LAGOA_ASSIGN_OR_RETURN(state->appender, RecordAppender::Make(std::move(appender_options)));
  ParquetFileOptions parquet_options = ParquetFileOptions::Defaults();
  parquet_options.dir = options.scratch_dir;
  LAGOA_ASSIGN_OR_RETURN(state->parquet, ParquetFileWriter::Make(parquet_options));
  state->options = std::move(options);

  std::unique_ptr<StreamLoader> loader(new StreamLoader(std::move(state)));
  LAGOA_RETURN_IF_ERROR(loader->EnsureTable());
  return loader;
}

// Creates the table, or checks its columns against the stream's and adds the new ones. Another
// process may create or change the table at the same time: a lost race re-reads and checks again.
Status StreamLoader::EnsureTable() {
  State& s = *state_;
  const std::string& date_source = s.options.date_partition_source;
  const std::vector<schema::Field> wanted = StreamTableFields(s.options.stream, date_source);
  std::vector<std::string> wanted_partitions;
  if (!date_source.empty()) wanted_partitions.emplace_back(kDatePartitionColumn);
  LAGOA_ASSIGN_OR_RETURN(const std::vector<schema::Field> wanted_read, AsDeltaReadsThem(wanted));
  DeltaLogReader log_reader(s.options.store, s.duckdb.get(), s.options.table_prefix);
  for (int attempt = 0; attempt < kCreateAttemptsMax; ++attempt) {
    Result<Snapshot> snapshot = log_reader.LoadSnapshot();
    if (!snapshot.ok() && snapshot.status().code() == StatusCode::kNotFound) {
      Result<CommitResult> created = s.writer->CreateTable(wanted, wanted_partitions, {});
      if (created.ok() || created.status().code() == StatusCode::kAlreadyExists) continue;
      return created.status();
    }
    if (!snapshot.ok()) return snapshot.status();
    LAGOA_RETURN_IF_ERROR(CheckWriterProtocol(snapshot->protocol()));
    const std::vector<std::string>& partitions = snapshot->metadata().partition_columns;
    if (partitions != wanted_partitions) {
      const auto describe = [](const std::vector<std::string>& columns) {
        return columns.empty() ? std::string("unpartitioned")
                               : fmt::format("partitioned by {}", fmt::join(columns, ", "));
      };
      return Status::FailedPrecondition(fmt::format(
          "table `{}` is {} but stream `{}` asks for {} (lake partition_by {}); the loader never changes a table's "
          "partitioning: keep the stream's partitioning or load into a new table",
          s.options.table_prefix, describe(partitions), s.options.stream.name, describe(wanted_partitions),
          date_source.empty() ? std::string("unset") : "date(" + date_source + ")"));
    }
    LAGOA_ASSIGN_OR_RETURN(const std::vector<schema::Field> table_fields, ToLagoaFields(snapshot->columns()));
    LAGOA_ASSIGN_OR_RETURN(const std::vector<schema::Field> new_fields,
                           ColumnsAfterEvolution(table_fields, wanted, wanted_read, s.options));
    const auto app_version = snapshot->app_version(s.app_id);
    committed_next_.store(app_version ? *app_version + 1 : 0, std::memory_order_release);
    if (new_fields.size() == table_fields.size()) {
      s.schema_string = snapshot->metadata().schema_string;
      s.data_columns.clear();
      for (const DeltaColumn& column : snapshot->columns()) {
        if (column.name != kDatePartitionColumn) s.data_columns.push_back(column);
      }
      return Status::Ok();
    }

    Metadata metadata = snapshot->metadata();
    metadata.schema_string = SparkSchemaString(new_fields);
    CommitOptions commit_options;
    commit_options.operation = "ADD COLUMNS";
    Result<CommitResult> evolved = s.writer->Commit({Action(metadata)}, snapshot->version(), commit_options);
    if (evolved.ok() || evolved.status().code() == StatusCode::kFailedPrecondition) continue;  // re-check
    return evolved.status();
  }
  return Status::Unavailable(
      fmt::format("table `{}` kept changing while the stream loader checked its schema", s.options.table_prefix));
}

Result<LoadStep> StreamLoader::LoadOnce(std::chrono::milliseconds max_wait) {
  const auto call_deadline = std::chrono::steady_clock::now() + max_wait;
  int conflicts = 0;
  for (int attempt = 0; attempt <= state_->options.conflict_retries_max; ++attempt) {
    LoadStep step;
    step.conflicts = conflicts;
    Result<bool> done = LoadAttempt(call_deadline, &step);
    if (!done.ok()) {
      // The staged rows are re-read from the log next time; the reader's position no longer fits.
      state_->appender->Clear().IgnoreError();  // the load error is what matters
      state_->reader.reset();
      return done.status();
    }
    if (*done) return step;
    ++conflicts;
  }
  return Status::Unavailable(
      fmt::format("stream loader `{}`: lost {} commits in a row to another loader", state_->app_id, conflicts));
}

// One resume-read-write-commit round. true when finished (loaded a file or found nothing), false
// after losing the commit to another loader of the same appId (the file is gone again).
Result<bool> StreamLoader::LoadAttempt(std::chrono::steady_clock::time_point call_deadline, LoadStep* step) {
  State& s = *state_;
  const StreamLoaderOptions& o = s.options;
  DeltaLogReader log_reader(o.store, s.duckdb.get(), o.table_prefix);
  Result<Snapshot> read = s.last_snapshot ? log_reader.LoadSnapshotAfter(*s.last_snapshot) : log_reader.LoadSnapshot();
  s.last_snapshot.reset();
  LAGOA_RETURN_IF_ERROR(read.status());
  s.last_snapshot = std::move(read).value();
  const Snapshot& snapshot = *s.last_snapshot;
  LAGOA_RETURN_IF_ERROR(CheckWriterProtocol(snapshot.protocol()));
  if (snapshot.metadata().schema_string != s.schema_string) {
    return Status::FailedPrecondition(
        fmt::format("table `{}`: its schema changed (version {}) since the stream loader checked it; make a new loader",
                    o.table_prefix, snapshot.version().value()));
  }
  const std::optional<int64_t> loaded = snapshot.app_version(s.app_id);
  committed_next_.store(loaded ? *loaded + 1 : 0, std::memory_order_release);
  if (loaded) LAGOA_RETURN_IF_ERROR(SkipOffsetsTheLakeHolds(o.partition, s.app_id, *loaded));
  const Offset resume = loaded ? Offset(*loaded + 1) : o.partition->stats().start_offset;
  if (s.reader == nullptr || s.reader->position() != resume) {
    s.reader.reset();
    LAGOA_ASSIGN_OR_RETURN(s.reader, o.partition->OpenReader(resume));
  }
  LAGOA_RETURN_IF_ERROR(s.appender->Clear());
  LAGOA_ASSIGN_OR_RETURN(const uint64_t rows, StageRecords(call_deadline, step));
  if (rows == 0) return true;
  return WriteAndCommit(snapshot.version(), rows, step);
}

// Stages records from the reader's position until a trigger fires; returns the rows staged.
Result<uint64_t> StreamLoader::StageRecords(std::chrono::steady_clock::time_point call_deadline, LoadStep* step) {
  State& s = *state_;
  const StreamLoaderOptions& o = s.options;
  uint64_t rows = 0;
  uint64_t bytes = 0;
  const auto rows_max = static_cast<uint64_t>(o.rows_max);
  const auto bytes_max = static_cast<uint64_t>(o.bytes_max);
  std::optional<std::chrono::steady_clock::time_point> file_deadline;
  std::vector<LoadRecord> batch;
  while (rows < rows_max && bytes < bytes_max) {
    const size_t ask_bytes = std::max<size_t>(1, std::min<uint64_t>(o.read_bytes_max, bytes_max - bytes));
    LAGOA_ASSIGN_OR_RETURN(std::vector<log::ReadRecord> records, s.reader->Next(ask_bytes));
    if (records.empty()) {
      const auto deadline = file_deadline ? std::min(*file_deadline, call_deadline) : call_deadline;
      const auto now = std::chrono::steady_clock::now();
      if (now >= deadline) break;
      const auto wait = std::chrono::ceil<std::chrono::milliseconds>(deadline - now);
      if (!o.partition->WaitForData(s.reader->position(), wait)) break;
      continue;
    }
    batch.clear();
    for (const log::ReadRecord& r : records) {
      if (rows + batch.size() >= rows_max) break;  // the reader moved past; the next load reopens it
      batch.push_back({r.offset, r.schema_version, r.event_time_us, r.ingest_time_us, r.payload});
      bytes += r.payload.size();
    }
    LAGOA_RETURN_IF_ERROR(s.appender->Append(o.partition_id, batch));
    if (rows == 0) {
      step->first_offset = batch.front().offset;
      file_deadline = std::chrono::steady_clock::now() + o.interval_ms;
    }
    rows += batch.size();
    step->last_offset = batch.back().offset;
  }
  step->full = rows >= rows_max || bytes >= bytes_max;
  return rows;
}

// Writes the staged rows as one file, puts it into the store and returns its `add`.
Result<std::vector<AddFile>> StreamLoader::PutFiles(uint64_t rows, LoadStep* step) {
  State& s = *state_;
  if (!s.options.date_partition_source.empty()) return PutDatePartitionedFiles(rows);
  LAGOA_ASSIGN_OR_RETURN(const ParquetFileInfo file, s.parquet->Write(*s.appender));
  LAGOA_ASSERT(file.min_offset == step->first_offset && file.max_offset == step->last_offset);
  LAGOA_ASSERT(file.num_records == rows);
  Result<std::string> data = ReadLocalFile(file.path);
  std::error_code ignored;
  std::filesystem::remove(file.path, ignored);
  if (!data.ok()) return data.status();
  LAGOA_RETURN_IF_ERROR(s.options.store->PutIfAbsent(s.options.table_prefix + file.file_name, *data));
  AddFile add;
  add.path = file.file_name;
  add.size_bytes = static_cast<int64_t>(file.size_bytes);
  add.stats = file.stats_json;
  return std::vector<AddFile>{std::move(add)};
}

// One file per distinct UTC date of the source column (NULL dates in a file of their own), each
// under its `_date=.../` directory. The appender's statistics cover all staged rows, so each file's
// are read back from the file itself (the unpartitioned path needs no second pass).
Result<std::vector<AddFile>> StreamLoader::PutDatePartitionedFiles(uint64_t rows) {
  State& s = *state_;
  const StreamLoaderOptions& o = s.options;
  const std::vector<std::string> partition_columns = {std::string(kDatePartitionColumn)};
  // CAST through TIMESTAMP: the UTC wall clock of a TIMESTAMPTZ (the connection's zone is UTC).
  const std::string date_sql =
      fmt::format("CAST(CAST({} AS TIMESTAMP) AS DATE)", schema::QuoteIdentifier(o.date_partition_source));
  LAGOA_ASSIGN_OR_RETURN(
      const std::vector<duck::TextRow> dates,
      s.appender->QueryText(fmt::format("SELECT DISTINCT strftime({0}, '%Y-%m-%d') AS d FROM {1} ORDER BY d NULLS LAST",
                                        date_sql, kStagingTableName)));
  std::vector<AddFile> adds;
  uint64_t rows_written = 0;
  auto forget_files = [&] { maintenance::DeleteBestEffort(o.store, o.table_prefix, adds); };
  for (const duck::TextRow& date : dates) {
    const std::optional<std::string>& day = date[0];
    const std::string where =
        day ? fmt::format("{} = DATE {}", date_sql, duck::SqlStringLiteral(*day)) : fmt::format("{} IS NULL", date_sql);
    Result<ParquetFileInfo> file = s.parquet->WriteWhere(*s.appender, where);
    if (!file.ok()) {
      forget_files();
      return file.status();
    }
    Result<maintenance::FileStatsText> stats =
        maintenance::ComputeStats(s.duckdb.get(), maintenance::ReadParquetSql({file->path.string()}), s.data_columns);
    Result<std::string> data = stats.ok() ? ReadLocalFile(file->path) : Result<std::string>(stats.status());
    std::error_code ignored;
    std::filesystem::remove(file->path, ignored);
    AddFile add;
    add.partition_values = {{partition_columns[0], day}};
    add.path = maintenance::PartitionDirectory(partition_columns, add.partition_values) + file->file_name;
    Status put = data.ok() ? o.store->PutIfAbsent(o.table_prefix + add.path, *data) : data.status();
    if (!put.ok()) {
      forget_files();
      return put;
    }
    add.size_bytes = static_cast<int64_t>(file->size_bytes);
    add.stats = std::move(stats->json);
    rows_written += stats->rows;
    adds.push_back(std::move(add));
  }
  if (rows_written != rows) {
    forget_files();
    return Status::Internal(fmt::format("stream loader `{}`: the date partitions hold {} rows, {} were staged",
                                        s.app_id, rows_written, rows));
  }
  return adds;
}

// Writes the staged rows as files, puts them into the table and commits them with the txn. false
// after a conflict (the files are deleted again).
Result<bool> StreamLoader::WriteAndCommit(TableVersion read_version, uint64_t rows, LoadStep* step) {
  State& s = *state_;
  const StreamLoaderOptions& o = s.options;

  Result<std::vector<AddFile>> put = PutFiles(rows, step);
  LAGOA_RETURN_IF_ERROR(s.appender->Clear());
  if (!put.ok()) return put.status();
  std::vector<AddFile> adds = std::move(*put);
  LAGOA_ASSERT(!adds.empty());
  if (s.before_commit_hook) LAGOA_RETURN_IF_ERROR(s.before_commit_hook(o.table_prefix + adds.front().path));

  const int64_t now_ms = NowMs();
  std::vector<Action> actions;
  actions.reserve(adds.size() + 1);
  for (AddFile& add : adds) {
    add.modification_time_ms = now_ms;
    add.data_change = true;
    actions.emplace_back(add);
  }
  actions.emplace_back(Txn{s.app_id, step->last_offset.value(), now_ms});
  CommitOptions commit_options;
  commit_options.operation = "STREAMING UPDATE";
  commit_options.operation_parameters = {
      {"outputMode", "Append"}, {"queryId", s.app_id}, {"epochId", std::to_string(step->last_offset.value())}};
  Result<CommitResult> committed = s.writer->Commit(actions, read_version, commit_options);
  if (!committed.ok()) {
    if (committed.status().code() == StatusCode::kFailedPrecondition) {
      // A conflict is decided: these files are in no commit and never will be.
      maintenance::DeleteBestEffort(o.store, o.table_prefix, adds);  // CleanOrphans catches a survivor
      s.reader.reset();
      return false;
    }
    // Any other failure leaves the outcome open (the commit may have landed): keep the files and
    // let the next load find out from the table.
    return committed.status();
  }
  committed_next_.store(step->last_offset.value() + 1, std::memory_order_release);
  step->files_written = static_cast<int>(adds.size());
  step->rows = rows;
  for (const AddFile& add : adds) step->file_keys.push_back(o.table_prefix + add.path);
  step->file_key = step->file_keys.front();
  step->version = committed->version;
  step->checkpoint_status = committed->checkpoint_status;
  return true;
}

Result<CleanOrphansResult> StreamLoader::CleanOrphans(std::chrono::milliseconds min_age) {
  State& s = *state_;
  const std::string& prefix = s.options.table_prefix;
  const int64_t cutoff_ms = NowMs() - min_age.count();
  // Data files first, the log second: a file committed in between is seen as referenced.
  LAGOA_ASSIGN_OR_RETURN(const std::vector<ObjectInfo> objects, s.options.store->List(prefix));
  std::vector<ObjectInfo> candidates;
  for (const ObjectInfo& object : objects) {
    const std::string_view relative = std::string_view(object.key).substr(prefix.size());
    if (relative.starts_with(kDeltaLogDir) || !relative.ends_with(".parquet")) continue;
    if (object.modified_ms > cutoff_ms) continue;
    candidates.push_back(object);
  }
  CleanOrphansResult result;
  if (candidates.empty()) return result;

  std::set<std::string, std::less<>> referenced;
  DeltaLogReader log_reader(s.options.store, s.duckdb.get(), prefix);
  LAGOA_ASSIGN_OR_RETURN(const LogListing listing, log_reader.List());
  for (const auto& [version, key] : listing.commits) {
    LAGOA_ASSIGN_OR_RETURN(const std::string contents, s.options.store->Get(key));
    LAGOA_ASSIGN_OR_RETURN(const std::vector<Action> actions, ParseCommitFile(contents));
    for (const Action& action : actions) {
      if (const auto* add = std::get_if<AddFile>(&action)) referenced.insert(add->path);
      if (const auto* remove = std::get_if<RemoveFile>(&action)) referenced.insert(remove->path);
    }
  }
  // Commits a checkpoint replaced and log cleanup deleted: their active files are in the snapshot.
  LAGOA_ASSIGN_OR_RETURN(const Snapshot snapshot, log_reader.LoadSnapshot());
  for (const AddFile& file : snapshot.files()) referenced.insert(file.path);

  for (const ObjectInfo& object : candidates) {
    if (referenced.contains(std::string_view(object.key).substr(prefix.size()))) continue;
    Status deleted = s.options.store->Delete(object.key);
    if (!deleted.ok() && deleted.code() != StatusCode::kNotFound) return deleted;
    if (deleted.ok()) {
      ++result.files_deleted;
      result.bytes_deleted += object.size_bytes;
    }
  }
  return result;
}

}  // namespace lagoa::lake
