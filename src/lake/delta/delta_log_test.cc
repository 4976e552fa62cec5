// Log replay and reading rows, against the golden tables Spark wrote (see
// ../shared/testdata/delta-golden/README.md for what each holds) and hand-written logs.
#include "lake/delta/delta_log.h"

#include <gtest/gtest.h>

#include "lake/delta/table_scan.h"
#include "lake/lake_test_util.h"
#include "lake/store/local_object_store.h"

#include <fmt/format.h>

namespace lagoa::lake {
namespace {

using testing_util::GoldenTablesDir;
using testing_util::TempDir;

// Opens one table directory as an object store and reads it with a private DuckDB connection.
class TableFixture {
 public:
  explicit TableFixture(const std::filesystem::path& root) {
    auto store = LocalObjectStore::Make({.root = root});
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    if (store.ok()) store_ = std::move(store).value();
    auto duckdb = duck::Connection::Make(duck::DatabaseOptions::Defaults());
    EXPECT_TRUE(duckdb.ok()) << duckdb.status().ToString();
    if (duckdb.ok()) duckdb_ = std::move(duckdb).value();
  }

  Result<Snapshot> Load(std::optional<TableVersion> version = std::nullopt) {
    if (!store_ || !duckdb_) return Status::Internal("fixture failed to open");
    DeltaLogReader reader(store_.get(), duckdb_.get(), "");
    auto snapshot = reader.LoadSnapshot(version);
    note_ = reader.last_checkpoint_note();
    return snapshot;
  }

  // The single row `query` (over `t`) returns, as text.
  std::vector<std::string> Row(const Snapshot& snapshot, std::string_view query) {
    auto rows = QuerySnapshot(*duckdb_, snapshot, *store_, query);
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    if (!rows.ok() || rows->size() != 1) return {};
    std::vector<std::string> out;
    for (const auto& cell : (*rows)[0]) out.push_back(cell.value_or("NULL"));
    return out;
  }

  ObjectStore& store() { return *store_; }
  duck::Connection& duckdb() { return *duckdb_; }
  const std::string& note() const { return note_; }

 private:
  std::unique_ptr<LocalObjectStore> store_;
  std::unique_ptr<duck::Connection> duckdb_;
  std::string note_;
};

class GoldenTable : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::filesystem::path dir = GoldenTablesDir();
    ASSERT_FALSE(dir.empty()) << "LAGOA_TESTDATA_DIR is not defined; the build must pass it";
    ASSERT_TRUE(std::filesystem::is_directory(dir)) << "the golden Delta tables are missing: expected " << dir
                                                    << " (../shared/testdata/delta-golden beside the repository)";
  }
  static std::filesystem::path Table(std::string_view name) { return GoldenTablesDir() / name; }
};

// Records the `start_after` of every listing, delegating to a local store.
class ListRecordingStore final : public ObjectStore {
 public:
  explicit ListRecordingStore(std::unique_ptr<LocalObjectStore> inner) : inner_(std::move(inner)) {}
  std::vector<std::string> listed_after;

  Status PutIfAbsent(std::string_view key, std::string_view data) override { return inner_->PutIfAbsent(key, data); }
  Result<std::string> Get(std::string_view key) override { return inner_->Get(key); }
  Result<bool> Exists(std::string_view key) override { return inner_->Exists(key); }
  Result<std::string> GetRange(std::string_view key, uint64_t offset, uint64_t length) override {
    return inner_->GetRange(key, offset, length);
  }
  Result<std::vector<ObjectInfo>> ListAfter(std::string_view prefix, std::string_view start_after) override {
    listed_after.emplace_back(start_after);
    return inner_->ListAfter(prefix, start_after);
  }
  Status Delete(std::string_view key) override { return inner_->Delete(key); }
  Result<std::string> DuckDbLocation(std::string_view key) const override { return inner_->DuckDbLocation(key); }

 private:
  std::unique_ptr<LocalObjectStore> inner_;
};

