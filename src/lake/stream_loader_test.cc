// StreamLoader with real components: a log::Log in a temporary directory, a LocalObjectStore and
// DuckDB. Records are JSON events encoded by schema::JsonRecordEncoder; the table is read back with
// DeltaLogReader + QuerySnapshot.
#include "lake/stream_loader.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "lake/delta_log.h"
#include "lake/lake_test_util.h"
#include "lake/local_object_store.h"
#include "lake/table_scan.h"
#include "log/log.h"
#include "schema/json_encoder.h"
#include "schema/schema.h"

namespace lagoa::lake {
namespace {

using namespace std::chrono_literals;
using testing_util::TempDir;

constexpr std::string_view kPrefix = "lake/events/";

schema::StreamDefinition Definition(const std::vector<std::string_view>& column_lists) {
  schema::StreamDefinition def;
  def.name = "events";
  std::vector<schema::Field> fields;
  for (std::string_view columns : column_lists) {
    auto parsed = schema::ParseColumns(columns);
    EXPECT_TRUE(parsed.ok()) << parsed.status().ToString();
    fields.insert(fields.end(), parsed->begin(), parsed->end());
    def.versions.push_back({SchemaVersion(static_cast<uint32_t>(def.versions.size() + 1)), fields});
  }
  return def;
}

const schema::StreamDefinition kV1 = Definition({"id BIGINT NOT NULL, name VARCHAR"});
const schema::StreamDefinition kV2 = Definition({"id BIGINT NOT NULL, name VARCHAR", "extra INTEGER"});

// A log, a store and helpers to append events and read the table back.
class StreamLoaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    log::LogOptions log_options;
    log_options.dir = dir_.path() / "log";
    log_options.durability = log::Durability::kNone;
    log_options.free_space_min_bytes = 0;
    log_options.free_space_min_percent = 0;
    auto opened = log::Log::Open(log_options);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    log_ = std::move(*opened);
    ASSERT_TRUE(log_->Start().ok());
    auto stream = log_->CreateStream("events", {});
    ASSERT_TRUE(stream.ok()) << stream.status().ToString();
    partition_ = (*stream)->partition(PartitionId(0));
    auto store = LocalObjectStore::Make({.root = dir_.path() / "store", .create_if_missing = true});
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
    auto duckdb = DuckDbConnection::Make(DuckDbOptions::Defaults());
    ASSERT_TRUE(duckdb.ok());
    duckdb_ = std::move(*duckdb);
  }
  void TearDown() override {
    if (log_ != nullptr) log_->Stop();
  }

