// lagoa_delta_append: one writer process for the concurrent-commit end-to-end test
// (tests/e2e/test_lake_two_writers.py). It opens the Delta table at a directory (creating it when
// the log is empty; losing that race to another process is fine) and commits `--count` appends,
// each an `add` of a one-row Parquet file (writer INTEGER, seq BIGINT) that DuckDB writes. Every
// commit prints one line to stdout, flushed at once:
//   committed writer=<w> seq=<s> version=<v> attempts=<a>
// With `--app-id ID` each commit also carries txn(ID, version = seq), and a sequence the table's
// txn already covers is skipped ("skipped writer=<w> seq=<s> app_version=<v>"): several processes
// sharing one app id then commit every sequence exactly once between them.
//
// Usage: lagoa_delta_append --table DIR --writer W --count N [--app-id ID]
// Exit 0 when every sequence was committed or skipped; 1 with a message on stderr otherwise; 2 for
// a usage error. Lifecycle: one run, one thread; the scratch directory is removed at the end.
#include <fmt/format.h>

#include <unistd.h>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "duck/connection.h"
#include "lake/delta/delta_log.h"
#include "lake/delta/delta_table_writer.h"
#include "lake/delta/delta_writer_actions.h"
#include "lake/store/local_object_store.h"
#include "schema/types.h"

namespace lagoa::tools {
namespace {

using lake::TableVersion;

struct Args {
  std::filesystem::path table_dir;
  int32_t writer = -1;
  int64_t count = -1;
  std::optional<std::string> app_id;
};

std::optional<Args> ParseArgs(int argc, char** argv) {
  Args args;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view flag = argv[i];
    const char* value = argv[i + 1];
    if (flag == "--table") {
      args.table_dir = value;
    } else if (flag == "--writer") {
      args.writer = std::stoi(value);
    } else if (flag == "--count") {
      args.count = std::stoll(value);
    } else if (flag == "--app-id") {
      args.app_id = value;
    } else {
      return std::nullopt;
    }
  }
  if (argc % 2 == 0 || args.table_dir.empty() || args.writer < 0 || args.count < 0) return std::nullopt;
  return args;
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Result<std::string> ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IoError(fmt::format("cannot open {}", path.string()));
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// One process's writer: its store, DuckDB connection and DeltaTableWriter on one table.
class Appender {
 public:
  static Result<std::unique_ptr<Appender>> Make(const Args& args) {
    auto appender = std::unique_ptr<Appender>(new Appender(args));
    LAGOA_ASSIGN_OR_RETURN(appender->store_,
                           lake::LocalObjectStore::Make({.root = args.table_dir, .create_if_missing = true}));
    LAGOA_ASSIGN_OR_RETURN(appender->duckdb_, duck::Connection::Make(duck::DatabaseOptions::Defaults()));
    appender->scratch_dir_ =
        std::filesystem::temp_directory_path() / fmt::format("lagoa-delta-append-{}-{}", getpid(), args.writer);
    std::error_code ec;
    std::filesystem::create_directories(appender->scratch_dir_, ec);
    if (ec) return Status::IoError(fmt::format("create {}: {}", appender->scratch_dir_.string(), ec.message()));
    lake::DeltaWriterOptions options;
    options.scratch_dir = appender->scratch_dir_;
    LAGOA_ASSIGN_OR_RETURN(appender->writer_,
                           lake::DeltaTableWriter::Make(appender->store_.get(), appender->duckdb_.get(), options));
    return appender;
  }

  ~Appender() {
    std::error_code ec;
    if (!scratch_dir_.empty()) std::filesystem::remove_all(scratch_dir_, ec);
  }

  // Creates version 0 unless another process did; returns the version to read from.
  Result<TableVersion> CreateOrOpen() {
    const std::vector<schema::Field> fields = {{"writer", schema::Type::Integer(), false},
                                               {"seq", schema::Type::BigInt(), false}};
    auto created = writer_->CreateTable(fields, {}, {});
    if (created.ok()) {
      std::printf("created writer=%d version=%lld\n", args_.writer, static_cast<long long>(created->version.value()));
      std::fflush(stdout);
      return created->version;
    }
    if (created.status().code() != StatusCode::kAlreadyExists) return created.status();
    return TableVersion(0);
  }

  Status AppendAll(TableVersion read_version) {
    for (int64_t seq = 0; seq < args_.count; ++seq) {
      LAGOA_ASSIGN_OR_RETURN(read_version, AppendOne(seq, read_version));
    }
    return Status::Ok();
  }

 private:
  explicit Appender(Args args) : args_(std::move(args)) {}

