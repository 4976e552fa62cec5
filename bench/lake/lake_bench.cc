// lagoa_lake_bench: how fast lagoa loads a log stream into a Delta table, next to DuckDB's own
// Parquet writer on the same rows, and how fast the snapshot of a 10,000-commit table loads.
// See README.md in this directory. Plain main with steady_clock timing: each phase is seconds long,
// so timer resolution does not matter; the machine's load does, and is printed with every figure.
#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "duck/connection.h"
#include "event_log.h"
#include "lake/delta/delta_log.h"
#include "lake/delta/delta_table_writer.h"
#include "lake/load/stream_loader.h"
#include "lake/store/local_object_store.h"
#include "machine.h"

namespace lagoa::bench {
namespace {

struct BenchOptions {
  std::filesystem::path dir = "/tmp/lagoa-lake-bench";
  uint64_t events = 10'000'000;
  int duckdb_threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  int64_t rows_max = lake::StreamLoaderOptions::Defaults().rows_max;
  int copy_repeats = 3;
  int64_t commits = 10'000;
  int snapshot_repeats = 7;
  bool skip_load = false;
  bool skip_snapshot = false;
};

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

struct LoadFigures {
  double seconds = 0;
  double cpu_seconds = 0;
  uint64_t rows = 0;
  int files = 0;
  uint64_t parquet_bytes = 0;
  std::vector<std::string> file_paths;  // local paths, for DuckDB's side
};

Result<LoadFigures> TimeStreamLoader(const BenchOptions& o, const EventLog& events, lake::ObjectStore* store) {
  lake::StreamLoaderOptions options = lake::StreamLoaderOptions::Defaults();
  options.partition = events.partition;
  options.partition_id = PartitionId(0);
  options.stream = events.stream;
  options.store = store;
  options.table_prefix = "lake/events/";
  options.scratch_dir = o.dir / "scratch";
  options.rows_max = o.rows_max;
  options.duckdb.threads = o.duckdb_threads;
  options.duckdb.memory_limit = "4GB";
  std::filesystem::create_directories(options.scratch_dir);
  LAGOA_ASSIGN_OR_RETURN(auto loader, lake::StreamLoader::Make(options));
  LoadFigures figures;
  const Stopwatch watch;
  while (true) {
    const Stopwatch file_watch;
    LAGOA_ASSIGN_OR_RETURN(const lake::LoadStep step, loader->LoadOnce(std::chrono::milliseconds(0)));
    if (step.files_written == 0) break;
    std::printf("  file %d: %llu rows in %.2f s, %.2f CPU s (load average %.2f)\n", figures.files + 1,
                static_cast<unsigned long long>(step.rows), file_watch.seconds(), file_watch.cpu_seconds(),
                LoadAverage1m());
    std::fflush(stdout);
    ++figures.files;
    figures.rows += step.rows;
    LAGOA_ASSIGN_OR_RETURN(std::string location, store->DuckDbLocation(step.file_key));
    figures.file_paths.push_back(std::move(location));
  }
  figures.seconds = watch.seconds();
  figures.cpu_seconds = watch.cpu_seconds();
  for (const std::string& path : figures.file_paths) figures.parquet_bytes += std::filesystem::file_size(path);
  return figures;
}

// DuckDB alone: the same rows (read back from lagoa's files into an in-memory table, same column
// types) copied to one zstd Parquet file with DuckDB's defaults. Returns the median wall seconds
// and the CPU seconds of that run.
struct CopyFigures {
  double seconds = 0;
  double cpu_seconds = 0;
  uint64_t parquet_bytes = 0;
  // DuckDB's COPY of a table of one lagoa file's rows (the first rows_max), as many times as lagoa
  // wrote files: the same work cut the way lagoa cuts it.
  double per_file_seconds = 0;
  double per_file_cpu_seconds = 0;
};

Result<CopyFigures> TimeDuckDbCopy(const BenchOptions& o, const LoadFigures& load) {
  duck::DatabaseOptions options;
  options.threads = o.duckdb_threads;
  options.memory_limit = "12GB";
  LAGOA_ASSIGN_OR_RETURN(auto duckdb, duck::Connection::Make(options));
  std::string files;
  for (const std::string& path : load.file_paths) files += (files.empty() ? "" : ", ") + duck::SqlStringLiteral(path);
  LAGOA_RETURN_IF_ERROR(duckdb->Execute("SET preserve_insertion_order = true"));
  LAGOA_RETURN_IF_ERROR(
      duckdb->Execute(fmt::format("CREATE TABLE bench_rows AS SELECT * FROM read_parquet([{}])", files)));
  LAGOA_ASSIGN_OR_RETURN(auto count, duckdb->QueryText("SELECT count(*)::VARCHAR FROM bench_rows"));
  if (count.size() != 1 || count[0][0] != std::to_string(load.rows)) {
    return Status::Internal("DuckDB's in-memory table does not hold the rows lagoa loaded");
  }
  // Whether lagoa's files hold their rows in log order (each file's rows are consecutive offsets).
  LAGOA_ASSIGN_OR_RETURN(
      auto misplaced,
      duckdb->QueryText(fmt::format(
          "SELECT count(*)::VARCHAR FROM (SELECT _offset - min(_offset) OVER (PARTITION BY filename) AS expected, "
          "file_row_number FROM read_parquet([{}], file_row_number = true, filename = true)) WHERE expected <> "
          "file_row_number",
          files)));
  std::printf("  rows of lagoa's files not in log order: %s\n", misplaced[0][0].value_or("?").c_str());
  const std::filesystem::path out = o.dir / "duckdb-copy.parquet";
  std::vector<std::pair<double, double>> runs;  // wall, CPU seconds
  for (int i = 0; i < o.copy_repeats; ++i) {
    std::filesystem::remove(out);
    const Stopwatch watch;
    LAGOA_RETURN_IF_ERROR(duckdb->Execute(
        fmt::format("COPY bench_rows TO {} (FORMAT parquet, COMPRESSION zstd)", duck::SqlStringLiteral(out.string()))));
    runs.emplace_back(watch.seconds(), watch.cpu_seconds());
    std::printf("  DuckDB COPY run %d: %.2f s, %.2f CPU s (load average %.2f)\n", i + 1, runs.back().first,
                runs.back().second, LoadAverage1m());
    std::fflush(stdout);
  }
  CopyFigures figures;
  figures.parquet_bytes = std::filesystem::file_size(out);
  std::filesystem::remove(out);
  LAGOA_RETURN_IF_ERROR(duckdb->Execute(
      fmt::format("CREATE TABLE bench_file_rows AS SELECT * FROM bench_rows WHERE _offset < {}", o.rows_max)));
  const Stopwatch per_file_watch;
  for (int i = 0; i < load.files; ++i) {
    std::filesystem::remove(out);
    LAGOA_RETURN_IF_ERROR(duckdb->Execute(fmt::format("COPY bench_file_rows TO {} (FORMAT parquet, COMPRESSION zstd)",
                                                      duck::SqlStringLiteral(out.string()))));
  }
  figures.per_file_seconds = per_file_watch.seconds();
  figures.per_file_cpu_seconds = per_file_watch.cpu_seconds();
  std::filesystem::remove(out);
  std::sort(runs.begin(), runs.end());
  figures.seconds = runs[runs.size() / 2].first;
  figures.cpu_seconds = runs[runs.size() / 2].second;
  return figures;
}

Status RunLoad(const BenchOptions& o) {
  std::printf("\n== load: %llu events, 10 columns, DuckDB threads %d, rows_max %lld\n",
              static_cast<unsigned long long>(o.events), o.duckdb_threads, static_cast<long long>(o.rows_max));
  const Stopwatch build_watch;
  LAGOA_ASSIGN_OR_RETURN(EventLog events, BuildEventLog(o.dir / "log", o.events));
  const uint64_t log_bytes = events.partition->stats().size_bytes;
  std::printf("log built in %.1f s (not timed below): %.1f MB on disk, %.1f MB of record payload, %.1f B/record\n",
              build_watch.seconds(), log_bytes / 1e6, events.payload_bytes / 1e6,
              static_cast<double>(events.payload_bytes) / static_cast<double>(o.events));
  LAGOA_ASSIGN_OR_RETURN(auto store,
                         lake::LocalObjectStore::Make({.root = o.dir / "store", .create_if_missing = true}));
  std::printf("%s\n", MachineLine().c_str());
  LAGOA_ASSIGN_OR_RETURN(const LoadFigures load, TimeStreamLoader(o, events, store.get()));
  if (load.rows != o.events) {
    return Status::Internal(fmt::format("the loader loaded {} rows of {}", load.rows, o.events));
  }
  const double lagoa_rows_s = static_cast<double>(load.rows) / load.seconds;
  std::printf(
      "lagoa StreamLoader: %llu rows, %d files in %.2f s = %.0f rows/s; Parquet %.1f MB = %.1f MB/s; "
      "log read %.1f MB = %.1f MB/s; %.2f CPU s = %.0f rows per CPU s\n",
      static_cast<unsigned long long>(load.rows), load.files, load.seconds, lagoa_rows_s, load.parquet_bytes / 1e6,
      load.parquet_bytes / 1e6 / load.seconds, log_bytes / 1e6, log_bytes / 1e6 / load.seconds, load.cpu_seconds,
      static_cast<double>(load.rows) / load.cpu_seconds);
  std::printf("%s\n", MachineLine().c_str());
  LAGOA_ASSIGN_OR_RETURN(const CopyFigures copy, TimeDuckDbCopy(o, load));
  const double copy_rows_s = static_cast<double>(load.rows) / copy.seconds;
  std::printf(
      "DuckDB COPY from memory (median of %d): %.2f s = %.0f rows/s; Parquet %.1f MB = %.1f MB/s; "
      "%.2f CPU s = %.0f rows per CPU s\n",
      o.copy_repeats, copy.seconds, copy_rows_s, copy.parquet_bytes / 1e6, copy.parquet_bytes / 1e6 / copy.seconds,
      copy.cpu_seconds, static_cast<double>(load.rows) / copy.cpu_seconds);
  std::printf("ratio lagoa / DuckDB COPY: %.2f by wall time (target >= 0.80), %.2f by CPU time\n",
              lagoa_rows_s / copy_rows_s, copy.cpu_seconds / load.cpu_seconds);
  const double per_file_rows_s = static_cast<double>(load.rows) / copy.per_file_seconds;
  std::printf(
      "DuckDB COPY of a %lld-row table, %d times (lagoa's file size): %.2f s = %.0f rows/s; %.2f CPU s; "
      "ratio lagoa / this: %.2f by wall time, %.2f by CPU time\n",
      static_cast<long long>(o.rows_max), load.files, copy.per_file_seconds, per_file_rows_s, copy.per_file_cpu_seconds,
      lagoa_rows_s / per_file_rows_s, copy.per_file_cpu_seconds / load.cpu_seconds);
  std::printf("%s\n", MachineLine().c_str());
  return Status::Ok();
}

// A table with `commits` commits of one small add each (checkpoints every 10, as the loader
// writes them), then the median time of loading its latest snapshot.
Status RunSnapshot(const BenchOptions& o) {
  std::printf("\n== snapshot: %lld commits, checkpoint every 10\n", static_cast<long long>(o.commits));
  LAGOA_ASSIGN_OR_RETURN(auto store,
                         lake::LocalObjectStore::Make({.root = o.dir / "snapshot", .create_if_missing = true}));
  LAGOA_ASSIGN_OR_RETURN(auto duckdb, duck::Connection::Make(duck::DatabaseOptions::Defaults()));
  lake::DeltaWriterOptions writer_options = lake::DeltaWriterOptions::Defaults();
  writer_options.table_prefix = "t/";
  writer_options.checkpoint_interval = 10;
  writer_options.scratch_dir = o.dir;
  LAGOA_ASSIGN_OR_RETURN(auto writer, lake::DeltaTableWriter::Make(store.get(), duckdb.get(), writer_options));
  LAGOA_RETURN_IF_ERROR(writer->CreateTable(lake::StreamTableFields(BenchStreamDefinition()), {}, {}).status());
  const Stopwatch commit_watch;
  for (int64_t v = 1; v <= o.commits; ++v) {
    lake::AddFile add;
    add.path = fmt::format("part-{:08}.zstd.parquet", v);
    add.size_bytes = 1000 + v;
    add.modification_time_ms = 1'714'564'800'000 + v;
    add.data_change = true;
    add.stats =
        fmt::format(R"({{"numRecords":10,"minValues":{{"id":{}}},"maxValues":{{"id":{}}},"nullCount":{{"id":0}}}})",
                    v * 10, v * 10 + 9);
    lake::Txn txn{"lagoa:events:0", v * 10 + 9, add.modification_time_ms};
    LAGOA_ASSIGN_OR_RETURN(const lake::CommitResult committed,
                           writer->Commit({lake::Action(add), lake::Action(txn)}, lake::TableVersion(v - 1)));
    LAGOA_RETURN_IF_ERROR(committed.checkpoint_status);
  }
  std::printf("%lld commits written in %.1f s (not timed below)\n", static_cast<long long>(o.commits),
              commit_watch.seconds());
  std::printf("%s\n", MachineLine().c_str());
  std::vector<double> ms;
  for (int i = 0; i < o.snapshot_repeats; ++i) {
    lake::DeltaLogReader reader(store.get(), duckdb.get(), "t/");
    const Stopwatch watch;
    LAGOA_ASSIGN_OR_RETURN(const lake::Snapshot snapshot, reader.LoadSnapshot());
    ms.push_back(watch.seconds() * 1000);
    if (snapshot.version().value() != o.commits || snapshot.files().size() != static_cast<size_t>(o.commits)) {
      return Status::Internal("the snapshot does not hold every commit");
    }
  }
  // Part of it: listing `_delta_log/` (every commit and checkpoint file is listed).
  std::vector<double> list_ms;
  size_t listed = 0;
  for (int i = 0; i < o.snapshot_repeats; ++i) {
    lake::DeltaLogReader reader(store.get(), duckdb.get(), "t/");
    const Stopwatch watch;
    LAGOA_ASSIGN_OR_RETURN(const lake::LogListing listing, reader.List());
    list_ms.push_back(watch.seconds() * 1000);
    listed = listing.commits.size();
  }
  std::printf("listing _delta_log/ alone (%zu commits; part of LoadSnapshot below): median %.1f ms\n", listed,
              Median(list_ms));
  std::sort(ms.begin(), ms.end());
  std::printf(
      "LoadSnapshot of version %lld (%lld active files): median %.1f ms of %d (min %.1f, max %.1f); "
      "target <= 100 ms\n",
      static_cast<long long>(o.commits), static_cast<long long>(o.commits), Median(ms), o.snapshot_repeats, ms.front(),
      ms.back());
  std::printf("%s\n", MachineLine().c_str());
  return Status::Ok();
}

}  // namespace
}  // namespace lagoa::bench