TEST_F(GoldenTable, HasDeltaLogAsksTheStore) {
  auto table = LocalObjectStore::Make({.root = Table("basic-with-inserts-updates")});
  ASSERT_TRUE(table.ok());
  auto has = HasDeltaLog(table->get(), "");
  ASSERT_TRUE(has.ok()) << has.status().ToString();
  EXPECT_TRUE(*has);
  // The parent folder holds tables, not a log; a prefix with no log under it has none.
  auto parent = LocalObjectStore::Make({.root = GoldenTablesDir()});
  ASSERT_TRUE(parent.ok());
  EXPECT_TRUE(*HasDeltaLog(parent->get(), "basic-with-inserts-updates/"));
  EXPECT_FALSE(*HasDeltaLog(parent->get(), ""));
  EXPECT_FALSE(*HasDeltaLog(parent->get(), "no-such-table/"));
}

TEST_F(GoldenTable, TheCheckpointHintSparesListingEarlierCommits) {
  auto local = LocalObjectStore::Make({.root = Table("basic-with-inserts-deletes-checkpoint")});
  ASSERT_TRUE(local.ok());
  ListRecordingStore store(std::move(local).value());
  auto duckdb = duck::Connection::Make(duck::DatabaseOptions::Defaults());
  ASSERT_TRUE(duckdb.ok());
  DeltaLogReader reader(&store, duckdb->get(), "");
  auto latest = reader.LoadSnapshot();
  ASSERT_TRUE(latest.ok()) << latest.status().ToString();
  EXPECT_EQ(latest->version(), TableVersion(13));
  EXPECT_EQ(latest->checkpoint_version(), TableVersion(10));
  EXPECT_EQ(store.listed_after, std::vector<std::string>{"_delta_log/00000000000000000010"});
  EXPECT_EQ(reader.last_checkpoint_note(), "");
  // An older version than the checkpoint needs the whole log.
  store.listed_after.clear();
  auto old = reader.LoadSnapshot(TableVersion(3));
  ASSERT_TRUE(old.ok()) << old.status().ToString();
  EXPECT_EQ(old->version(), TableVersion(3));
  EXPECT_EQ(store.listed_after, std::vector<std::string>{""});
}

TEST_F(GoldenTable, CheckpointThenCommitsGiveInsertsMinusDeletes) {
  TableFixture table(Table("basic-with-inserts-deletes-checkpoint"));
  auto snapshot = table.Load();
  ASSERT_TRUE(snapshot.ok()) << snapshot.status().ToString();
  EXPECT_EQ(snapshot->version(), TableVersion(13));
  EXPECT_EQ(snapshot->checkpoint_version(), TableVersion(10));
  EXPECT_EQ(table.note(), "");
  EXPECT_EQ(
      table.Row(*snapshot, "SELECT count(*)::VARCHAR, sum(id)::VARCHAR, min(id)::VARCHAR, max(id)::VARCHAR FROM t"),
      (std::vector<std::string>{"41", "1470", "0", "65"}));
  ASSERT_EQ(snapshot->columns().size(), 1u);
  EXPECT_EQ(snapshot->columns()[0].type->ToSql(), "BIGINT");
}

TEST_F(GoldenTable, UpdatesReplaceRewrittenFiles) {
  TableFixture table(Table("basic-with-inserts-updates"));
  auto snapshot = table.Load();
  ASSERT_TRUE(snapshot.ok()) << snapshot.status().ToString();
  EXPECT_EQ(table.Row(*snapshot,
                      "SELECT count(*)::VARCHAR, sum(id)::VARCHAR, "
                      "count(*) FILTER (WHERE str = 'N/A')::VARCHAR FROM t"),
            (std::vector<std::string>{"100", "4950", "50"}));
}

