#include "lake/delta/file_pruning.h"

#include <gtest/gtest.h>

#include <fmt/format.h>

#include "lake/delta/delta_log.h"
#include "lake/delta/table_scan.h"
#include "lake/lake_test_util.h"
#include "lake/store/local_object_store.h"

namespace lagoa::lake {
namespace {

using testing_util::GoldenTablesDir;

struct Golden {
  std::unique_ptr<LocalObjectStore> store;
  std::unique_ptr<duck::Connection> duckdb;
  std::optional<Snapshot> snapshot;
};

Golden Open(std::string_view table) {
  Golden g;
  auto store = LocalObjectStore::Make({.root = GoldenTablesDir() / table});
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  auto duckdb = duck::Connection::Make(duck::DatabaseOptions::Defaults());
  EXPECT_TRUE(duckdb.ok()) << duckdb.status().ToString();
  if (!store.ok() || !duckdb.ok()) return g;
  g.store = std::move(store).value();
  g.duckdb = std::move(duckdb).value();
  DeltaLogReader reader(g.store.get(), g.duckdb.get(), "");
  auto snapshot = reader.LoadSnapshot();
  EXPECT_TRUE(snapshot.ok()) << snapshot.status().ToString();
  if (snapshot.ok()) g.snapshot = std::move(snapshot).value();
  return g;
}

// count(*) of the rows of `files` that satisfy `where`.
std::string CountWhere(Golden& g, const std::vector<AddFile>& files, const std::string& where) {
  auto scan = BuildScanSql(*g.snapshot, *g.store, files);
  EXPECT_TRUE(scan.ok()) << scan.status().ToString();
  auto rows = g.duckdb->QueryText(fmt::format("SELECT count(*)::VARCHAR FROM ({}) AS t WHERE {}", *scan, where));
  EXPECT_TRUE(rows.ok()) << rows.status().ToString();
  return rows.ok() && rows->size() == 1 ? (*rows)[0][0].value_or("NULL") : "error";
}

const char* OpSql(CompareOp op) {
  switch (op) {
    case CompareOp::kEqual:
      return "=";
    case CompareOp::kLess:
      return "<";
    case CompareOp::kLessOrEqual:
      return "<=";
    case CompareOp::kGreater:
      return ">";
    case CompareOp::kGreaterOrEqual:
      return ">=";
  }
  return "?";
}

TEST(FilePruning, StatisticsDropOnlyFilesThatCannotMatch) {
  Golden g = Open("basic-with-inserts-deletes-checkpoint");
  ASSERT_TRUE(g.snapshot.has_value());
  const size_t all = g.snapshot->files().size();
  ASSERT_GT(all, 5u);
  for (CompareOp op : {CompareOp::kEqual, CompareOp::kLess, CompareOp::kLessOrEqual, CompareOp::kGreater,
                       CompareOp::kGreaterOrEqual}) {
    for (int literal : {-1, 0, 4, 5, 12, 30, 50, 65, 66, 100}) {
      auto pruned = PruneFiles(*g.snapshot, {{"id", op, std::to_string(literal)}});
      ASSERT_TRUE(pruned.ok()) << pruned.status().ToString();
      EXPECT_EQ(pruned->files.size() + pruned->files_pruned, all);
      const std::string where = fmt::format("id {} {}", OpSql(op), literal);
      // Never wrong: the kept files hold every matching row.
      EXPECT_EQ(CountWhere(g, pruned->files, where), CountWhere(g, g.snapshot->files(), where)) << where;
    }
  }
  // And useful: one file holds 10..14 (15..19 were deleted), none holds anything above 65.
  auto one = PruneFiles(*g.snapshot, {{"ID", CompareOp::kEqual, "12"}});
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->files.size(), 1u);
  auto none = PruneFiles(*g.snapshot, {{"id", CompareOp::kGreater, "65"}});
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->files.empty());
  EXPECT_EQ(CountWhere(g, none->files, "true"), "0");
  auto both = PruneFiles(*g.snapshot, {{"id", CompareOp::kGreaterOrEqual, "10"}, {"id", CompareOp::kLess, "20"}});
  ASSERT_TRUE(both.ok());
  EXPECT_EQ(both->files.size(), 1u);
}

