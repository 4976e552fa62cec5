// Commits, conflicts, concurrent writers and checkpoints, read back with DeltaLogReader.
#include "lake/delta/delta_table_writer.h"

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <atomic>
#include <set>
#include <thread>

#include "lake/delta/delta_checkpoint_writer.h"
#include "lake/delta/delta_log.h"
#include "lake/lake_test_util.h"
#include "lake/store/local_object_store.h"

namespace lagoa::lake {
namespace {

using schema::Field;
using schema::Type;
using testing_util::TempDir;

const std::vector<Field> kFields = {{"id", Type::BigInt(), false}, {"p", Type::Varchar(), true}};

AddFile Add(std::string path, std::optional<std::string> p = "a") {
  return AddFile{.path = std::move(path),
                 .partition_values = {{"p", std::move(p)}},
                 .size_bytes = 100,
                 .modification_time_ms = 1,
                 .data_change = true,
                 .stats = R"({"numRecords":1,"minValues":{"id":1},"maxValues":{"id":1},"nullCount":{"id":0}})",
                 .has_deletion_vector = false};
}

RemoveFile Remove(std::string path) {
  return RemoveFile{.path = std::move(path), .deletion_timestamp_ms = 2, .data_change = true};
}

std::vector<std::string> Paths(const Snapshot& snapshot) {
  std::vector<std::string> paths;
  for (const AddFile& add : snapshot.files()) paths.push_back(add.path);
  return paths;
}

// One writer (its own DuckDB connection) on a table in a shared store.
class Writer {
 public:
  Writer(ObjectStore* store, const std::filesystem::path& scratch, int64_t checkpoint_interval = 10) {
    auto duckdb = duck::Connection::Make(duck::DatabaseOptions::Defaults());
    EXPECT_TRUE(duckdb.ok()) << duckdb.status().ToString();
    duckdb_ = std::move(duckdb).value();
    auto writer = DeltaTableWriter::Make(
        store, duckdb_.get(),
        {.table_prefix = "t/", .checkpoint_interval = checkpoint_interval, .scratch_dir = scratch});
    EXPECT_TRUE(writer.ok()) << writer.status().ToString();
    writer_ = std::move(writer).value();
    store_ = store;
  }
  DeltaTableWriter& operator*() { return *writer_; }
  DeltaTableWriter* operator->() { return writer_.get(); }
  duck::Connection& duckdb() { return *duckdb_; }
  Result<Snapshot> Load(std::optional<TableVersion> version = std::nullopt) {
    return DeltaLogReader(store_, duckdb_.get(), "t/").LoadSnapshot(version);
  }

 private:
  std::unique_ptr<duck::Connection> duckdb_;
  std::unique_ptr<DeltaTableWriter> writer_;
  ObjectStore* store_ = nullptr;
};

class DeltaTableWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = LocalObjectStore::Make({.root = dir_.path() / "store", .create_if_missing = true});
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
    std::filesystem::create_directories(scratch());
  }
  std::filesystem::path scratch() const { return dir_.path() / "scratch"; }

  TempDir dir_;
  std::unique_ptr<LocalObjectStore> store_;
};

