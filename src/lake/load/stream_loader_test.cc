// StreamLoader with real components: a log::Log in a temporary directory, a LocalObjectStore and
// DuckDB. Records are JSON events encoded by schema::JsonRecordEncoder; the table is read back with
// DeltaLogReader + QuerySnapshot.
#include "lake/load/stream_loader.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <functional>
#include <future>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "lake/delta/delta_log.h"
#include "lake/delta/table_scan.h"
#include "lake/lake_test_util.h"
#include "lake/load/loaded_records.h"
#include "lake/store/local_object_store.h"
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
const schema::StreamDefinition kDated = Definition({"id BIGINT NOT NULL, ts TIMESTAMPTZ"});

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
    auto duckdb = duck::Connection::Make(duck::DatabaseOptions::Defaults());
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
    for (int64_t start = first; start < first + count; start += batch_rows) {
      AppendBatch(def, start, std::min(first + count, start + batch_rows) - start, [extra](int64_t id) {
        return extra ? fmt::format(R"({{"id":{},"name":"n{}","extra":{}}})", id, id, id % 7)
                     : fmt::format(R"({{"id":{},"name":"n{}"}})", id, id);
      });
    }
  }

  // Appends one batch: the events with ids [first, first + count), `json_of(id)` encoded with the
  // latest version of `def`, each ingested at a time derived from its id.
  void AppendBatch(const schema::StreamDefinition& def, int64_t first, int64_t count,
                   const std::function<std::string(int64_t id)>& json_of) {
    schema::JsonRecordEncoder encoder(std::make_shared<schema::StreamDefinition>(def),
                                      schema::UnknownFieldPolicy::kReject);
    log::BatchBuilder batch(def.latest().version);
    for (int64_t id = first; id < first + count; ++id) {
      std::string json = json_of(id);
      const size_t size = json.size();
      json.append(schema::kJsonPaddingBytes, ' ');
      Bytes record;
      Status encoded = encoder.Encode(std::string_view(json.data(), size), record, nullptr);
      ASSERT_TRUE(encoded.ok()) << encoded.ToString() << " in " << json;
      batch.Add(1'700'000'000'000'000 + id, record);
    }
    std::promise<Result<log::AppendResult>> done;
    partition_->Append(std::move(batch), [&done](Result<log::AppendResult> r) { done.set_value(std::move(r)); });
    auto result = done.get_future().get();
    ASSERT_TRUE(result.ok()) << result.status().ToString();
  }

  // Appends events of kDated with ids [first, first + count): `ts` cycles through four UTC dates
  // (id % 4: 2024-05-01, 2024-05-02, 2024-05-03 written with a +02:00 offset, NULL).
  void AppendDatedEvents(int64_t first, int64_t count);

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
  std::unique_ptr<duck::Connection> duckdb_;
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
  // Full files say more may wait; the file the log's end cut does not (the server's loader then
  // leaves what arrives meanwhile to its next pass).
  EXPECT_TRUE(steps[0].full);
  EXPECT_TRUE(steps[1].full);
  EXPECT_FALSE(steps[2].full);
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

// The loader run backwards (loaded_records.h): what the lake holds of a range encodes to the very
// records the log held, with their offsets, event times and ingest times.
TEST_F(StreamLoaderTest, ReadLoadedRecordsGivesBackTheLoggedRecordsByteForByte) {
  const schema::StreamDefinition typed =
      Definition({"id BIGINT NOT NULL, ts TIMESTAMPTZ, amount DECIMAL(38,10), doc JSON, "
                  "l STRUCT(at TIMESTAMP, d DATE, tags VARCHAR[])[], f DOUBLE"});
  for (int64_t first = 0; first < 300; first += 100) {
    AppendBatch(typed, first, 100, [](int64_t id) {
      if (id % 5 == 4) return fmt::format(R"({{"id":{}}})", id);  // every other column NULL
      return fmt::format(
          R"({{"id":{0},"ts":"2024-03-{1:02d}T10:00:00.{2:06d}-03:00","amount":"-1{0}{0}.{3:010d}",)"
          R"("doc":{{"k":[{0},null,"s{0}"],"e":{{}}}},"l":[{{"at":"0042-01-02T03:04:05.6Z","d":"0001-01-01",)"
          R"("tags":["a{0}",null]}},null,{{"at":null,"d":"9999-12-31","tags":[]}}],"f":{4}}})",
          id, 1 + id % 28, id * 7, id * 13, static_cast<double>(id) / 3);
    });
  }
  auto loader = MakeLoader(typed, 128);
  ASSERT_NE(loader, nullptr);
  ASSERT_EQ(LoadAll(*loader).size(), 3u);

  std::vector<log::ReadRecord> logged;
  std::vector<Bytes> logged_payloads;
  auto reader = partition_->OpenReader(Offset(0));
  ASSERT_TRUE(reader.ok());
  for (;;) {
    auto records = (*reader)->Next(1 << 20);
    ASSERT_TRUE(records.ok());
    if (records->empty()) break;
    for (const log::ReadRecord& r : *records) {
      logged.push_back(r);
      logged_payloads.emplace_back(r.payload.begin(), r.payload.end());
    }
  }
  ASSERT_EQ(logged.size(), 300u);

  std::vector<log::ReadRecord> loaded;
  std::vector<Bytes> loaded_payloads;
  Status read = ReadLoadedRecords(*duckdb_, LoadSnapshot(), *store_, std::make_shared<schema::StreamDefinition>(typed),
                                  PartitionId(0), Offset(10), Offset(290), [&](const log::ReadRecord& r) {
                                    loaded.push_back(r);
                                    loaded_payloads.emplace_back(r.payload.begin(), r.payload.end());
                                    return Status::Ok();
                                  });
  ASSERT_TRUE(read.ok()) << read.ToString();
  ASSERT_EQ(loaded.size(), 280u);
  for (size_t i = 0; i < loaded.size(); ++i) {
    const log::ReadRecord& want = logged[i + 10];
    EXPECT_EQ(loaded[i].offset, want.offset);
    EXPECT_EQ(loaded[i].schema_version, want.schema_version);
    EXPECT_EQ(loaded[i].event_time_us, want.event_time_us);
    EXPECT_EQ(loaded[i].ingest_time_us, want.ingest_time_us);
    EXPECT_EQ(loaded_payloads[i], logged_payloads[i + 10]) << "offset " << want.offset.value();
  }

  // Another partition's offsets are not this one's; an error from `add` stops the read.
  size_t other = 0;
  ASSERT_TRUE(ReadLoadedRecords(*duckdb_, LoadSnapshot(), *store_, std::make_shared<schema::StreamDefinition>(typed),
                                PartitionId(1), Offset(0), Offset(300),
                                [&](const log::ReadRecord&) {
                                  ++other;
                                  return Status::Ok();
                                })
                  .ok());
  EXPECT_EQ(other, 0u);
  Status stopped = ReadLoadedRecords(*duckdb_, LoadSnapshot(), *store_,
                                     std::make_shared<schema::StreamDefinition>(typed), PartitionId(0), Offset(0),
                                     Offset(300), [](const log::ReadRecord&) { return Status::Cancelled("enough"); });
  EXPECT_EQ(stopped.message(), "enough");
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

void StreamLoaderTest::AppendDatedEvents(int64_t first, int64_t count) {
  static constexpr std::array<std::string_view, 4> kTimes = {
      R"("2024-05-01T23:59:59.999999Z")", R"("2024-05-02T00:00:00Z")", R"("2024-05-04T01:00:00+02:00")", "null"};
  AppendBatch(kDated, first, count, [](int64_t id) {
    return fmt::format(R"({{"id":{},"ts":{}}})", id, kTimes[static_cast<size_t>(id % 4)]);
  });
}

TEST_F(StreamLoaderTest, DatePartitionedLoadWritesOneFilePerUtcDateInOneCommit) {
  AppendDatedEvents(0, 40);
  auto options = Options(kDated);
  options.date_partition_source = "ts";
  auto made = StreamLoader::Make(options);
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  auto step = (*made)->LoadOnce(0ms);
  ASSERT_TRUE(step.ok()) << step.status().ToString();
  EXPECT_EQ(step->files_written, 4);
  EXPECT_EQ(step->rows, 40u);
  EXPECT_EQ(step->version, TableVersion(1));  // all four adds and the txn in one commit
  ASSERT_EQ(step->file_keys.size(), 4u);

  const Snapshot snapshot = LoadSnapshot();
  EXPECT_EQ(snapshot.metadata().partition_columns, std::vector<std::string>{"_date"});
  EXPECT_EQ(snapshot.app_version("lagoa:events:0"), 39);
  ASSERT_EQ(snapshot.files().size(), 4u);
  const std::map<std::string, std::optional<std::string>> dates = {{"_date=2024-05-01/", "2024-05-01"},
                                                                   {"_date=2024-05-02/", "2024-05-02"},
                                                                   {"_date=2024-05-03/", "2024-05-03"},
                                                                   {"_date=__HIVE_DEFAULT_PARTITION__/", std::nullopt}};
  std::set<std::string> seen;
  for (const AddFile& file : snapshot.files()) {
    const std::string dir = file.path.substr(0, file.path.find('/') + 1);
    ASSERT_TRUE(dates.contains(dir)) << file.path;
    seen.insert(dir);
    EXPECT_TRUE(file.path.substr(dir.size()).starts_with("part-")) << file.path;
    EXPECT_TRUE(store_->Get(std::string(kPrefix) + file.path).ok()) << file.path;
    EXPECT_EQ(file.partition_values, (PartitionValues{{"_date", dates.at(dir)}})) << file.path;
    // id % 4 == k for the k-th date: ids k, k + 4, ..., k + 36, and so the offsets.
    const int64_t k = std::distance(dates.begin(), dates.find(dir));
    const std::string& stats = file.stats;
    EXPECT_NE(stats.find(R"("numRecords":10,)"), std::string::npos) << stats;
    EXPECT_NE(stats.find(fmt::format(R"("minValues":{{"id":{},)", k)), std::string::npos) << stats;
    EXPECT_NE(stats.find(fmt::format(R"("maxValues":{{"id":{},)", k + 36)), std::string::npos) << stats;
    EXPECT_NE(stats.find(fmt::format(R"("_offset":{},)", k)), std::string::npos) << stats;
    EXPECT_NE(stats.find(fmt::format(R"("_offset":{},)", k + 36)), std::string::npos) << stats;
    EXPECT_EQ(stats.find("_date"), std::string::npos) << stats;
    EXPECT_NE(stats.find(k == 3 ? R"("nullCount":{"id":0,"ts":10,)" : R"("nullCount":{"id":0,"ts":0,)"),
              std::string::npos)
        << stats;
  }
  EXPECT_EQ(seen.size(), 4u);
  // The partition column is in the log, not in the files.
  auto columns = duckdb_->QueryText(
      fmt::format("SELECT string_agg(name, ',' ORDER BY name) FROM parquet_schema({}) WHERE name = '_date'",
                  duck::SqlStringLiteral((dir_.path() / "store" / kPrefix / snapshot.files()[0].path).string())));
  ASSERT_TRUE(columns.ok()) << columns.status().ToString();
  EXPECT_EQ(columns->at(0)[0], std::nullopt);

  EXPECT_EQ(Totals(), ExpectedTotals(40));
  EXPECT_EQ(QueryRow("SELECT string_agg(d, ',' ORDER BY d) FROM (SELECT DISTINCT "
                     "coalesce(_date::VARCHAR, 'NULL') || ':' || (id % 4)::VARCHAR || ':' || "
                     "count(*) OVER (PARTITION BY _date)::VARCHAR AS d FROM t)"),
            std::vector<std::string>{"2024-05-01:0:10,2024-05-02:1:10,2024-05-03:2:10,NULL:3:10"});
  EXPECT_EQ(QueryRow("SELECT count(*)::VARCHAR FROM t WHERE (id % 4 = 0 AND ts = TIMESTAMPTZ "
                     "'2024-05-01 23:59:59.999999+00') OR (id % 4 = 2 AND ts = TIMESTAMPTZ '2024-05-03 23:00:00+00') "
                     "OR (id % 4 = 3 AND ts IS NULL)"),
            std::vector<std::string>{"30"});
}

TEST_F(StreamLoaderTest, DatePartitionedLoadResumesExactlyOnceAfterACrashBeforeTheCommit) {
  AppendDatedEvents(0, 30);
  auto options = Options(kDated, 20);
  options.date_partition_source = "ts";
  std::string orphan_key;
  {
    auto loader = StreamLoader::Make(options);
    ASSERT_TRUE(loader.ok()) << loader.status().ToString();
    EXPECT_EQ(LoadAll(**loader).size(), 2u);  // 20 + 10 rows
    AppendDatedEvents(30, 10);
    (*loader)->SetBeforeCommitHookForTesting([&](const std::string& key) {
      orphan_key = key;
      return Status::Internal("simulated crash before the commit");
    });
    auto step = (*loader)->LoadOnce(0ms);
    ASSERT_FALSE(step.ok());
    EXPECT_EQ((*loader)->CommittedOffset(), Offset(30));
  }
  ASSERT_FALSE(orphan_key.empty());
  EXPECT_TRUE(store_->Get(orphan_key).ok());
  EXPECT_EQ(DataFilesInStore(), 12u);  // 4 + 4 committed, 4 orphans

  auto loader = StreamLoader::Make(options);
  ASSERT_TRUE(loader.ok()) << loader.status().ToString();
  EXPECT_EQ((*loader)->CommittedOffset(), Offset(30));
  const std::vector<LoadStep> steps = LoadAll(**loader);
  ASSERT_EQ(steps.size(), 1u);
  EXPECT_EQ(steps[0].first_offset, Offset(30));
  EXPECT_EQ(steps[0].files_written, 4);
  EXPECT_EQ(Totals(), ExpectedTotals(40));
  auto cleaned = (*loader)->CleanOrphans(0ms);
  ASSERT_TRUE(cleaned.ok()) << cleaned.status().ToString();
  EXPECT_EQ(cleaned->files_deleted, 4);
  EXPECT_EQ(store_->Get(orphan_key).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(LoadSnapshot().files().size(), 12u);
  EXPECT_EQ(Totals(), ExpectedTotals(40));
}

TEST_F(StreamLoaderTest, RefusesATableWhosePartitioningDiffersFromTheOption) {
  AppendDatedEvents(0, 8);
  auto plain = MakeLoader(kDated);  // creates an unpartitioned table
  ASSERT_NE(plain, nullptr);
  auto options = Options(kDated);
  options.date_partition_source = "ts";
  auto refused = StreamLoader::Make(options);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find("is unpartitioned but stream `events` asks for partitioned by _date"),
            std::string::npos)
      << refused.status().ToString();
  EXPECT_TRUE(LoadSnapshot().metadata().partition_columns.empty());  // never changed

  options.table_prefix = "lake/dated/";
  auto dated = StreamLoader::Make(options);
  ASSERT_TRUE(dated.ok()) << dated.status().ToString();
  auto unpartitioned = Options(kDated);
  unpartitioned.table_prefix = "lake/dated/";
  auto refused_plain = StreamLoader::Make(unpartitioned);
  ASSERT_FALSE(refused_plain.ok());
  EXPECT_EQ(refused_plain.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(refused_plain.status().message().find("is partitioned by _date but stream `events` asks for unpartitioned"),
            std::string::npos)
      << refused_plain.status().ToString();
}

TEST_F(StreamLoaderTest, DatePartitionByEventTimeAndBadSourcesAreRefused) {
  AppendDatedEvents(0, 8);  // event times 2023-11-14T22:13:20.0000xxZ
  auto options = Options(kDated);
  options.date_partition_source = "_event_time";
  auto made = StreamLoader::Make(options);
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  auto step = (*made)->LoadOnce(0ms);
  ASSERT_TRUE(step.ok()) << step.status().ToString();
  EXPECT_EQ(step->files_written, 1);
  ASSERT_EQ(LoadSnapshot().files().size(), 1u);
  EXPECT_TRUE(LoadSnapshot().files()[0].path.starts_with("_date=2023-11-14/")) << LoadSnapshot().files()[0].path;

  for (std::string_view bad : {"id", "nope"}) {
    options.date_partition_source = std::string(bad);
    auto refused = StreamLoader::Make(options);
    ASSERT_FALSE(refused.ok()) << bad;
    EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument) << refused.status().ToString();
    EXPECT_NE(refused.status().message().find(fmt::format("date({})", bad)), std::string::npos)
        << refused.status().ToString();
  }
}

TEST(StreamLoaderOptions, ValidateNamesTheKey) {
  StreamLoaderOptions options = StreamLoaderOptions::Defaults();
  Status status = options.Validate();
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.ToString().find("partition"), std::string::npos);
}

}  // namespace
}  // namespace lagoa::lake