TEST(FilePruning, PartitionValuesDropFilesAndNullsNeverMatch) {
  Golden g = Open("data-reader-partition-values");
  ASSERT_TRUE(g.snapshot.has_value());
  ASSERT_EQ(g.snapshot->files().size(), 3u);  // as_int 0, 1 and null
  auto zero = PruneFiles(*g.snapshot, {{"as_int", CompareOp::kEqual, "0"}});
  ASSERT_TRUE(zero.ok()) << zero.status().ToString();
  ASSERT_EQ(zero->files.size(), 1u);
  EXPECT_EQ(zero->files[0].partition_values.at("as_int"), "0");
  auto above = PruneFiles(*g.snapshot, {{"as_long", CompareOp::kGreaterOrEqual, "0"}});
  ASSERT_TRUE(above.ok());
  EXPECT_EQ(above->files.size(), 2u) << "the null partition never compares true";
  auto day = PruneFiles(*g.snapshot, {{"as_date", CompareOp::kEqual, "2021-09-08"}});
  ASSERT_TRUE(day.ok()) << day.status().ToString();
  EXPECT_EQ(day->files.size(), 2u);
  auto later = PruneFiles(*g.snapshot, {{"as_timestamp", CompareOp::kGreater, "2021-09-08T11:11:11Z"}});
  ASSERT_TRUE(later.ok()) << later.status().ToString();
  EXPECT_TRUE(later->files.empty());
  auto text = PruneFiles(*g.snapshot, {{"as_string", CompareOp::kEqual, "1"}});
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(text->files.size(), 1u);
  EXPECT_EQ(CountWhere(g, text->files, "as_string = '1'"), "1");
}

// A snapshot built by replaying hand-written actions, for statistics Spark's tables lack.
Snapshot Synthetic(const std::vector<std::string>& stats) {
  LogReplay replay("");
  replay.Apply(Protocol{1, 2, {}, {}});
  Metadata m;
  m.id = "t";
  m.format_provider = "parquet";
  m.schema_string = R"({"type":"struct","fields":[{"name":"ts","type":"timestamp","nullable":true,"metadata":{}},)"
                    R"j({"name":"price","type":"decimal(10,2)","nullable":true,"metadata":{}}]})j";
  replay.Apply(m);
  for (size_t i = 0; i < stats.size(); ++i) {
    AddFile add;
    add.path = fmt::format("f{}.parquet", i);
    add.stats = stats[i];
    replay.Apply(add);
  }
  auto snapshot = std::move(replay).Finish(TableVersion(1));
  EXPECT_TRUE(snapshot.ok()) << snapshot.status().ToString();
  return std::move(snapshot).value();
}

TEST(FilePruning, TimestampMaximaAreWidenedAndAllNullFilesDropped) {
  Snapshot snapshot = Synthetic({
      // Spark-style millisecond statistics: the true maximum may be up to .123999.
      R"({"numRecords":2,"minValues":{"ts":"2024-01-01T00:00:00.000Z"},"maxValues":{"ts":"2024-01-01T00:00:00.123Z"},"nullCount":{"ts":0}})",
      R"({"numRecords":3,"minValues":{},"maxValues":{},"nullCount":{"ts":3}})",
      "",  // no statistics: always kept
  });
  auto within = PruneFiles(snapshot, {{"ts", CompareOp::kEqual, "2024-01-01T00:00:00.123500Z"}});
  ASSERT_TRUE(within.ok()) << within.status().ToString();
  ASSERT_EQ(within->files.size(), 2u);
  EXPECT_EQ(within->files[0].path, "f0.parquet");
  EXPECT_EQ(within->files[1].path, "f2.parquet");
  auto beyond = PruneFiles(snapshot, {{"ts", CompareOp::kGreater, "2024-01-01T00:00:00.124Z"}});
  ASSERT_TRUE(beyond.ok());
  ASSERT_EQ(beyond->files.size(), 1u);
  EXPECT_EQ(beyond->files[0].path, "f2.parquet");
  // DECIMAL is not compared: nothing pruned, but the literal need not parse either.
  auto price = PruneFiles(snapshot, {{"price", CompareOp::kEqual, "1.50"}});
  ASSERT_TRUE(price.ok());
  EXPECT_EQ(price->files.size(), 3u);
}

TEST(FilePruning, UnknownColumnsAndBadLiteralsAreNamed) {
  Snapshot snapshot = Synthetic({""});
  auto unknown = PruneFiles(snapshot, {{"nope", CompareOp::kEqual, "1"}});
  EXPECT_EQ(unknown.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(unknown.status().message().find("`nope`"), std::string::npos) << unknown.status().message();
  auto bad = PruneFiles(snapshot, {{"ts", CompareOp::kLess, "yesterday"}});
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("\"yesterday\" is not a TIMESTAMPTZ value"), std::string::npos)
      << bad.status().message();
}

}  // namespace
}  // namespace lagoa::lake