TEST_F(GoldenTable, EmptyLastCheckpointFallsBackToListing) {
  TableFixture table(Table("corrupted-last-checkpoint-kernel"));
  auto snapshot = table.Load();
  ASSERT_TRUE(snapshot.ok()) << snapshot.status().ToString();
  EXPECT_EQ(snapshot->version(), TableVersion(11));
  EXPECT_EQ(snapshot->checkpoint_version(), TableVersion(10));
  EXPECT_NE(table.note().find("_last_checkpoint is empty"), std::string::npos) << table.note();
  EXPECT_EQ(table.Row(*snapshot, "SELECT count(*)::VARCHAR, sum(id)::VARCHAR FROM t"),
            (std::vector<std::string>{"100", "4950"}));
}

TEST_F(GoldenTable, MultiPartCheckpointIsReadWhole) {
  TableFixture table(Table("multi-part-checkpoint"));
  auto snapshot = table.Load();
  ASSERT_TRUE(snapshot.ok()) << snapshot.status().ToString();
  EXPECT_EQ(snapshot->checkpoint_version(), TableVersion(1));
  EXPECT_EQ(table.note(), "");
  EXPECT_EQ(table.Row(*snapshot, "SELECT count(*)::VARCHAR, sum(id)::VARCHAR FROM t"),
            (std::vector<std::string>{"31", "435"}));
  auto first = table.Load(TableVersion(0));
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->checkpoint_version(), std::nullopt);
  EXPECT_EQ(table.Row(*first, "SELECT count(*)::VARCHAR FROM t"), (std::vector<std::string>{"1"}));
}

TEST_F(GoldenTable, TimeTravelByVersion) {
  TableFixture table(Table("time-travel-start-start20-start40"));
  const std::vector<std::vector<std::string>> kExpected = {{"10", "45"}, {"20", "190"}, {"30", "435"}};
  for (int64_t v = 0; v < 3; ++v) {
    auto snapshot = table.Load(TableVersion(v));
    ASSERT_TRUE(snapshot.ok()) << snapshot.status().ToString();
    EXPECT_EQ(snapshot->version(), TableVersion(v));
    EXPECT_EQ(table.Row(*snapshot, "SELECT count(*)::VARCHAR, sum(id)::VARCHAR FROM t"), kExpected[v]) << v;
  }
  auto latest = table.Load();
  ASSERT_TRUE(latest.ok());
  EXPECT_EQ(latest->version(), TableVersion(2));
  Status missing = table.Load(TableVersion(3)).status();
  EXPECT_EQ(missing.code(), StatusCode::kNotFound);
  EXPECT_EQ(missing.message(), "table version 3 does not exist; the latest is 2");
}

TEST_F(GoldenTable, PrimitiveColumnsMapAndReadBack) {
  TableFixture table(Table("data-reader-primitives"));
  auto snapshot = table.Load();
  ASSERT_TRUE(snapshot.ok()) << snapshot.status().ToString();
  std::vector<std::string> types;
  for (const DeltaColumn& c : snapshot->columns()) types.push_back(c.type ? c.type->ToSql() : "none:" + c.spark_type);
  EXPECT_EQ(types, (std::vector<std::string>{"INTEGER", "BIGINT", "INTEGER", "INTEGER", "BOOLEAN", "DOUBLE", "DOUBLE",
                                             "VARCHAR", "none:binary", "DECIMAL(1,0)"}));
  EXPECT_EQ(ToLagoaFields(snapshot->columns()).status().message(),
            "column `as_binary` (binary): Delta type binary has no lagoa type");
  EXPECT_EQ(table.Row(*snapshot,
                      "SELECT count(*)::VARCHAR, sum(as_int)::VARCHAR, sum(as_long)::VARCHAR, "
                      "count(*) FILTER (WHERE as_int IS NULL AND as_string IS NULL)::VARCHAR, "
                      "count(*) FILTER (WHERE as_boolean)::VARCHAR, max(octet_length(as_binary))::VARCHAR "
                      "FROM t"),
            (std::vector<std::string>{"11", "45", "45", "1", "5", "2"}));
  // Data columns are cast to their lagoa types; binary, which has none, stays as Parquet has it.
  EXPECT_EQ(table.Row(*snapshot,
                      "SELECT typeof(as_byte), typeof(as_short), typeof(as_float), typeof(as_binary), "
                      "typeof(as_big_decimal), as_float::VARCHAR, as_big_decimal::VARCHAR, "
                      "hex(as_binary) FROM t WHERE as_int = 7"),
            (std::vector<std::string>{"INTEGER", "INTEGER", "DOUBLE", "BLOB", "DECIMAL(1,0)", "7.0", "7", "0707"}));
}