namespace {

int Run(int argc, char** argv) {
  using lagoa::bench::BenchOptions;
  BenchOptions o;
  CLI::App app{"lagoa lake loading benchmark (bench/lake/README.md)"};
  app.add_option("--dir", o.dir, "work directory; emptied first");
  app.add_option("--events", o.events, "events in the stream");
  app.add_option("--duckdb-threads", o.duckdb_threads, "DuckDB threads for the loader and for COPY");
  app.add_option("--rows-max", o.rows_max, "the loader's rows_max trigger (rows per file)");
  app.add_option("--copy-repeats", o.copy_repeats, "DuckDB COPY runs (median reported)");
  app.add_option("--commits", o.commits, "commits in the snapshot table");
  app.add_option("--snapshot-repeats", o.snapshot_repeats, "LoadSnapshot runs (median reported)");
  app.add_flag("--skip-load", o.skip_load, "only the snapshot part");
  app.add_flag("--skip-snapshot", o.skip_snapshot, "only the load part");
  CLI11_PARSE(app, argc, argv);
  if (o.events == 0 || o.copy_repeats < 1 || o.snapshot_repeats < 1 || o.commits < 1) {
    std::fprintf(stderr, "--events, --copy-repeats, --snapshot-repeats and --commits must be >= 1\n");
    return 2;
  }
  std::filesystem::remove_all(o.dir);
  std::filesystem::create_directories(o.dir);
  std::printf("lagoa lake benchmark\n%s\n", lagoa::bench::MachineLine().c_str());
  lagoa::Status status;
  if (!o.skip_load) status = lagoa::bench::RunLoad(o);
  if (status.ok() && !o.skip_snapshot) status = lagoa::bench::RunSnapshot(o);
  std::filesystem::remove_all(o.dir);
  if (!status.ok()) {
    std::fprintf(stderr, "lake bench failed: %s\n", status.ToString().c_str());
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Run(argc, argv);
  } catch (const std::exception& e) {  // a filesystem error in the work directory, for example
    std::fprintf(stderr, "lake bench failed: %s\n", e.what());
    return 1;
  }
}
