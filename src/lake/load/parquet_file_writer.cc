// ParquetFileWriter: COPY the staged rows to Parquet. The staging scan decodes the records and
// gathers the Delta statistics on DuckDB's threads during the COPY (chunk_stats.cc), so the rows
// are decoded only once, for DuckDB's Parquet writer.
#include "lake/load/parquet_file_writer.h"

#include <fmt/format.h>

#include <array>
#include <optional>
#include <string_view>
#include <system_error>
#include <utility>

#include "base/assert.h"

namespace lagoa::lake {
namespace {

constexpr std::array<std::string_view, 3> kCompressions = {"zstd", "snappy", "uncompressed"};

}  // namespace

Status ParquetFileOptions::Validate() const {
  if (dir.empty()) return Status::InvalidArgument("parquet writer: `dir` is empty");
  if (row_group_rows < 2048) {
    return Status::InvalidArgument(
        fmt::format("parquet writer: `row_group_rows` must be >= 2048, got {}", row_group_rows));
  }
  for (std::string_view allowed : kCompressions) {
    if (compression == allowed) return Status::Ok();
  }
  return Status::InvalidArgument(
      fmt::format("parquet writer: `compression` is \"{}\"; allowed: zstd, snappy, uncompressed", compression));
}

ParquetFileWriter::ParquetFileWriter(ParquetFileOptions options)
    : options_(std::move(options)), random_(std::random_device{}()) {}

Result<std::unique_ptr<ParquetFileWriter>> ParquetFileWriter::Make(const ParquetFileOptions& options) {
  LAGOA_RETURN_IF_ERROR(options.Validate());
  std::error_code ec;
  if (!std::filesystem::is_directory(options.dir, ec)) {
    return Status::InvalidArgument(fmt::format("parquet writer: `dir` {} is not a directory", options.dir.string()));
  }
  return std::unique_ptr<ParquetFileWriter>(new ParquetFileWriter(options));
}

// A random (version 4) UUID: 122 random bits make a collision between any two files negligible.
std::string ParquetFileWriter::NewFileName() {
  const uint64_t high = (random_() & 0xFFFFFFFFFFFF0FFFull) | 0x0000000000004000ull;
  const uint64_t low = (random_() & 0x3FFFFFFFFFFFFFFFull) | 0x8000000000000000ull;
  return fmt::format("part-{:08x}-{:04x}-{:04x}-{:04x}-{:012x}.{}.parquet", high >> 32, (high >> 16) & 0xFFFF,
                     high & 0xFFFF, low >> 48, low & 0xFFFFFFFFFFFFull, options_.compression);
}

Result<ParquetFileInfo> ParquetFileWriter::CopyToNewFile(RecordAppender& staged, std::string_view where_sql) {
  ParquetFileInfo info;
  info.file_name = NewFileName();
  info.path = options_.dir / info.file_name;
  std::error_code ec;
  if (std::filesystem::exists(info.path, ec) || ec) {
    return Status::AlreadyExists(
        fmt::format("parquet writer: {} exists; refusing to overwrite it", info.path.string()));
  }
  auto remove_file = [&] { std::filesystem::remove(info.path, ec); };
  LAGOA_RETURN_IF_ERROR(
      staged.Execute(fmt::format("SET preserve_insertion_order = {}", options_.keep_row_order ? "true" : "false")));
  Status copied = staged.Execute(
      fmt::format("COPY (SELECT * FROM {}{}{}) TO {} (FORMAT parquet, COMPRESSION {}, ROW_GROUP_SIZE {})",
                  kStagingTableName, where_sql.empty() ? "" : " WHERE ", where_sql,
                  duck::SqlStringLiteral(info.path.string()), options_.compression, options_.row_group_rows));
  if (!copied.ok()) {
    remove_file();
    return copied.WithContext(fmt::format("writing {}", info.path.string()));
  }
  info.size_bytes = std::filesystem::file_size(info.path, ec);
  if (ec) {
    remove_file();
    return Status::FromErrno("stat " + info.path.string(), ec.value());
  }
  return info;
}

Result<ParquetFileInfo> ParquetFileWriter::Write(RecordAppender& staged) {
  if (staged.staged_rows() == 0) return Status::FailedPrecondition("parquet writer: no rows are staged");
  LAGOA_ASSIGN_OR_RETURN(ParquetFileInfo info, CopyToNewFile(staged, {}));
  const std::optional<std::pair<Offset, Offset>> offsets = staged.StagedOffsetRange();
  LAGOA_ASSERT(offsets.has_value());  // rows are staged and `_offset` is NOT NULL
  info.num_records = staged.staged_rows();
  info.min_offset = offsets->first;
  info.max_offset = offsets->second;
  Result<std::string> stats = staged.StagedStatsJson();
  if (!stats.ok()) {
    std::error_code ec;
    std::filesystem::remove(info.path, ec);
    return stats.status();
  }
  info.stats_json = std::move(*stats);
  return info;
}

Result<ParquetFileInfo> ParquetFileWriter::WriteWhere(RecordAppender& staged, std::string_view where_sql) {
  return CopyToNewFile(staged, where_sql);
}

}  // namespace lagoa::lake