TEST_F(GoldenTable, PartitionValuesComeFromTheLogTypedWithNulls) {
  TableFixture table(Table("data-reader-partition-values"));
  auto snapshot = table.Load();
  ASSERT_TRUE(snapshot.ok()) << snapshot.status().ToString();
  EXPECT_EQ(snapshot->metadata().partition_columns.size(), 12u);
  EXPECT_EQ(table.Row(*snapshot,
                      "SELECT count(*)::VARCHAR, "
                      "count(*) FILTER (WHERE as_int IS NULL AND as_long IS NULL AND as_byte IS NULL AND "
                      "as_short IS NULL AND as_boolean IS NULL AND as_float IS NULL AND as_double IS NULL "
                      "AND as_string IS NULL AND as_string_lit_null IS NULL AND as_date IS NULL AND "
                      "as_timestamp IS NULL AND as_big_decimal IS NULL)::VARCHAR, "
                      "count(*) FILTER (WHERE as_string_lit_null = 'null')::VARCHAR, "
                      "sum(as_int)::VARCHAR, sum(as_long)::VARCHAR, "
                      "count(*) FILTER (WHERE as_boolean)::VARCHAR FROM t"),
            (std::vector<std::string>{"3", "1", "2", "1", "1", "1"}));
  EXPECT_EQ(table.Row(*snapshot,
                      "SELECT typeof(as_int), typeof(as_byte), typeof(as_float), typeof(as_date), "
                      "typeof(as_timestamp), typeof(as_big_decimal), typeof(as_string_lit_null) "
                      "FROM t LIMIT 1"),
            (std::vector<std::string>{"INTEGER", "INTEGER", "DOUBLE", "DATE", "TIMESTAMP WITH TIME ZONE",
                                      "DECIMAL(1,0)", "VARCHAR"}));
  EXPECT_EQ(table.Row(*snapshot,
                      "SELECT as_date::VARCHAR, "
                      "(as_timestamp = TIMESTAMPTZ '2021-09-08 11:11:11+00')::VARCHAR, value, "
                      "as_string, as_double::VARCHAR FROM t WHERE as_int = 1"),
            (std::vector<std::string>{"2021-09-08", "true", "1", "1", "1.0"}));
  // The data columns beside the partition values: a nested struct and a list of structs.
  EXPECT_EQ(
      table.Row(*snapshot,
                "SELECT to_json(as_list_of_records)::VARCHAR, to_json(as_nested_struct)::VARCHAR, "
                "typeof(as_nested_struct) FROM t WHERE as_int IS NULL"),
      (std::vector<std::string>{R"([{"val":2},{"val":2},{"val":2}])", R"({"aa":"2","ab":"2","ac":{"aca":2,"acb":2}})",
                                "STRUCT(aa VARCHAR, ab VARCHAR, ac STRUCT(aca INTEGER, acb BIGINT))"}));
}

TEST_F(GoldenTable, UnsupportedReaderVersionIsRefusedAndNeverRead) {
  TableFixture table(Table("deltalog-invalid-protocol-version"));
  Status refused = table.Load().status();
  EXPECT_EQ(refused.code(), StatusCode::kFailedPrecondition) << refused.ToString();
  EXPECT_NE(refused.message().find("Delta reader version 99"), std::string::npos) << refused.message();
}