  // Appends events with ids [first, first + count) in batches of `batch_rows`, encoded with the
  // latest version of `def`; `extra` adds the v2 column.
  void AppendEvents(const schema::StreamDefinition& def, int64_t first, int64_t count, bool extra = false,
                    int64_t batch_rows = 100) {
    schema::JsonRecordEncoder encoder(std::make_shared<schema::StreamDefinition>(def),
                                      schema::UnknownFieldPolicy::kReject);
    for (int64_t start = first; start < first + count; start += batch_rows) {
      log::BatchBuilder batch(def.latest().version);
      for (int64_t id = start; id < std::min(first + count, start + batch_rows); ++id) {
        std::string json = extra ? fmt::format(R"({{"id":{},"name":"n{}","extra":{}}})", id, id, id % 7)
                                 : fmt::format(R"({{"id":{},"name":"n{}"}})", id, id);
        const size_t size = json.size();
        json.append(schema::kJsonPaddingBytes, ' ');
        Bytes record;
        ASSERT_TRUE(encoder.Encode(std::string_view(json.data(), size), record, nullptr).ok());
        batch.Add(1'700'000'000'000'000 + id, record);
      }
      std::promise<Result<log::AppendResult>> done;
      partition_->Append(std::move(batch), [&done](Result<log::AppendResult> r) { done.set_value(std::move(r)); });
      auto result = done.get_future().get();
      ASSERT_TRUE(result.ok()) << result.status().ToString();
    }
  }

  StreamLoaderOptions Options(const schema::StreamDefinition& def, int64_t rows_max = 1000) {
    StreamLoaderOptions options = StreamLoaderOptions::Defaults();
    options.partition = partition_;
    options.partition_id = PartitionId(0);
    options.stream = def;
    options.store = store_.get();
    options.table_prefix = std::string(kPrefix);
    options.scratch_dir = dir_.path();
    options.rows_max = rows_max;
    return options;
  }

  std::unique_ptr<StreamLoader> MakeLoader(const schema::StreamDefinition& def, int64_t rows_max = 1000) {
    auto loader = StreamLoader::Make(Options(def, rows_max));
    EXPECT_TRUE(loader.ok()) << loader.status().ToString();
    return loader.ok() ? std::move(*loader) : nullptr;
  }

  // LoadOnce(0) until nothing is new; returns the steps that wrote files.
  std::vector<LoadStep> LoadAll(StreamLoader& loader) {
    std::vector<LoadStep> steps;
    for (int i = 0; i < 1000; ++i) {
      auto step = loader.LoadOnce(0ms);
      EXPECT_TRUE(step.ok()) << step.status().ToString();
      if (!step.ok() || step->files_written == 0) break;
      steps.push_back(*step);
    }
    return steps;
  }

  Snapshot LoadSnapshot() {
    DeltaLogReader reader(store_.get(), duckdb_.get(), std::string(kPrefix));
    auto snapshot = reader.LoadSnapshot();
    EXPECT_TRUE(snapshot.ok()) << snapshot.status().ToString();
    return std::move(*snapshot);
  }

  // One row of VARCHAR values from a query over the table (bound as `t`).
  std::vector<std::string> QueryRow(const std::string& sql) {
    auto rows = QuerySnapshot(*duckdb_, LoadSnapshot(), *store_, sql);
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    std::vector<std::string> out;
    if (!rows.ok() || rows->size() != 1) return out;
    for (const auto& value : rows->front()) out.push_back(value.value_or("NULL"));
    return out;
  }

  // count, sum(id), distinct offsets, min and max offset.
  std::vector<std::string> Totals() {
    return QueryRow(
        "SELECT count(*)::VARCHAR, sum(id)::VARCHAR, count(DISTINCT _offset)::VARCHAR, min(_offset)::VARCHAR, "
        "max(_offset)::VARCHAR FROM t");
  }

  static std::vector<std::string> ExpectedTotals(int64_t n) {
    return {std::to_string(n), std::to_string(n * (n - 1) / 2), std::to_string(n), "0", std::to_string(n - 1)};
  }

  size_t DataFilesInStore() {
    auto objects = store_->List(kPrefix);
    EXPECT_TRUE(objects.ok());
    size_t n = 0;
    for (const ObjectInfo& o : *objects) n += o.key.ends_with(".zstd.parquet") ? 1 : 0;
    return n;
  }

  TempDir dir_;
  std::unique_ptr<log::Log> log_;
  log::Partition* partition_ = nullptr;
  std::unique_ptr<LocalObjectStore> store_;
  std::unique_ptr<DuckDbConnection> duckdb_;
};

TEST_F(StreamLoaderTest, LoadsEveryRecordExactlyOnceInFilesOfRowsMaxAndTxnIsLastOffset) {
  AppendEvents(kV1, 0, 2500);
  auto loader = MakeLoader(kV1);
  ASSERT_NE(loader, nullptr);
  EXPECT_EQ(loader->app_id(), "lagoa:events:0");
  EXPECT_EQ(loader->CommittedOffset(), Offset(0));
  const std::vector<LoadStep> steps = LoadAll(*loader);
  ASSERT_EQ(steps.size(), 3u);
  EXPECT_EQ(steps[0].first_offset, Offset(0));
  EXPECT_EQ(steps[0].last_offset, Offset(999));
  EXPECT_EQ(steps[0].rows, 1000u);
  EXPECT_EQ(steps[1].first_offset, Offset(1000));
  EXPECT_EQ(steps[2].first_offset, Offset(2000));
  EXPECT_EQ(steps[2].last_offset, Offset(2499));
  EXPECT_EQ(steps[2].rows, 500u);
  EXPECT_EQ(steps[2].version, TableVersion(3));  // 0 created the table
  EXPECT_TRUE(steps[2].file_key.starts_with(kPrefix));

  const Snapshot snapshot = LoadSnapshot();
  EXPECT_EQ(snapshot.app_version("lagoa:events:0"), 2499);
  EXPECT_EQ(snapshot.files().size(), 3u);
  EXPECT_EQ(loader->CommittedOffset(), Offset(2500));
  EXPECT_EQ(Totals(), ExpectedTotals(2500));
  EXPECT_EQ(QueryRow("SELECT count(*)::VARCHAR FROM t WHERE _offset <> id OR _partition <> 0 OR name <> 'n' || id "
                     "OR _event_time <> make_timestamptz(1700000000000000 + id)"),
            std::vector<std::string>{"0"});

  // Nothing new: no commit.
  auto again = loader->LoadOnce(0ms);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->files_written, 0);
  EXPECT_EQ(LoadSnapshot().version(), TableVersion(3));
}