TEST_F(DeltaTableWriterTest, CreateTableThenAppendsReadBack) {
  Writer writer(store_.get(), scratch());
  auto created = writer->CreateTable(kFields, {"p"}, {{"delta.appendOnly", "false"}});
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(created->version, TableVersion(0));
  EXPECT_EQ(writer->CreateTable(kFields, {}, {}).status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(writer->CreateTable(kFields, {"nope"}, {}).status().code(), StatusCode::kInvalidArgument);

  for (int i = 1; i <= 3; ++i) {
    auto committed = writer->Commit({Add(fmt::format("p=a/f{}.parquet", i))}, TableVersion(i - 1));
    ASSERT_TRUE(committed.ok()) << committed.status().ToString();
    EXPECT_EQ(committed->version, TableVersion(i));
    EXPECT_EQ(committed->attempts, 1);
  }
  auto txn = writer->Commit({Add("p=b/g.parquet", "b"), Txn{.app_id = "loader", .version = 7, .last_updated_ms = 3}},
                            TableVersion(3));
  ASSERT_TRUE(txn.ok()) << txn.status().ToString();

  auto snapshot = writer.Load();
  ASSERT_TRUE(snapshot.ok()) << snapshot.status().ToString();
  EXPECT_EQ(snapshot->version(), TableVersion(4));
  EXPECT_EQ(snapshot->protocol(), (Protocol{1, 2, {}, {}}));
  EXPECT_EQ(snapshot->metadata().partition_columns, std::vector<std::string>{"p"});
  EXPECT_EQ(snapshot->metadata().configuration.at("delta.appendOnly"), "false");
  EXPECT_EQ(snapshot->metadata().id.size(), 36u);
  auto fields = ToLagoaFields(snapshot->columns());
  ASSERT_TRUE(fields.ok()) << fields.status().ToString();
  EXPECT_EQ(*fields, kFields);
  EXPECT_EQ(Paths(*snapshot),
            (std::vector<std::string>{"p=a/f1.parquet", "p=a/f2.parquet", "p=a/f3.parquet", "p=b/g.parquet"}));
  EXPECT_EQ(snapshot->files()[3].partition_values.at("p"), "b");
  EXPECT_EQ(snapshot->app_version("loader"), 7);

  auto log = store_->Get("t/_delta_log/00000000000000000001.json");
  ASSERT_TRUE(log.ok());
  EXPECT_TRUE(log->starts_with(R"({"commitInfo":{"timestamp":)")) << *log;
  EXPECT_NE(log->find(R"("engineInfo":"lagoa/0.1.0")"), std::string::npos);
}

TEST_F(DeltaTableWriterTest, RemoveAndAddInOneCommitReplacesTheFile) {
  Writer writer(store_.get(), scratch());
  ASSERT_TRUE(writer->CreateTable(kFields, {}, {}).ok());
  ASSERT_TRUE(writer->Commit({Add("a.parquet"), Add("b.parquet")}, TableVersion(0)).ok());
  auto rewrite = writer->Commit({Remove("a.parquet"), Add("a2.parquet")}, TableVersion(1), {.operation = "UPDATE"});
  ASSERT_TRUE(rewrite.ok()) << rewrite.status().ToString();
  auto snapshot = writer.Load();
  ASSERT_TRUE(snapshot.ok()) << snapshot.status().ToString();
  EXPECT_EQ(Paths(*snapshot), (std::vector<std::string>{"a2.parquet", "b.parquet"}));
  auto before = writer.Load(TableVersion(1));
  ASSERT_TRUE(before.ok());
  EXPECT_EQ(Paths(*before), (std::vector<std::string>{"a.parquet", "b.parquet"}));

  EXPECT_EQ(writer->Commit({}, TableVersion(2)).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(writer->Commit({Add("../x.parquet")}, TableVersion(2)).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(writer->Commit({Protocol{3, 7, {"deletionVectors"}, {"deletionVectors"}}}, TableVersion(2)).status().code(),
            StatusCode::kFailedPrecondition);
}

TEST_F(DeltaTableWriterTest, ConcurrentAppendsBothCommitAtConsecutiveVersions) {
  Writer a(store_.get(), scratch());
  Writer b(store_.get(), scratch());
  ASSERT_TRUE(a->CreateTable(kFields, {}, {}).ok());
  auto first = a->Commit({Add("a.parquet")}, TableVersion(0));
  auto second = b->Commit({Add("b.parquet")}, TableVersion(0));  // read the same version as a
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(first->version, TableVersion(1));
  EXPECT_EQ(second->version, TableVersion(2));
  EXPECT_EQ(second->attempts, 2);
  auto snapshot = b.Load();
  ASSERT_TRUE(snapshot.ok());
  EXPECT_EQ(Paths(*snapshot), (std::vector<std::string>{"a.parquet", "b.parquet"}));
}

TEST_F(DeltaTableWriterTest, ConflictingCommitsFailNamingVersionAndReason) {
  Writer a(store_.get(), scratch());
  Writer b(store_.get(), scratch());
  ASSERT_TRUE(a->CreateTable(kFields, {}, {}).ok());
  ASSERT_TRUE(a->Commit({Add("x.parquet"), Add("y.parquet")}, TableVersion(0)).ok());

  // Both remove x.parquet having read version 1: the second loses.
  ASSERT_TRUE(a->Commit({Remove("x.parquet")}, TableVersion(1), {.operation = "DELETE"}).ok());
  auto lost = b->Commit({Remove("x.parquet"), Add("x2.parquet")}, TableVersion(1), {.operation = "UPDATE"});
  EXPECT_EQ(lost.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(lost.status().message().find("version 2"), std::string::npos) << lost.status().ToString();
  EXPECT_NE(lost.status().message().find("also removed the file `x.parquet`"), std::string::npos);

  // Removing a different file while another writer appends is fine (WriteSerializable) ...
  ASSERT_TRUE(a->Commit({Add("z.parquet")}, TableVersion(2)).ok());
  auto other = b->Commit({Remove("y.parquet")}, TableVersion(2));
  ASSERT_TRUE(other.ok()) << other.status().ToString();
  EXPECT_EQ(other->version, TableVersion(4));
  // ... but not under serializable isolation.
  ASSERT_TRUE(a->Commit({Add("w.parquet")}, TableVersion(4)).ok());
  EXPECT_EQ(b->Commit({Remove("z.parquet")}, TableVersion(4), {.conflict_on_concurrent_adds = true}).status().code(),
            StatusCode::kFailedPrecondition);

  // Two loaders claiming the next version of the same application: the second fails.
  ASSERT_TRUE(a->Commit({Add("l1.parquet"), Txn{.app_id = "loader", .version = 1, .last_updated_ms = std::nullopt}},
                        TableVersion(5))
                  .ok());
  auto txn = b->Commit({Add("l2.parquet"), Txn{.app_id = "loader", .version = 1, .last_updated_ms = std::nullopt}},
                       TableVersion(5));
  EXPECT_EQ(txn.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(txn.status().message().find("application `loader`"), std::string::npos) << txn.status().ToString();
  // Another application's txn does not conflict.
  EXPECT_TRUE(b->Commit({Add("m.parquet"), Txn{.app_id = "other", .version = 1, .last_updated_ms = std::nullopt}},
                        TableVersion(5))
                  .ok());

  // A concurrent metadata change conflicts with everything.
  Metadata changed = a.Load()->metadata();
  changed.configuration["k"] = "v";
  ASSERT_TRUE(a->Commit({changed}, TableVersion(7)).ok());
  auto after_metadata = b->Commit({Add("n.parquet")}, TableVersion(7));
  EXPECT_EQ(after_metadata.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(after_metadata.status().message().find("protocol or metadata"), std::string::npos);

  auto snapshot = a.Load();
  ASSERT_TRUE(snapshot.ok()) << snapshot.status().ToString();
  EXPECT_EQ(snapshot->version(), TableVersion(8));
  EXPECT_EQ(Paths(*snapshot), (std::vector<std::string>{"l1.parquet", "m.parquet", "w.parquet", "z.parquet"}));
  EXPECT_EQ(snapshot->app_version("loader"), 1);
  EXPECT_EQ(snapshot->app_version("other"), 1);
}

TEST_F(DeltaTableWriterTest, TwoThreadsCommitFiftyAppendsEachWithoutLosingAVersion) {
  constexpr int64_t kCommitsPerThread = 50;
  {
    Writer creator(store_.get(), scratch());
    ASSERT_TRUE(creator->CreateTable(kFields, {}, {}).ok());
  }
  std::atomic<int> attempts{0};
  auto run = [&](const std::string& name, std::vector<int64_t>* versions, Status* error) {
    Writer writer(store_.get(), scratch());
    TableVersion read_version(0);
    for (int i = 0; i < kCommitsPerThread; ++i) {
      auto committed = writer->Commit({Add(fmt::format("{}-{:02}.parquet", name, i))}, read_version);
      if (!committed.ok()) {
        *error = committed.status();
        return;
      }
      if (!committed->checkpoint_status.ok()) *error = committed->checkpoint_status;
      versions->push_back(committed->version.value());
      attempts += committed->attempts;
      read_version = committed->version;  // stale by the other thread's commits: retries catch up
    }
  };
  std::vector<int64_t> versions_a, versions_b;
  Status error_a, error_b;
  std::thread a(run, "a", &versions_a, &error_a);
  std::thread b(run, "b", &versions_b, &error_b);
  a.join();
  b.join();
  ASSERT_TRUE(error_a.ok()) << error_a.ToString();
  ASSERT_TRUE(error_b.ok()) << error_b.ToString();

  std::set<int64_t> all(versions_a.begin(), versions_a.end());
  all.insert(versions_b.begin(), versions_b.end());
  ASSERT_EQ(all.size(), 2u * kCommitsPerThread);  // no version won twice
  EXPECT_EQ(*all.begin(), 1);
  EXPECT_EQ(*all.rbegin(), 2 * kCommitsPerThread);  // no gap
  // Both started from version 0, so at least one lost a version and retried.
  EXPECT_GT(attempts.load(), 2 * kCommitsPerThread);

  Writer reader(store_.get(), scratch());
  auto snapshot = reader.Load();
  ASSERT_TRUE(snapshot.ok()) << snapshot.status().ToString();
  EXPECT_EQ(snapshot->version(), TableVersion(2 * kCommitsPerThread));
  EXPECT_EQ(snapshot->checkpoint_version(), TableVersion(2 * kCommitsPerThread));
  EXPECT_EQ(snapshot->files().size(), 2u * kCommitsPerThread);
  auto commits = store_->List("t/_delta_log/0");
  ASSERT_TRUE(commits.ok());
  size_t json_commits = 0;
  for (const ObjectInfo& object : *commits) json_commits += object.key.ends_with(".json") ? 1 : 0;
  EXPECT_EQ(json_commits, 2u * kCommitsPerThread + 1);
}

// The snapshot at `version` from the JSON commits alone, ignoring checkpoints.
Result<Snapshot> ReplayCommits(ObjectStore& store, TableVersion version) {
  LogReplay replay("t/");
  for (int64_t v = 0; v <= version.value(); ++v) {
    LAGOA_ASSIGN_OR_RETURN(std::string contents,
                           store.Get(fmt::format("t/_delta_log/{}.json", VersionFileStem(TableVersion(v)))));
    LAGOA_ASSIGN_OR_RETURN(std::vector<Action> actions, ParseCommitFile(contents));
    for (Action& action : actions) replay.Apply(std::move(action));
  }
  return std::move(replay).Finish(version);
}

void ExpectSameSnapshot(const Snapshot& a, const Snapshot& b) {
  EXPECT_EQ(a.version(), b.version());
  EXPECT_EQ(a.protocol(), b.protocol());
  EXPECT_EQ(a.metadata().id, b.metadata().id);
  EXPECT_EQ(a.metadata().schema_string, b.metadata().schema_string);
  EXPECT_EQ(a.metadata().partition_columns, b.metadata().partition_columns);
  EXPECT_EQ(a.metadata().configuration, b.metadata().configuration);
  EXPECT_EQ(a.metadata().created_time_ms, b.metadata().created_time_ms);
  EXPECT_EQ(a.metadata().format_provider, b.metadata().format_provider);
  ASSERT_EQ(a.files().size(), b.files().size());
  for (size_t i = 0; i < a.files().size(); ++i) {
    const AddFile& x = a.files()[i];
    const AddFile& y = b.files()[i];
    EXPECT_EQ(x.path, y.path);
    EXPECT_EQ(x.partition_values, y.partition_values);
    EXPECT_EQ(x.size_bytes, y.size_bytes);
    EXPECT_EQ(x.modification_time_ms, y.modification_time_ms);
    EXPECT_EQ(x.data_change, y.data_change);
    EXPECT_EQ(x.stats, y.stats);
  }
  EXPECT_EQ(a.app_versions(), b.app_versions());
}

TEST_F(DeltaTableWriterTest, CheckpointAtVersionTenReadsBackLikeReplay) {
  Writer writer(store_.get(), scratch());
  ASSERT_TRUE(writer->CreateTable(kFields, {"p"}, {{"delta.checkpointInterval", "10"}}).ok());
  for (int v = 1; v <= 12; ++v) {
    std::vector<Action> actions = {
        Add(fmt::format("p=x/{}.parquet", v), v % 3 == 0 ? std::nullopt : std::optional<std::string>("x y"))};
    if (v % 4 == 0) actions.emplace_back(Remove(fmt::format("p=x/{}.parquet", v - 1)));
    if (v % 5 == 0)
      actions.emplace_back(Txn{.app_id = fmt::format("app{}", v % 2), .version = v, .last_updated_ms = v});
    auto committed = writer->Commit(actions, TableVersion(v - 1));
    ASSERT_TRUE(committed.ok()) << committed.status().ToString();
    EXPECT_EQ(committed->checkpoint.has_value(), v == 10);
    ASSERT_TRUE(committed->checkpoint_status.ok()) << committed->checkpoint_status.ToString();
  }
  EXPECT_TRUE(store_->Get(CheckpointKey("t/", TableVersion(10))).ok());
  auto hint = store_->Get("t/_delta_log/_last_checkpoint");
  ASSERT_TRUE(hint.ok());
  EXPECT_EQ(*hint, R"({"version":10,"size":12})");  // protocol, metaData, 8 adds, 2 txns
  // The checkpoint schema other engines expect: maps for partition values, stats as a string.
  auto location = store_->DuckDbLocation(CheckpointKey("t/", TableVersion(10)));
  ASSERT_TRUE(location.ok());
  auto types = writer.duckdb().QueryText(fmt::format(
      "SELECT typeof(\"add\")::VARCHAR, typeof(\"metaData\")::VARCHAR, count(\"add\")::VARCHAR FROM read_parquet({}) "
      "GROUP BY ALL",
      duck::SqlStringLiteral(*location)));
  ASSERT_TRUE(types.ok()) << types.status().ToString();
  ASSERT_EQ(types->size(), 1u);
  EXPECT_NE((*types)[0][0]->find("partitionValues MAP(VARCHAR, VARCHAR)"), std::string::npos) << *(*types)[0][0];
  EXPECT_NE((*types)[0][0]->find("stats VARCHAR"), std::string::npos);
  EXPECT_NE((*types)[0][1]->find("\"configuration\" MAP(VARCHAR, VARCHAR)"), std::string::npos) << *(*types)[0][1];
  EXPECT_EQ((*types)[0][2], "8");

  for (int64_t v : {10, 12}) {
    auto from_checkpoint = writer.Load(TableVersion(v));
    ASSERT_TRUE(from_checkpoint.ok()) << from_checkpoint.status().ToString();
    EXPECT_EQ(from_checkpoint->checkpoint_version(), TableVersion(10));
    auto replayed = ReplayCommits(*store_, TableVersion(v));
    ASSERT_TRUE(replayed.ok()) << replayed.status().ToString();
    ExpectSameSnapshot(*from_checkpoint, *replayed);
  }

  // Writing the same checkpoint again (another writer) is harmless; the hint never moves back.
  ASSERT_TRUE(writer->Checkpoint(TableVersion(10)).ok());
  ASSERT_TRUE(writer->Checkpoint(TableVersion(5)).ok());
  EXPECT_EQ(*store_->Get("t/_delta_log/_last_checkpoint"), R"({"version":10,"size":12})");
  auto listing = store_->List("t/_delta_log/");
  ASSERT_TRUE(listing.ok());
  for (const ObjectInfo& object : *listing) EXPECT_EQ(object.key.find(".lagoa-tmp-"), std::string::npos);
  EXPECT_TRUE(std::filesystem::is_empty(scratch()));
}

}  // namespace
}  // namespace lagoa::lake