// Hand-written logs in a scratch directory.
class HandWrittenLog : public ::testing::Test {
 protected:
  void Commit(int64_t version, std::string_view lines) {
    ASSERT_TRUE(
        table_.store().PutIfAbsent("_delta_log/" + VersionFileStem(TableVersion(version)) + ".json", lines).ok());
  }
  // An add action of a 1-byte file without partition values.
  static std::string Add(std::string_view path) {
    return fmt::format(
        R"({{"add":{{"path":"{}","partitionValues":{{}},"size":1,"modificationTime":1,"dataChange":true}}}})", path);
  }
  static constexpr std::string_view kProtocolV1 = R"({"protocol":{"minReaderVersion":1,"minWriterVersion":2}})";
  static constexpr std::string_view kMetadata =
      R"({"metaData":{"id":"x","format":{"provider":"parquet","options":{}},"schemaString":"{\"type\":\"struct\",\"fields\":[{\"name\":\"id\",\"type\":\"long\",\"nullable\":true,\"metadata\":{}}]}","partitionColumns":[],"configuration":{}}})";
  TempDir dir_;
  TableFixture table_{dir_.path()};
};

TEST_F(HandWrittenLog, LaterProtocolUpgradeIsRefusedButEarlierVersionsStayReadable) {
  Commit(0, std::string(kProtocolV1) + "\n" + std::string(kMetadata) + "\n" +
                R"({"add":{"path":"a.parquet","partitionValues":{},"size":1,"modificationTime":1,"dataChange":true}})");
  Commit(1, R"({"txn":{"appId":"loader","version":7}})");
  Commit(
      2,
      R"({"protocol":{"minReaderVersion":3,"minWriterVersion":7,"readerFeatures":["deletionVectors"],"writerFeatures":["deletionVectors"]}})");
  auto old = table_.Load(TableVersion(1));
  ASSERT_TRUE(old.ok()) << old.status().ToString();
  EXPECT_EQ(old->files().size(), 1u);
  EXPECT_EQ(old->app_version("loader"), 7);
  Status refused = table_.Load().status();
  EXPECT_EQ(refused.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.message().find("reader version 3 with reader features [deletionVectors]"), std::string::npos)
      << refused.message();
}

TEST_F(HandWrittenLog, UnreadableProtocolIsReportedBeforeALaterParseError) {
  Commit(0, R"({"protocol":{"minReaderVersion":2,"minWriterVersion":5}})"
            "\n"
            R"({"add":{"path":"x"}})");
  Status refused = table_.Load().status();
  EXPECT_EQ(refused.code(), StatusCode::kFailedPrecondition) << refused.ToString();
  EXPECT_NE(refused.message().find("reader version 2"), std::string::npos);
}

TEST_F(HandWrittenLog, MissingCommitOrEmptyLogIsNotFound) {
  EXPECT_EQ(table_.Load().status().code(), StatusCode::kNotFound);
  Commit(0, std::string(kProtocolV1) + "\n" + std::string(kMetadata));
  Commit(2, R"({"commitInfo":{}})");
  Status gap = table_.Load().status();
  EXPECT_EQ(gap.code(), StatusCode::kNotFound);
  EXPECT_NE(gap.message().find("commit 1"), std::string::npos) << gap.message();
  auto empty = table_.Load(TableVersion(0));
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  EXPECT_EQ(table_.Row(*empty, "SELECT count(*)::VARCHAR FROM t"), (std::vector<std::string>{"0"}));
}