TEST_F(StreamLoaderTest, ResumesFromTheTableAfterTheLoaderIsRemadeWithoutDuplicates) {
  AppendEvents(kV1, 0, 700);
  {
    auto loader = MakeLoader(kV1, 500);
    ASSERT_NE(loader, nullptr);
    EXPECT_EQ(LoadAll(*loader).size(), 2u);
  }
  AppendEvents(kV1, 700, 300);
  auto loader = MakeLoader(kV1, 500);
  ASSERT_NE(loader, nullptr);
  EXPECT_EQ(loader->CommittedOffset(), Offset(700));
  const std::vector<LoadStep> steps = LoadAll(*loader);
  ASSERT_EQ(steps.size(), 1u);
  EXPECT_EQ(steps[0].first_offset, Offset(700));
  EXPECT_EQ(steps[0].last_offset, Offset(999));
  EXPECT_EQ(Totals(), ExpectedTotals(1000));
  EXPECT_EQ(LoadSnapshot().app_version("lagoa:events:0"), 999);
}

TEST_F(StreamLoaderTest, CrashBeforeCommitLeavesAnOrphanThatIsIgnoredAndCleaned) {
  AppendEvents(kV1, 0, 300);
  std::string orphan_key;
  {
    auto loader = MakeLoader(kV1);
    ASSERT_NE(loader, nullptr);
    loader->SetBeforeCommitHookForTesting([&](const std::string& key) {
      orphan_key = key;
      return Status::Internal("simulated crash before the commit");
    });
    auto step = loader->LoadOnce(0ms);
    ASSERT_FALSE(step.ok());
    EXPECT_EQ(step.status().code(), StatusCode::kInternal);
    EXPECT_EQ(loader->CommittedOffset(), Offset(0));
  }
  ASSERT_FALSE(orphan_key.empty());
  EXPECT_TRUE(store_->Get(orphan_key).ok());
  EXPECT_TRUE(LoadSnapshot().files().empty());

  auto loader = MakeLoader(kV1);
  ASSERT_NE(loader, nullptr);
  const std::vector<LoadStep> steps = LoadAll(*loader);
  ASSERT_EQ(steps.size(), 1u);
  EXPECT_EQ(steps[0].first_offset, Offset(0));
  EXPECT_EQ(Totals(), ExpectedTotals(300));
  EXPECT_EQ(DataFilesInStore(), 2u);

  // Too young: a file another loader may still be committing is left alone.
  auto young = loader->CleanOrphans(std::chrono::hours(1));
  ASSERT_TRUE(young.ok()) << young.status().ToString();
  EXPECT_EQ(young->files_deleted, 0);
  auto cleaned = loader->CleanOrphans(0ms);
  ASSERT_TRUE(cleaned.ok()) << cleaned.status().ToString();
  EXPECT_EQ(cleaned->files_deleted, 1);
  EXPECT_GT(cleaned->bytes_deleted, 0u);
  EXPECT_EQ(store_->Get(orphan_key).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(DataFilesInStore(), 1u);
  EXPECT_EQ(Totals(), ExpectedTotals(300));
}

TEST_F(StreamLoaderTest, ConflictWithAnotherLoaderOfTheSameAppIdDiscardsTheFile) {
  AppendEvents(kV1, 0, 400);
  auto loser = MakeLoader(kV1);
  auto winner = MakeLoader(kV1);
  ASSERT_NE(loser, nullptr);
  ASSERT_NE(winner, nullptr);
  loser->SetBeforeCommitHookForTesting([&](const std::string&) {
    auto step = winner->LoadOnce(0ms);  // commits the same records first
    EXPECT_TRUE(step.ok() && step->files_written == 1);
    return Status::Ok();
  });
  auto step = loser->LoadOnce(0ms);
  ASSERT_TRUE(step.ok()) << step.status().ToString();
  EXPECT_EQ(step->conflicts, 1);
  EXPECT_EQ(step->files_written, 0);  // re-resumed: the winner loaded everything
  EXPECT_EQ(loser->CommittedOffset(), Offset(400));
  EXPECT_EQ(DataFilesInStore(), 1u);  // the loser's file was deleted
  EXPECT_EQ(Totals(), ExpectedTotals(400));
}

TEST_F(StreamLoaderTest, SchemaVersionTwoAddsTheColumnAndLoadsAfterVersionOne) {
  AppendEvents(kV1, 0, 200);
  {
    auto loader = MakeLoader(kV1);
    ASSERT_NE(loader, nullptr);
    EXPECT_EQ(LoadAll(*loader).size(), 1u);
  }
  AppendEvents(kV2, 200, 100, /*extra=*/true);
  AppendEvents(kV1, 300, 50);  // old producers still write version 1 records
  auto loader = MakeLoader(kV2);
  ASSERT_NE(loader, nullptr);
  const Snapshot evolved = LoadSnapshot();
  EXPECT_EQ(evolved.version(), TableVersion(2));  // the metaData commit
  ASSERT_EQ(evolved.columns().size(), 7u);
  EXPECT_EQ(evolved.columns()[6].name, "extra");
  EXPECT_EQ(LoadAll(*loader).size(), 1u);
  EXPECT_EQ(Totals(), ExpectedTotals(350));
  EXPECT_EQ(QueryRow("SELECT count(extra)::VARCHAR, sum(extra)::VARCHAR FROM t"),
            (std::vector<std::string>{"100", std::to_string([] {
                                        int64_t sum = 0;
                                        for (int64_t id = 200; id < 300; ++id) sum += id % 7;
                                        return sum;
                                      }())}));
  // Making a loader with the same schema again commits nothing.
  auto same = MakeLoader(kV2);
  ASSERT_NE(same, nullptr);
  EXPECT_EQ(LoadSnapshot().version(), TableVersion(3));
}

TEST_F(StreamLoaderTest, LoaderRefusesToLoadAfterAnotherChangedTheTableSchema) {
  AppendEvents(kV1, 0, 10);
  auto old_loader = MakeLoader(kV1);
  ASSERT_NE(old_loader, nullptr);
  auto new_loader = MakeLoader(kV2);  // adds `extra`
  ASSERT_NE(new_loader, nullptr);
  auto refused = old_loader->LoadOnce(0ms);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition) << refused.status().ToString();
  EXPECT_EQ(LoadAll(*new_loader).size(), 1u);
  EXPECT_EQ(Totals(), ExpectedTotals(10));
}

