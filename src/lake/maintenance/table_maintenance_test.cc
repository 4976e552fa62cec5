// Compaction, VACUUM, deletes and overwrites on real tables: LocalObjectStore in a temp dir, data
// files written by DuckDB, rows read back through the table scan.
#include "lake/maintenance/table_maintenance.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>

#include "lake/maintenance/maintenance_test_util.h"

namespace lagoa::lake {
namespace {

using schema::Field;
using schema::Type;
using testing_util::HookedStore;
using testing_util::MaintenanceTest;

const std::vector<Field> kStreamFields = {
    {"user_id", Type::BigInt(), true},           {"name", Type::Varchar(), true},
    {"amount", Type::Decimal(10, 2), true},      {"ts", Type::TimestampTz(), true},
    {"tags", Type::List(Type::Varchar()), true}, {"_offset", Type::BigInt(), false}};

// Rows [first, last) of the stream table: every column derived from the offset, some NULLs.
std::string StreamRows(int first, int last) {
  return fmt::format(
      "SELECT i % 7 AS user_id, CASE WHEN i % 5 = 0 THEN NULL ELSE 'n' || i END AS name, "
      "(i * 1.25)::DECIMAL(10,2) AS amount, TIMESTAMPTZ '2026-01-01 00:00:00+00' + INTERVAL (i) SECOND AS ts, "
      "['t' || (i % 3)] AS tags, i::BIGINT AS _offset FROM range({}, {}) r(i)",
      first, last);
}

constexpr const char* kAllRows =
    "SELECT user_id::VARCHAR, name, amount::VARCHAR, epoch_us(ts)::VARCHAR, tags::VARCHAR, _offset::VARCHAR FROM t "
    "ORDER BY _offset";

class CompactionTest : public MaintenanceTest {
 protected:
  // Six files of 10 rows whose path order is the reverse of their offset order.
  void MakeStreamTable() {
    CreateTable(kStreamFields);
    for (int f = 0; f < 6; ++f) {
      Append({WriteFile(StreamRows(f * 10, f * 10 + 10), fmt::format("part-{}.parquet", 9 - f), "t/", true)});
    }
  }
  CompactOptions options() const { return {.scratch_dir = scratch()}; }
};

TEST_F(CompactionTest, MergesSmallFilesKeepingEveryRowInOffsetOrder) {
  MakeStreamTable();
  const std::string before = Checksum();
  const std::vector<std::string> rows_before = Query(kAllRows);
  const TableVersion read_version = Load().version();

  auto compacted = CompactTable(store_.get(), duckdb_.get(), writer_options(), options());
  ASSERT_TRUE(compacted.ok()) << compacted.status().ToString();
  EXPECT_EQ(compacted->files_removed, 6);
  EXPECT_EQ(compacted->files_added, 1);
  EXPECT_EQ(compacted->rows, 60u);
  EXPECT_GT(compacted->bytes_removed, 0u);
  EXPECT_GT(compacted->bytes_added, 0u);
  ASSERT_EQ(compacted->version, read_version + 1);

  const Snapshot after = Load();
  ASSERT_EQ(after.files().size(), 1u);
  const AddFile& merged = after.files()[0];
  EXPECT_TRUE(merged.path.starts_with("part-") && merged.path.ends_with(".zstd.parquet")) << merged.path;
  EXPECT_FALSE(merged.data_change);
  EXPECT_EQ(Checksum(), before);
  EXPECT_EQ(Query(kAllRows), rows_before);
  // Stats as the loader writes them.
  EXPECT_NE(merged.stats.find(R"("numRecords":60)"), std::string::npos) << merged.stats;
  EXPECT_NE(merged.stats.find(R"("_offset":0)"), std::string::npos) << merged.stats;
  EXPECT_NE(merged.stats.find(R"("_offset":59)"), std::string::npos) << merged.stats;
  EXPECT_NE(merged.stats.find(R"("ts":"2026-01-01T00:00:00.000000Z")"), std::string::npos) << merged.stats;
  EXPECT_NE(merged.stats.find(R"("name":12)"), std::string::npos) << merged.stats;  // null count
  EXPECT_NE(merged.stats.find(R"("amount":73.75)"), std::string::npos) << merged.stats;
  // Rows in offset order inside the file although the inputs' paths sort the other way.
  auto location = store_->DuckDbLocation("t/" + merged.path);
  ASSERT_TRUE(location.ok());
  auto disorder = duckdb_->QueryText(fmt::format(
      "SELECT count(*)::VARCHAR FROM read_parquet({}, file_row_number = true) WHERE _offset <> file_row_number",
      duck::SqlStringLiteral(*location)));
  ASSERT_TRUE(disorder.ok()) << disorder.status().ToString();
  EXPECT_EQ((*disorder)[0][0], "0");
  // One commit: removes and add with dataChange false, operation OPTIMIZE.
  const std::string commit = LatestCommit();
  EXPECT_NE(commit.find(R"("operation":"OPTIMIZE")"), std::string::npos) << commit;
  EXPECT_EQ(commit.find(R"("dataChange":true)"), std::string::npos) << commit;
  size_t removes = 0;
  for (size_t at = commit.find(R"({"remove")"); at != std::string::npos; at = commit.find(R"({"remove")", at + 1))
    ++removes;
  EXPECT_EQ(removes, 6u);
  // The previous version still reads the old files; a second compaction has nothing to do.
  EXPECT_EQ(Checksum("t/", read_version), before);
  auto again = CompactTable(store_.get(), duckdb_.get(), writer_options(), options());
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->version.has_value());
  EXPECT_EQ(again->files_removed, 0);
}

TEST_F(CompactionTest, TargetSizeCutsBinsAndLargeFilesStay) {
  MakeStreamTable();
  const std::string before = Checksum();
  const Snapshot snapshot = Load();
  int64_t largest = 0;
  for (const AddFile& file : snapshot.files()) largest = std::max(largest, file.size_bytes);
  CompactOptions cut = options();
  cut.target_file_bytes = 2 * largest + largest / 2;  // two inputs per output
  auto compacted = CompactTable(store_.get(), duckdb_.get(), writer_options(), cut);
  ASSERT_TRUE(compacted.ok()) << compacted.status().ToString();
  EXPECT_EQ(compacted->files_removed, 6);
  EXPECT_EQ(compacted->files_added, 3);
  EXPECT_EQ(Load().files().size(), 3u);
  EXPECT_EQ(Checksum(), before);

  // Files at or above small_file_bytes are left alone: nothing qualifies.
  CompactOptions none = options();
  none.small_file_bytes = 1;
  auto skipped = CompactTable(store_.get(), duckdb_.get(), writer_options(), none);
  ASSERT_TRUE(skipped.ok());
  EXPECT_FALSE(skipped->version.has_value());
  none.min_small_files = 1;
  EXPECT_EQ(CompactTable(store_.get(), duckdb_.get(), writer_options(), none).status().code(),
            StatusCode::kInvalidArgument);
}

TEST_F(CompactionTest, ConcurrentAppendLandsAndConcurrentCompactionConflicts) {
  MakeStreamTable();
  const std::string before = Checksum();
  HookedStore hooked(store_.get());
  // An append (the loader) between the compaction's read and its commit: no conflict.
  hooked.before_commit_put = [&] { Append({WriteFile(StreamRows(60, 70), "late.parquet", "t/", true)}); };
  auto compacted = CompactTable(&hooked, duckdb_.get(), writer_options(), options());
  ASSERT_TRUE(compacted.ok()) << compacted.status().ToString();
  EXPECT_EQ(compacted->version, TableVersion(8));  // 7 was the append
  std::vector<std::string> paths;
  const Snapshot with_late = Load();
  for (const AddFile& file : with_late.files()) paths.push_back(file.path);
  ASSERT_EQ(paths.size(), 2u);
  EXPECT_NE(std::find(paths.begin(), paths.end(), "late.parquet"), paths.end());
  EXPECT_EQ(Query("SELECT count(*)::VARCHAR, sum(_offset)::VARCHAR FROM t"), std::vector<std::string>{"70|2415"});

  // Two compactions of the same files: the one committing second fails and leaves no file behind.
  for (int f = 0; f < 3; ++f)
    Append({WriteFile(StreamRows(100 + f, 101 + f), fmt::format("x{}.parquet", f), "t/", true)});
  const std::string before_race = Checksum();
  const std::vector<std::string> keys_before = DataKeys();
  hooked.before_commit_put = [&] {
    auto other = CompactTable(store_.get(), duckdb_.get(), writer_options(), options());
    ASSERT_TRUE(other.ok()) << other.status().ToString();
  };
  auto lost = CompactTable(&hooked, duckdb_.get(), writer_options(), options());
  EXPECT_EQ(lost.status().code(), StatusCode::kFailedPrecondition) << lost.status().ToString();
  EXPECT_NE(lost.status().message().find("also removed the file"), std::string::npos) << lost.status().ToString();
  EXPECT_EQ(Checksum(), before_race);
  EXPECT_EQ(DataKeys().size(), keys_before.size() + 1);  // only the winner's new file
  EXPECT_NE(before, before_race);
}

// Run with --gtest_also_run_disabled_tests: compaction time for 100 files of 10,000 rows.
TEST_F(CompactionTest, DISABLED_CompactsAHundredFilesOfTenThousandRows) {
  CreateTable(kStreamFields);
  std::vector<AddFile> files;
  files.reserve(100);
  for (int f = 0; f < 100; ++f) {
    files.push_back(
        WriteFile(StreamRows(f * 10'000, f * 10'000 + 10'000), fmt::format("f{:03}.parquet", f), "t/", true));
  }
  Append(files);
  const std::string before = Checksum();
  const auto start = std::chrono::steady_clock::now();
  auto compacted = CompactTable(store_.get(), duckdb_.get(), writer_options(), options());
  const auto elapsed_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
  ASSERT_TRUE(compacted.ok()) << compacted.status().ToString();
  EXPECT_EQ(compacted->rows, 1'000'000u);
  EXPECT_EQ(Checksum(), before);
  std::printf("compacted %d files (%llu bytes) into %d (%llu bytes), 1,000,000 rows, in %lld ms\n",
              compacted->files_removed, static_cast<unsigned long long>(compacted->bytes_removed),
              compacted->files_added, static_cast<unsigned long long>(compacted->bytes_added),
              static_cast<long long>(elapsed_ms));
  const auto delete_start = std::chrono::steady_clock::now();
  auto deleted = DeleteWhere(store_.get(), duckdb_.get(), writer_options(), "_offset % 1000 = 0", scratch());
  ASSERT_TRUE(deleted.ok()) << deleted.status().ToString();
  EXPECT_EQ(deleted->rows_deleted, 1000u);
  std::printf("deleted 1,000 of 1,000,000 rows (1 file rewritten) in %lld ms\n",
              static_cast<long long>(
                  std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - delete_start)
                      .count()));
}

// Spark's table partitioned by 12 columns (nested data columns, null partition values): every
// partition gets a second file, then compaction merges each partition's two files.
TEST_F(CompactionTest, PartitionedGoldenTableKeepsEveryPartitionsRows) {
  const std::filesystem::path golden = testing_util::GoldenTablesDir() / "data-reader-partition-values";
  ASSERT_TRUE(std::filesystem::is_directory(golden)) << "golden table missing: " << golden;
  std::filesystem::copy(golden, dir_.path() / "store/g", std::filesystem::copy_options::recursive);
  const Snapshot original = Load("g/");
  ASSERT_EQ(original.files().size(), 3u);
  std::vector<AddFile> copies;
  for (const AddFile& file : original.files()) {
    AddFile copy = file;
    const size_t slash = file.path.rfind('/');
    copy.path = file.path.substr(0, slash + 1) + "copy-" + file.path.substr(slash + 1);
    auto bytes = store_->Get("g/" + file.path);
    ASSERT_TRUE(bytes.ok());
    ASSERT_TRUE(store_->PutIfAbsent("g/" + copy.path, *bytes).ok());
    copies.push_back(copy);
  }
  Append(copies, "g/");
  const std::string per_partition =
      "SELECT as_int::VARCHAR, as_timestamp::VARCHAR, as_string_lit_null, count(*)::VARCHAR, "
      "sum(hash(as_list_of_records))::VARCHAR, sum(hash(as_nested_struct))::VARCHAR, sum(hash(value))::VARCHAR "
      "FROM t GROUP BY ALL ORDER BY ALL";
  const std::vector<std::string> before = Query(per_partition, "g/");
  ASSERT_EQ(before.size(), 3u);
  const std::string checksum = Checksum("g/");

  auto compacted = CompactTable(store_.get(), duckdb_.get(), writer_options("g/"), options());
  ASSERT_TRUE(compacted.ok()) << compacted.status().ToString();
  EXPECT_EQ(compacted->files_removed, 6);
  EXPECT_EQ(compacted->files_added, 3);
  EXPECT_EQ(compacted->rows, 6u);
  EXPECT_EQ(Query(per_partition, "g/"), before);
  EXPECT_EQ(Checksum("g/"), checksum);
  const Snapshot after = Load("g/");
  ASSERT_EQ(after.files().size(), 3u);
  for (const AddFile& file : after.files()) {
    if (file.partition_values.at("as_int")) {
      EXPECT_TRUE(file.path.starts_with("as_int=" + *file.partition_values.at("as_int") + "/as_long=")) << file.path;
      EXPECT_NE(file.path.find("/as_timestamp=2021-09-08%2011%3A11%3A11/"), std::string::npos) << file.path;
    } else {
      EXPECT_TRUE(file.path.starts_with("as_int=__HIVE_DEFAULT_PARTITION__/")) << file.path;
    }
    // Partition columns are not stored in the data files.
    auto location = store_->DuckDbLocation("g/" + file.path);
    ASSERT_TRUE(location.ok());
    auto columns =
        duckdb_->QueryText(fmt::format("SELECT string_agg(column_name, ',' ORDER BY column_name)::VARCHAR "
                                       "FROM (DESCRIBE SELECT * FROM read_parquet({}, hive_partitioning = false))",
                                       duck::SqlStringLiteral(*location)));
    ASSERT_TRUE(columns.ok()) << columns.status().ToString();
    EXPECT_EQ((*columns)[0][0], "as_list_of_records,as_nested_struct,value");
  }

  // A delete by partition value removes that partition's file and keeps the others' rows.
  auto deleted = DeleteWhere(store_.get(), duckdb_.get(), writer_options("g/"), "as_int = 0", scratch());
  ASSERT_TRUE(deleted.ok()) << deleted.status().ToString();
  EXPECT_EQ(deleted->files_removed, 1);
  EXPECT_EQ(deleted->files_added, 0);
  EXPECT_EQ(deleted->rows_deleted, 2u);
  EXPECT_EQ(Query(per_partition, "g/"), (std::vector<std::string>{before[1], before[2]}));
}

class VacuumTest : public MaintenanceTest {
 protected:
  void SetMtime(const std::string& key, std::chrono::hours age) {
    std::filesystem::last_write_time(dir_.path() / "store" / key, std::filesystem::file_time_type::clock::now() - age);
  }
  void PutOrphan(const std::string& key, std::chrono::hours age) {
    ASSERT_TRUE(store_->PutIfAbsent(key, "orphan bytes").ok());
    SetMtime(key, age);
  }
};

TEST_F(VacuumTest, DeletesOnlyUnreferencedFilesOlderThanTheRetention) {
  CreateTable({{"id", Type::BigInt(), true}});
  const int64_t now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  Append({WriteFile("SELECT 1 AS id", "active.parquet"), WriteFile("SELECT 2 AS id", "removed-recent.parquet"),
          WriteFile("SELECT 3 AS id", "removed-old.parquet")});
  auto writer = DeltaTableWriter::Make(store_.get(), duckdb_.get(), writer_options());
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE(
      (*writer)
          ->Commit({RemoveFile{.path = "removed-recent.parquet", .deletion_timestamp_ms = now_ms, .data_change = true},
                    RemoveFile{.path = "removed-old.parquet",
                               .deletion_timestamp_ms = now_ms - int64_t{3} * 3600 * 1000,
                               .data_change = true}},
                   Load().version())
          .ok());
  SetMtime("t/active.parquet", std::chrono::hours(100));  // old, but active: never deleted
  PutOrphan("t/orphan-old.parquet", std::chrono::hours(3));
  PutOrphan("t/orphan-new.parquet", std::chrono::hours(0));
  PutOrphan("t/_hidden/old.parquet", std::chrono::hours(3));
  PutOrphan("t/.hidden-old.parquet", std::chrono::hours(3));
  PutOrphan("u/other-table.parquet", std::chrono::hours(3));
  const VacuumOptions hour{.retention = std::chrono::hours(1), .dry_run = false, .now_ms = now_ms};

  VacuumOptions dry = hour;
  dry.dry_run = true;
  auto planned = VacuumTable(store_.get(), duckdb_.get(), "t/", dry);
  ASSERT_TRUE(planned.ok()) << planned.status().ToString();
  const std::vector<std::string> expected = {"t/orphan-old.parquet", "t/removed-old.parquet"};
  EXPECT_EQ(planned->keys, expected);
  EXPECT_EQ(planned->files_deleted, 2);
  for (const std::string& key : expected) EXPECT_TRUE(store_->Get(key).ok()) << key << " deleted by a dry run";

  auto vacuumed = VacuumTable(store_.get(), duckdb_.get(), "t/", hour);
  ASSERT_TRUE(vacuumed.ok()) << vacuumed.status().ToString();
  EXPECT_EQ(vacuumed->keys, expected);
  EXPECT_GT(vacuumed->bytes_deleted, 0u);
  for (const std::string& key : expected) EXPECT_EQ(store_->Get(key).status().code(), StatusCode::kNotFound) << key;
  for (const char* key : {"t/active.parquet", "t/removed-recent.parquet", "t/orphan-new.parquet",
                          "t/_hidden/old.parquet", "t/.hidden-old.parquet", "u/other-table.parquet"}) {
    EXPECT_TRUE(store_->Get(key).ok()) << key;
  }
  EXPECT_EQ(Query("SELECT count(*)::VARCHAR, sum(id)::VARCHAR FROM t"), std::vector<std::string>{"1|1"});

  // Below an hour is refused unless asked for explicitly; even then active files stay.
  // A minute ahead: every file is older than that, whenever it was written during the test.
  VacuumOptions zero{.retention = std::chrono::milliseconds(0), .dry_run = false, .now_ms = now_ms + 60'000};
  auto refused = VacuumTable(store_.get(), duckdb_.get(), "t/", zero);
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(refused.status().message().find("allow_short_retention"), std::string::npos);
  zero.allow_short_retention = true;
  auto everything = VacuumTable(store_.get(), duckdb_.get(), "t/", zero);
  ASSERT_TRUE(everything.ok()) << everything.status().ToString();
  EXPECT_EQ(everything->keys, (std::vector<std::string>{"t/orphan-new.parquet", "t/removed-recent.parquet"}));
  EXPECT_EQ(DataKeys(),
            (std::vector<std::string>{"t/.hidden-old.parquet", "t/_hidden/old.parquet", "t/active.parquet"}));
}

class RewriteTest : public MaintenanceTest {
 protected:
  // Three files: offsets 0-9, 10-19, 20-29.
  void MakeTable() {
    CreateTable(kStreamFields);
    for (int f = 0; f < 3; ++f)
      Append({WriteFile(StreamRows(f * 10, f * 10 + 10), fmt::format("f{}.parquet", f), "t/", true)});
  }
  std::string RowsWhere(const std::string& condition, std::optional<TableVersion> version = std::nullopt) {
    auto rows =
        Query(fmt::format("SELECT count(*)::VARCHAR, sum(hash(user_id, name, amount, ts, tags, _offset))::VARCHAR "
                          "FROM t WHERE {}\n",
                          condition),
              "t/", version);
    return rows.empty() ? "" : rows[0];
  }
};

TEST_F(RewriteTest, DeleteWhereRewritesOnlyFilesWithMatches) {
  MakeTable();
  const TableVersion before = Load().version();
  const std::string predicate = "_offset IN (3, 4) OR _offset >= 20 -- a trailing comment is fine";
  const std::string kept = RowsWhere(fmt::format("NOT ({}\n)", predicate));
  auto deleted = DeleteWhere(store_.get(), duckdb_.get(), writer_options(), predicate, scratch());
  ASSERT_TRUE(deleted.ok()) << deleted.status().ToString();
  EXPECT_EQ(deleted->files_removed, 2);  // f0 rewritten, f2 removed whole
  EXPECT_EQ(deleted->files_added, 1);
  EXPECT_EQ(deleted->rows_deleted, 12u);
  EXPECT_EQ(deleted->rows_written, 8u);
  ASSERT_EQ(deleted->version, before + 1);

  EXPECT_EQ(RowsWhere("true"), kept);
  EXPECT_EQ(RowsWhere(predicate), "0|NULL");
  const Snapshot after = Load();
  ASSERT_EQ(after.files().size(), 2u);
  EXPECT_EQ(after.files()[0].path, "f1.parquet");  // untouched
  const AddFile& rewritten = after.files()[1];
  EXPECT_TRUE(rewritten.path.starts_with("part-")) << rewritten.path;
  EXPECT_TRUE(rewritten.data_change);
  EXPECT_NE(rewritten.stats.find(R"("numRecords":8)"), std::string::npos) << rewritten.stats;
  const std::string commit = LatestCommit();
  EXPECT_NE(commit.find(R"("operation":"DELETE")"), std::string::npos) << commit;
  EXPECT_EQ(commit.find(R"("dataChange":false)"), std::string::npos) << commit;
  // Time travel to the previous version still shows the deleted rows (nothing vacuumed yet).
  EXPECT_EQ(RowsWhere("true", before).substr(0, 3), "30|");
  EXPECT_EQ(RowsWhere(predicate, before).substr(0, 3), "12|");
  // Kept rows keep their order inside the rewritten file.
  EXPECT_EQ(Query("SELECT string_agg(_offset::VARCHAR, ',')::VARCHAR FROM t WHERE _offset < 10"),
            std::vector<std::string>{"0,1,2,5,6,7,8,9"});

  // Nothing matches: no commit.
  auto nothing = DeleteWhere(store_.get(), duckdb_.get(), writer_options(), "user_id > 1000", scratch());
  ASSERT_TRUE(nothing.ok());
  EXPECT_FALSE(nothing->version.has_value());
  EXPECT_EQ(Load().version(), before + 1);
}

TEST_F(RewriteTest, BadPredicateIsInvalidArgumentWithDuckDbsMessage) {
  MakeTable();
  const TableVersion before = Load().version();
  auto unknown = DeleteWhere(store_.get(), duckdb_.get(), writer_options(), "no_such_column = 1", scratch());
  EXPECT_EQ(unknown.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(unknown.status().message().find("no_such_column"), std::string::npos) << unknown.status().ToString();
  EXPECT_NE(unknown.status().message().find("DuckDB"), std::string::npos) << unknown.status().ToString();
  auto syntax = DeleteWhere(store_.get(), duckdb_.get(), writer_options(), "user_id = = 1", scratch());
  EXPECT_EQ(syntax.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(syntax.status().message().find("syntax error"), std::string::npos) << syntax.status().ToString();
  auto not_boolean = DeleteWhere(store_.get(), duckdb_.get(), writer_options(), "user_id + 1", scratch());
  EXPECT_EQ(not_boolean.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(not_boolean.status().message().find("BOOLEAN"), std::string::npos) << not_boolean.status().ToString();
  EXPECT_EQ(DeleteWhere(store_.get(), duckdb_.get(), writer_options(), " ", scratch()).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(Load().version(), before);
  EXPECT_TRUE(std::filesystem::is_empty(scratch()));
}

TEST_F(RewriteTest, OverwriteWholeTableAndByPredicate) {
  MakeTable();
  const std::string replacement =
      "SELECT 99, 'new', 1.5, TIMESTAMPTZ '2026-02-01 00:00:00+00', ['x'], 100 + i FROM range(5) r(i)";
  auto by_predicate =
      OverwriteWhere(store_.get(), duckdb_.get(), writer_options(), "_offset >= 15", replacement, scratch());
  ASSERT_TRUE(by_predicate.ok()) << by_predicate.status().ToString();
  EXPECT_EQ(by_predicate->rows_deleted, 15u);
  EXPECT_EQ(by_predicate->rows_written, 10u);  // 5 kept rows of f1 and 5 new rows
  EXPECT_EQ(by_predicate->files_removed, 2);
  EXPECT_EQ(by_predicate->files_added, 2);
  EXPECT_EQ(Query("SELECT count(*)::VARCHAR, min(_offset)::VARCHAR, max(_offset)::VARCHAR FROM t WHERE _offset < 100"),
            std::vector<std::string>{"15|0|14"});
  EXPECT_EQ(Query("SELECT count(*)::VARCHAR, any_value(name), any_value(amount)::VARCHAR, any_value(ts)::VARCHAR, "
                  "any_value(tags)::VARCHAR FROM t WHERE _offset >= 100"),
            std::vector<std::string>{"5|new|1.50|2026-02-01 00:00:00+00|[x]"});
  const std::string commit = LatestCommit();
  EXPECT_NE(commit.find(R"("mode":"Overwrite")"), std::string::npos) << commit;

  auto whole = OverwriteWhere(store_.get(), duckdb_.get(), writer_options(), "",
                              "SELECT i, 'w', NULL, NULL, NULL, i FROM range(3) r(i)", scratch());
  ASSERT_TRUE(whole.ok()) << whole.status().ToString();
  EXPECT_EQ(whole->rows_deleted, 20u);
  EXPECT_EQ(whole->files_added, 1);
  EXPECT_EQ(Load().files().size(), 1u);
  EXPECT_EQ(Query("SELECT user_id::VARCHAR, name, amount::VARCHAR FROM t ORDER BY ALL"),
            (std::vector<std::string>{"0|w|NULL", "1|w|NULL", "2|w|NULL"}));

  auto columns = OverwriteWhere(store_.get(), duckdb_.get(), writer_options(), "", "SELECT 1, 2", scratch());
  EXPECT_EQ(columns.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(columns.status().message().find("returns 2 columns; the table has 6"), std::string::npos)
      << columns.status().ToString();
}

TEST_F(RewriteTest, ReplaceTableSwapsSchemaAndRowsInOneCommit) {
  MakeTable();
  const TableVersion before = Load().version();
  const std::vector<schema::Field> fields = {{"day", Type::Date(), true}, {"events", Type::BigInt(), true}};
  auto replaced = ReplaceTable(store_.get(), duckdb_.get(), writer_options(), fields,
                               "SELECT DATE '2026-12-01' + i::INTEGER, i * 10 FROM range(4) r(i)", scratch());
  ASSERT_TRUE(replaced.ok()) << replaced.status().ToString();
  EXPECT_EQ(replaced->files_removed, 3);
  EXPECT_EQ(replaced->rows_deleted, 30u);
  EXPECT_EQ(replaced->files_added, 1);
  EXPECT_EQ(replaced->rows_written, 4u);
  ASSERT_EQ(replaced->version, before + 1);
  const std::string commit = LatestCommit();
  EXPECT_NE(commit.find(R"("operation":"CREATE OR REPLACE TABLE AS SELECT")"), std::string::npos) << commit;
  EXPECT_NE(commit.find(R"("metaData")"), std::string::npos) << commit;
  const Snapshot after = Load();
  ASSERT_EQ(after.columns().size(), 2u);
  EXPECT_EQ(after.columns()[0].name, "day");
  EXPECT_EQ(after.metadata().id, Load("t/", before).metadata().id);
  EXPECT_EQ(Query("SELECT day::VARCHAR, events::VARCHAR FROM t ORDER BY day"),
            (std::vector<std::string>{"2026-12-01|0", "2026-12-02|10", "2026-12-03|20", "2026-12-04|30"}));
  // The previous version is intact for time travel.
  EXPECT_EQ(RowsWhere("true", before).substr(0, 3), "30|");

  // The same schema again: no metaData action; zero rows leave the table empty.
  auto emptied = ReplaceTable(store_.get(), duckdb_.get(), writer_options(), fields,
                              "SELECT DATE '2026-01-01', 1 LIMIT 0", scratch());
  ASSERT_TRUE(emptied.ok()) << emptied.status().ToString();
  EXPECT_EQ(emptied->files_removed, 1);
  EXPECT_EQ(emptied->files_added, 0);
  EXPECT_EQ(LatestCommit().find(R"("metaData")"), std::string::npos) << LatestCommit();
  EXPECT_TRUE(Load().files().empty());

  // Rows that do not fit the schema: nothing is committed and no file is left behind.
  const TableVersion now = Load().version();
  auto wrong = ReplaceTable(store_.get(), duckdb_.get(), writer_options(), fields, "SELECT 1", scratch());
  EXPECT_EQ(wrong.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(wrong.status().message().find("returns 1 columns; the table has 2"), std::string::npos)
      << wrong.status().ToString();
  EXPECT_EQ(Load().version(), now);
}

TEST_F(RewriteTest, OverwritePartitionedTableWritesEachPartitionsDirectory) {
  CreateTable({{"id", Type::BigInt(), true}, {"p", Type::Varchar(), true}, {"ts", Type::TimestampTz(), true}},
              {"p", "ts"}, "p/");
  const std::string rows =
      "SELECT i, CASE i % 3 WHEN 0 THEN 'a' WHEN 1 THEN 'b c' ELSE NULL END, "
      "TIMESTAMPTZ '2026-01-01 10:00:00.5+00' + INTERVAL (i % 2) HOUR FROM range(12) r(i)";
  auto created = OverwriteWhere(store_.get(), duckdb_.get(), writer_options("p/"), "", rows, scratch());
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(created->files_added, 6);  // 3 values of p x 2 of ts
  EXPECT_EQ(created->rows_written, 12u);
  const std::string all = "SELECT id::VARCHAR, coalesce(p, 'NULL'), epoch_us(ts)::VARCHAR FROM t ORDER BY id";
  auto expected = duckdb_->QueryText(fmt::format(
      "SELECT id::VARCHAR, coalesce(p, 'NULL'), epoch_us(ts)::VARCHAR FROM ({}) AS s(id, p, ts) ORDER BY id", rows));
  ASSERT_TRUE(expected.ok()) << expected.status().ToString();
  std::vector<std::string> expected_rows;
  for (const duck::TextRow& row : *expected) expected_rows.push_back(*row[0] + "|" + *row[1] + "|" + *row[2]);
  EXPECT_EQ(Query(all, "p/"), expected_rows);
  const Snapshot snapshot = Load("p/");
  for (const AddFile& file : snapshot.files()) {
    const std::optional<std::string>& p = file.partition_values.at("p");
    const std::string dir = p ? (*p == "a" ? "p=a/" : "p=b%20c/") : "p=__HIVE_DEFAULT_PARTITION__/";
    EXPECT_TRUE(file.path.starts_with(dir + "ts=2026-01-01%20")) << file.path;
    auto location = store_->DuckDbLocation("p/" + file.path);
    ASSERT_TRUE(location.ok());
    auto columns =
        duckdb_->QueryText(fmt::format("SELECT string_agg(column_name, ',')::VARCHAR FROM (DESCRIBE SELECT * FROM "
                                       "read_parquet({}, hive_partitioning = "
                                       "false))",
                                       duck::SqlStringLiteral(*location)));
    ASSERT_TRUE(columns.ok());
    EXPECT_EQ((*columns)[0][0], "id");
  }

  // Replacing partition `a` leaves the others' files alone.
  auto replaced = OverwriteWhere(store_.get(), duckdb_.get(), writer_options("p/"), "p = 'a'",
                                 "SELECT 100, 'a', TIMESTAMPTZ '2026-03-01 00:00:00+00'", scratch());
  ASSERT_TRUE(replaced.ok()) << replaced.status().ToString();
  EXPECT_EQ(replaced->files_removed, 2);
  EXPECT_EQ(replaced->rows_deleted, 4u);
  EXPECT_EQ(replaced->files_added, 1);
  EXPECT_EQ(Query("SELECT count(*)::VARCHAR, min(id)::VARCHAR FROM t WHERE p = 'a'", "p/"),
            std::vector<std::string>{"1|100"});
  EXPECT_EQ(Query("SELECT count(*)::VARCHAR FROM t WHERE p IS DISTINCT FROM 'a'", "p/"), std::vector<std::string>{"8"});
}

}  // namespace
}  // namespace lagoa::lake