// A reader following the table replays only the commits after the snapshot it holds, and gets
// what a full load gets: adds and removes, txns, a schema change, a protocol it cannot read.
TEST_F(HandWrittenLog, SnapshotAfterAnEarlierOneEqualsAFullLoad) {
  Commit(0, std::string(kProtocolV1) + "\n" + std::string(kMetadata) + "\n" + Add("a.parquet"));
  auto base = table_.Load();
  ASSERT_TRUE(base.ok()) << base.status().ToString();
  DeltaLogReader reader(&table_.store(), &table_.duckdb(), "");
  auto same = reader.LoadSnapshotAfter(*base);
  ASSERT_TRUE(same.ok()) << same.status().ToString();
  EXPECT_EQ(same->version(), TableVersion(0));

  Commit(1, Add("b.parquet") + "\n" + R"({"txn":{"appId":"loader","version":7}})");
  Commit(2, R"({"remove":{"path":"a.parquet","deletionTimestamp":5,"dataChange":true}})"
            "\n" +
                Add("c.parquet") + "\n" + R"({"txn":{"appId":"loader","version":9}})");
  std::string evolved(kMetadata);
  evolved.replace(evolved.find(R"(\"long\")"), 8, R"(\"integer\")");
  Commit(3, evolved);
  auto after = reader.LoadSnapshotAfter(*base);
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  auto full = table_.Load();
  ASSERT_TRUE(full.ok()) << full.status().ToString();
  EXPECT_EQ(after->version(), TableVersion(3));
  ASSERT_EQ(after->files().size(), 2u);
  EXPECT_EQ(after->files()[0].path, "b.parquet");
  EXPECT_EQ(after->files()[1].path, "c.parquet");
  EXPECT_EQ(after->files().size(), full->files().size());
  EXPECT_EQ(after->app_version("loader"), 9);
  EXPECT_EQ(after->columns()[0].type->ToSql(), "INTEGER");
  EXPECT_EQ(full->columns()[0].type->ToSql(), "INTEGER");

  // A later protocol lagoa cannot read is refused, as a full load refuses it.
  Commit(
      4,
      R"({"protocol":{"minReaderVersion":3,"minWriterVersion":7,"readerFeatures":["deletionVectors"],"writerFeatures":["deletionVectors"]}})");
  EXPECT_EQ(reader.LoadSnapshotAfter(*after).status().code(), StatusCode::kFailedPrecondition);
}

// A follower asks two Exists calls before every statement: is the snapshot it holds the latest?
TEST_F(HandWrittenLog, ASnapshotIsLatestUntilACommitFollowsOrTheTableIsGone) {
  Commit(0, std::string(kProtocolV1) + "\n" + std::string(kMetadata) + "\n" + Add("a.parquet"));
  auto base = table_.Load();
  ASSERT_TRUE(base.ok()) << base.status().ToString();
  DeltaLogReader reader(&table_.store(), &table_.duckdb(), "");
  EXPECT_TRUE(reader.IsLatest(*base).value());
  Commit(1, Add("b.parquet"));
  EXPECT_FALSE(reader.IsLatest(*base).value());
  auto next = table_.Load();
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  EXPECT_TRUE(reader.IsLatest(*next).value());
  ASSERT_TRUE(table_.store().Delete("_delta_log/00000000000000000001.json").ok());  // the table was deleted
  EXPECT_FALSE(reader.IsLatest(*next).value());
}

TEST_F(HandWrittenLog, SnapshotAfterOneTheLogNoLongerHasIsAFullLoad) {
  Commit(0, std::string(kProtocolV1) + "\n" + std::string(kMetadata) + "\n" + Add("a.parquet"));
  Commit(1, Add("b.parquet"));
  auto base = table_.Load();
  ASSERT_TRUE(base.ok()) << base.status().ToString();
  ASSERT_EQ(base->version(), TableVersion(1));
  DeltaLogReader reader(&table_.store(), &table_.duckdb(), "");

  // Cut back to version 0 (a restore, or the table removed and written again): not the base.
  std::filesystem::remove(dir_.path() / "_delta_log" / (VersionFileStem(TableVersion(1)) + ".json"));
  auto cut = reader.LoadSnapshotAfter(*base);
  ASSERT_TRUE(cut.ok()) << cut.status().ToString();
  EXPECT_EQ(cut->version(), TableVersion(0));
  ASSERT_EQ(cut->files().size(), 1u);
  EXPECT_EQ(cut->files()[0].path, "a.parquet");

  // The log gone: the table is gone, not the base kept.
  std::filesystem::remove_all(dir_.path() / "_delta_log");
  EXPECT_EQ(reader.LoadSnapshotAfter(*cut).status().code(), StatusCode::kNotFound);
}