TEST_F(StreamLoaderTest, RefusesATableWhoseColumnTypeDiffers) {
  auto loader = MakeLoader(kV1);
  ASSERT_NE(loader, nullptr);
  const schema::StreamDefinition other = Definition({"id VARCHAR, name VARCHAR"});
  auto refused = StreamLoader::Make(Options(other));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.status().ToString().find("`id`"), std::string::npos) << refused.status().ToString();
}

TEST_F(StreamLoaderTest, TimeTriggerWaitsForMoreRecordsUntilTheInterval) {
  auto options = Options(kV1);
  options.interval_ms = 300ms;
  auto made = StreamLoader::Make(options);
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  auto& loader = **made;
  // Nothing arrives: returns after max_wait without a commit.
  auto empty = loader.LoadOnce(50ms);
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->files_written, 0);

  AppendEvents(kV1, 0, 10);
  std::thread late([&] {
    std::this_thread::sleep_for(100ms);
    AppendEvents(kV1, 10, 10);
  });
  const auto start = std::chrono::steady_clock::now();
  auto step = loader.LoadOnce(5000ms);
  late.join();
  ASSERT_TRUE(step.ok()) << step.status().ToString();
  EXPECT_EQ(step->rows, 20u);  // the late records joined the file
  EXPECT_GE(std::chrono::steady_clock::now() - start, 250ms);
  EXPECT_EQ(Totals(), ExpectedTotals(20));
}

TEST_F(StreamLoaderTest, BytesMaxCutsFilesByPayloadSize) {
  AppendEvents(kV1, 0, 500, /*extra=*/false, /*batch_rows=*/10);
  auto options = Options(kV1);
  options.bytes_max = 1000;  // about 60 records of ~16 bytes
  auto made = StreamLoader::Make(options);
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  const std::vector<LoadStep> steps = LoadAll(**made);
  EXPECT_GT(steps.size(), 4u);
  for (size_t k = 1; k < steps.size(); ++k) EXPECT_EQ(steps[k].first_offset, steps[k - 1].last_offset + 1);
  EXPECT_EQ(Totals(), ExpectedTotals(500));
}

TEST(StreamLoaderOptions, ValidateNamesTheKey) {
  StreamLoaderOptions options = StreamLoaderOptions::Defaults();
  Status status = options.Validate();
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.ToString().find("partition"), std::string::npos);
}

}  // namespace
}  // namespace lagoa::lake