  // Puts the one-row file for `seq` into the table directory; returns its add action.
  Result<lake::AddFile> PutFile(int64_t seq) {
    const std::string name = fmt::format("part-w{}-s{:06}-{}.parquet", args_.writer, seq, lake::NewTableId());
    const std::filesystem::path local = scratch_dir_ / name;
    LAGOA_RETURN_IF_ERROR(
        duckdb_->Execute(fmt::format("COPY (SELECT {}::INTEGER AS writer, {}::BIGINT AS seq) TO {} (FORMAT parquet)",
                                     args_.writer, seq, duck::SqlStringLiteral(local.string()))));
    LAGOA_ASSIGN_OR_RETURN(std::string bytes, ReadFile(local));
    std::error_code ec;
    std::filesystem::remove(local, ec);
    LAGOA_RETURN_IF_ERROR(store_->PutIfAbsent(name, bytes));
    lake::FileStats stats;
    stats.num_records = 1;
    stats.min_values_json = {{"writer", std::to_string(args_.writer)}, {"seq", std::to_string(seq)}};
    stats.max_values_json = stats.min_values_json;
    stats.null_count = {{"writer", 0}, {"seq", 0}};
    LAGOA_ASSIGN_OR_RETURN(std::string stats_json, lake::SerializeFileStats(stats));
    return lake::AddFile{.path = name,
                         .partition_values = {},
                         .size_bytes = static_cast<int64_t>(bytes.size()),
                         .modification_time_ms = NowMs(),
                         .data_change = true,
                         .stats = std::move(stats_json),
                         .has_deletion_vector = false};
  }

  // The txn version the table holds for the app id, and the snapshot's version.
  Result<std::pair<std::optional<int64_t>, TableVersion>> AppState() {
    lake::DeltaLogReader reader(store_.get(), duckdb_.get(), "");
    LAGOA_ASSIGN_OR_RETURN(lake::Snapshot snapshot, reader.LoadSnapshot());
    return std::make_pair(snapshot.app_version(*args_.app_id), snapshot.version());
  }

  // Commits `seq` (or skips it when the app id's txn covers it); returns the next read version.
  Result<TableVersion> AppendOne(int64_t seq, TableVersion read_version) {
    for (int attempt = 0;; ++attempt) {
      if (args_.app_id) {
        LAGOA_ASSIGN_OR_RETURN(auto state, AppState());
        read_version = state.second;
        if (state.first && *state.first >= seq) {
          std::printf("skipped writer=%d seq=%lld app_version=%lld\n", args_.writer, static_cast<long long>(seq),
                      static_cast<long long>(*state.first));
          std::fflush(stdout);
          return read_version;
        }
      }
      LAGOA_ASSIGN_OR_RETURN(lake::AddFile add, PutFile(seq));
      const std::string path = add.path;
      std::vector<lake::Action> actions = {std::move(add)};
      if (args_.app_id)
        actions.emplace_back(lake::Txn{.app_id = *args_.app_id, .version = seq, .last_updated_ms = NowMs()});
      auto committed = writer_->Commit(actions, read_version, {.operation = "WRITE"});
      if (committed.ok()) {
        std::printf("committed writer=%d seq=%lld version=%lld attempts=%d\n", args_.writer,
                    static_cast<long long>(seq), static_cast<long long>(committed->version.value()),
                    committed->attempts);
        std::fflush(stdout);
        if (!committed->checkpoint_status.ok()) {
          return committed->checkpoint_status.WithContext(
              fmt::format("checkpoint after version {}", committed->version.value()));
        }
        return committed->version;
      }
      // The file is in no commit: remove it so the table holds no orphan.
      store_->Delete(path).IgnoreError();
      const bool retry = args_.app_id && committed.status().code() == StatusCode::kFailedPrecondition && attempt < 100;
      if (!retry) return committed.status().WithContext(fmt::format("commit of seq {}", seq));
    }
  }

  const Args args_;
  std::unique_ptr<lake::LocalObjectStore> store_;
  std::unique_ptr<duck::Connection> duckdb_;
  std::unique_ptr<lake::DeltaTableWriter> writer_;
  std::filesystem::path scratch_dir_;
};

int Run(int argc, char** argv) {
  std::optional<Args> args;
  try {
    args = ParseArgs(argc, argv);
  } catch (const std::exception&) {
    args.reset();  // std::stoi/stoll: not a number
  }
  if (!args) {
    std::fprintf(stderr, "usage: %s --table DIR --writer W --count N [--app-id ID]\n", argv[0]);
    return 2;
  }
  auto appender = Appender::Make(*args);
  if (!appender.ok()) {
    std::fprintf(stderr, "lagoa_delta_append: %s\n", appender.status().ToString().c_str());
    return 1;
  }
  auto read_version = (*appender)->CreateOrOpen();
  Status status = read_version.ok() ? (*appender)->AppendAll(*read_version) : read_version.status();
  if (!status.ok()) {
    std::fprintf(stderr, "lagoa_delta_append writer %d: %s\n", args->writer, status.ToString().c_str());
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace lagoa::tools

int main(int argc, char** argv) { return lagoa::tools::Run(argc, argv); }
