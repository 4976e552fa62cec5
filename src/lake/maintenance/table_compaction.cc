#include "lake/maintenance/table_compaction.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <climits>
#include <map>

#include "lake/delta/delta_log.h"
#include "lake/maintenance/maintenance_files_internal.h"

namespace lagoa::lake {
namespace {

using maintenance::NewFile;

// What the ordering and the row check need from an input's stats.
struct Input {
  const AddFile* file = nullptr;
  std::optional<int64_t> min_offset;
  std::optional<int64_t> records;
};

Input ReadInput(const AddFile& file, simdjson::dom::parser& parser) {
  Input input{&file, std::nullopt, std::nullopt};
  simdjson::dom::element stats;
  if (file.stats.empty() || parser.parse(file.stats).get(stats) != simdjson::SUCCESS) return input;
  int64_t number = 0;
  if (stats["numRecords"].get(number) == simdjson::SUCCESS) input.records = number;
  if (stats["minValues"]["_offset"].get(number) == simdjson::SUCCESS) input.min_offset = number;
  return input;
}

struct Bin {
  PartitionValues partition_values;
  std::vector<Input> inputs;
};

// Cuts each partition's small files, in row order, into bins of about `target_file_bytes`.
std::vector<Bin> PlanBins(const Snapshot& snapshot, const CompactOptions& options) {
  bool has_offset = false;
  for (const DeltaColumn& column : snapshot.columns()) has_offset = has_offset || column.name == "_offset";
  simdjson::dom::parser parser;
  std::map<PartitionValues, std::vector<Input>> groups;
  for (const AddFile& file : snapshot.files()) {
    if (file.size_bytes < options.small_file_bytes) groups[file.partition_values].push_back(ReadInput(file, parser));
  }
  std::vector<Bin> bins;
  for (auto& [values, inputs] : groups) {
    if (inputs.size() < static_cast<size_t>(options.min_small_files)) continue;
    std::sort(inputs.begin(), inputs.end(), [&](const Input& a, const Input& b) {
      const int64_t a_key = has_offset ? a.min_offset.value_or(INT64_MAX) : 0;
      const int64_t b_key = has_offset ? b.min_offset.value_or(INT64_MAX) : 0;
      return a_key != b_key ? a_key < b_key : a.file->path < b.file->path;
    });
    Bin bin{values, {}};
    int64_t bin_bytes = 0;
    auto close_bin = [&] {
      if (bin.inputs.size() >= 2) bins.push_back(bin);  // one file alone gains nothing
      bin.inputs.clear();
      bin_bytes = 0;
    };
    for (const Input& input : inputs) {
      if (!bin.inputs.empty() && bin_bytes + input.file->size_bytes > options.target_file_bytes) close_bin();
      bin.inputs.push_back(input);
      bin_bytes += input.file->size_bytes;
    }
    close_bin();
  }
  return bins;
}

// Writes one bin's rows, input after input, into one new file.
Result<NewFile> WriteBin(ObjectStore* store, duck::Connection* duckdb, const Snapshot& snapshot, const Bin& bin,
                         const CompactOptions& options) {
  std::vector<std::string> locations;
  std::optional<int64_t> expected_rows = 0;
  for (const Input& input : bin.inputs) {
    LAGOA_ASSIGN_OR_RETURN(std::string location, store->DuckDbLocation(snapshot.table_prefix() + input.file->path));
    locations.push_back(std::move(location));
    expected_rows = expected_rows && input.records ? std::optional(*expected_rows + *input.records) : std::nullopt;
  }
  const std::string read = maintenance::ReadParquetSql(locations);
  LAGOA_ASSIGN_OR_RETURN(std::vector<std::string> names, maintenance::ParquetColumnNames(duckdb, read));
  std::vector<std::string> select;
  for (const DeltaColumn& column : maintenance::DataColumns(snapshot)) {
    for (const std::string& name : names) {
      if (schema::EqualsIgnoreCase(name, column.name)) {
        select.push_back(fmt::format("{} AS {}", schema::QuoteIdentifier(name), schema::QuoteIdentifier(column.name)));
        break;
      }
    }
  }
  if (select.empty()) return Status::Corruption(fmt::format("the files of {} hold none of the table's columns", read));
  // The multi-file scan reads the files in list order and DuckDB preserves insertion order, so
  // each input's rows stay together and in order without a sort.
  LAGOA_ASSIGN_OR_RETURN(std::optional<NewFile> written,
                         maintenance::WriteDataFile(store, duckdb, snapshot,
                                                    fmt::format("SELECT {} FROM {}", fmt::join(select, ", "), read),
                                                    bin.partition_values, options.scratch_dir, /*data_change=*/false));
  if (!written) return Status::Internal(fmt::format("compaction read no row from {}; nothing committed", read));
  NewFile& file = *written;
  if (expected_rows && static_cast<uint64_t>(*expected_rows) != file.rows) {
    maintenance::DeleteBestEffort(store, snapshot.table_prefix(), {file.add});
    return Status::Internal(
        fmt::format("compaction wrote {} rows where the inputs' statistics count {}; nothing committed", file.rows,
                    *expected_rows));
  }
  return file;
}

}  // namespace

Status CompactOptions::Validate() const {
  if (target_file_bytes < 1) return Status::InvalidArgument("compaction `target_file_bytes` must be >= 1");
  if (small_file_bytes < 1) return Status::InvalidArgument("compaction `small_file_bytes` must be >= 1");
  if (min_small_files < 2) {
    return Status::InvalidArgument(fmt::format("compaction `min_small_files` must be >= 2, got {}", min_small_files));
  }
  return Status::Ok();
}

Result<CompactResult> CompactTable(ObjectStore* store, duck::Connection* duckdb, const DeltaWriterOptions& writer,
                                   const CompactOptions& options) {
  LAGOA_RETURN_IF_ERROR(options.Validate());
  LAGOA_ASSIGN_OR_RETURN(std::unique_ptr<DeltaTableWriter> table_writer, DeltaTableWriter::Make(store, duckdb, writer));
  LAGOA_ASSIGN_OR_RETURN(Snapshot snapshot, DeltaLogReader(store, duckdb, writer.table_prefix).LoadSnapshot());
  LAGOA_RETURN_IF_ERROR(CheckWriterProtocol(snapshot.protocol()));
  CompactResult result;
  std::vector<Action> actions;
  std::vector<AddFile> added;
  const int64_t now_ms = maintenance::NowMs();
  for (const Bin& bin : PlanBins(snapshot, options)) {
    Result<NewFile> file = WriteBin(store, duckdb, snapshot, bin, options);
    if (!file.ok()) {
      maintenance::DeleteBestEffort(store, snapshot.table_prefix(), added);
      return file.status();
    }
    for (const Input& input : bin.inputs) {
      actions.emplace_back(RemoveFile{.path = input.file->path, .deletion_timestamp_ms = now_ms, .data_change = false});
      ++result.files_removed;
      result.bytes_removed += static_cast<uint64_t>(input.file->size_bytes);
    }
    ++result.files_added;
    result.bytes_added += static_cast<uint64_t>(file->add.size_bytes);
    result.rows += file->rows;
    added.push_back(file->add);
  }
  if (added.empty()) return result;
  for (const AddFile& add : added) actions.emplace_back(add);
  Result<CommitResult> committed = table_writer->Commit(
      actions, snapshot.version(),
      {.operation = "OPTIMIZE",
       .operation_parameters = {{"predicate", "[]"}, {"targetSize", std::to_string(options.target_file_bytes)}},
       .conflict_on_concurrent_adds = false});
  if (!committed.ok()) {
    if (maintenance::CommitCertainlyFailed(committed.status())) {
      maintenance::DeleteBestEffort(store, snapshot.table_prefix(), added);
    }
    return committed.status();
  }
  result.version = committed->version;
  return result;
}

}  // namespace lagoa::lake