TEST_F(HandWrittenLog, PartitionValuesAndDataColumnsAreTypedFromTheLog) {
  // Data files written by DuckDB: a MAP column (read as JSON) and a zone-less TIMESTAMP (read as
  // TIMESTAMPTZ in UTC); partition directories named as Spark would, paths URI-encoded in the log.
  for (const char* sub : {"p=a b", "p=null"}) std::filesystem::create_directories(dir_.path() / sub);
  const std::string write =
      "COPY (SELECT {}::BIGINT AS id, MAP {{'k': {}}} AS m, "
      "TIMESTAMP '2024-01-01 10:00:00' AS ts) TO {} (FORMAT parquet)";
  ASSERT_TRUE(table_.duckdb()
                  .Execute(fmt::format(fmt::runtime(write), 1, 10,
                                       duck::SqlStringLiteral((dir_.path() / "p=a b/f1.parquet").string())))
                  .ok());
  ASSERT_TRUE(table_.duckdb()
                  .Execute(fmt::format(fmt::runtime(write), 2, 20,
                                       duck::SqlStringLiteral((dir_.path() / "p=null/f2.parquet").string())))
                  .ok());
  const std::string metadata =
      R"({"metaData":{"id":"x","format":{"provider":"parquet","options":{}},"schemaString":"{\"type\":\"struct\",\"fields\":[)"
      R"({\"name\":\"id\",\"type\":\"long\",\"nullable\":true,\"metadata\":{}},)"
      R"({\"name\":\"m\",\"type\":{\"type\":\"map\",\"keyType\":\"string\",\"valueType\":\"long\",\"valueContainsNull\":true},\"nullable\":true,\"metadata\":{}},)"
      R"({\"name\":\"ts\",\"type\":\"timestamp\",\"nullable\":true,\"metadata\":{}},)"
      R"({\"name\":\"p\",\"type\":\"string\",\"nullable\":true,\"metadata\":{}},)"
      R"({\"name\":\"select\",\"type\":\"integer\",\"nullable\":true,\"metadata\":{}}]}","partitionColumns":["p","select"],"configuration":{}}})";
  Commit(
      0,
      std::string(kProtocolV1) + "\n" + metadata + "\n" +
          R"({"add":{"path":"p=a%20b/f1.parquet","partitionValues":{"p":"a b","select":""},"size":1,"modificationTime":1,"dataChange":true}})"
          "\n"
          R"({"add":{"path":"p=null/f2.parquet","partitionValues":{"p":"null","select":"5"},"size":1,"modificationTime":1,"dataChange":true}})");
  auto snapshot = table_.Load();
  ASSERT_TRUE(snapshot.ok()) << snapshot.status().ToString();
  EXPECT_EQ(table_.Row(*snapshot,
                       "SELECT string_agg(concat_ws(';', id, m, typeof(m), p, coalesce(\"select\"::VARCHAR, 'NULL'), "
                       "ts = TIMESTAMPTZ '2024-01-01 10:00:00+00'), ' | ' ORDER BY id) FROM t"),
            (std::vector<std::string>{R"(1;{"k":10};JSON;a b;NULL;true | 2;{"k":20};JSON;null;5;true)"}));
}

TEST(LastCheckpoint, ParsesTheHintAndRejectsEmptyOrBrokenFiles) {
  auto hint = ParseLastCheckpoint(R"({"version":10,"size":13,"parts":2})");
  ASSERT_TRUE(hint.ok());
  EXPECT_EQ(hint->version, TableVersion(10));
  EXPECT_EQ(hint->parts, 2);
  EXPECT_EQ(ParseLastCheckpoint("").status().code(), StatusCode::kCorruption);
  EXPECT_EQ(ParseLastCheckpoint("{\"version\":").status().code(), StatusCode::kCorruption);
  EXPECT_EQ(ParseLastCheckpoint(R"({"size":1})").status().code(), StatusCode::kCorruption);
}

}  // namespace
}  // namespace lagoa::lake
