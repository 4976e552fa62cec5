// TableService on real files: a Delta table Spark wrote (../shared/testdata), attached, described,
// paged, refused writes and detached; a stream's table before anything was loaded; the errors of
// each call as Status codes.
#include "tables/table_service.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <future>

#include "ingest/stream_test_util.h"

namespace lagoa::tables {
namespace {

namespace fs = std::filesystem;

template <typename T>
Result<T> Wait(const std::function<void(Done<T>)>& call) {
  auto promise = std::make_shared<std::promise<Result<T>>>();
  std::future<Result<T>> answer = promise->get_future();
  call([promise](Result<T> r) { promise->set_value(std::move(r)); });
  return answer.get();
}

class TableServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(streams_.ok());
    fs::create_directories(dir_ / "scratch");
    fs::create_directories(dir_ / "files");
    auto attached = lake::AttachedTables::Open(dir_ / "attached_tables.json");
    ASSERT_TRUE(attached.ok());
    attached_ = std::move(attached).value();
    TableServiceOptions options;
    options.lake_dir = dir_ / "lake";
    options.scratch_dir = dir_ / "scratch";
    options.stream_table_writes = &writes_;
    options.attach_dirs = {dir_ / "files"};
    auto service = TableService::Make(registry_, attached_.get(), options);
    ASSERT_TRUE(service.ok()) << service.status().ToString();
    service_ = std::move(service).value();
    service_->Start();
  }

  // A copy of a golden table under the folder tables may be attached from.
  fs::path Golden(const std::string& name) {
    const fs::path target = dir_ / "files" / name;
    fs::copy(fs::path(LAGOA_TESTDATA_DIR) / "delta-golden" / name, target, fs::copy_options::recursive);
    return target;
  }

  Result<TableDescription> Attach(const std::string& name, const fs::path& path) {
    return Wait<TableDescription>([&](Done<TableDescription> done) {
      service_->Attach(lake::AttachedTable{name, path, 0}, std::move(done));
    });
  }
  Result<TableDescription> Describe(const std::string& name) {
    return Wait<TableDescription>([&](Done<TableDescription> done) { service_->Describe(name, std::move(done)); });
  }

  ingest::testing_util::TestStreams streams_{"tables"};
  const fs::path& dir_ = streams_.dir();
  ingest::StreamRegistry* const registry_ = streams_.registry();
  std::mutex writes_;
  std::unique_ptr<lake::AttachedTables> attached_;
  std::unique_ptr<TableService> service_;
};

TEST_F(TableServiceTest, AnAttachedTableIsDescribedPagedRefusedWritesAndDetached) {
  auto attached = Attach("sales", Golden("basic-with-inserts-updates"));
  ASSERT_TRUE(attached.ok()) << attached.status().ToString();
  EXPECT_EQ(attached->table.kind, "attached");
  EXPECT_TRUE(attached->table.read_only);
  ASSERT_TRUE(attached->version.has_value());
  EXPECT_EQ(attached->rows, 100);
  ASSERT_EQ(attached->columns.size(), 2u);
  EXPECT_EQ(attached->columns[0].name, "id");

  auto page = Wait<RowsPage>([&](Done<RowsPage> done) { service_->Rows("sales", {}, 95, 10, std::move(done)); });
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  EXPECT_EQ(page->rows.size(), 5u) << "the last page holds the rows left";
  EXPECT_FALSE(page->next_offset.has_value());
  auto first = Wait<RowsPage>([&](Done<RowsPage> done) { service_->Rows("sales", {}, 0, 10, std::move(done)); });
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->next_offset, 10);

  auto history =
      Wait<TableHistory>([&](Done<TableHistory> done) { service_->History("sales", std::nullopt, std::move(done)); });
  ASSERT_TRUE(history.ok()) << history.status().ToString();
  EXPECT_EQ(history->commits.size(), 2u);

  auto compact =
      Wait<CompactOutcome>([&](Done<CompactOutcome> done) { service_->Compact("sales", {}, std::move(done)); });
  ASSERT_FALSE(compact.ok());
  EXPECT_EQ(compact.status().code(), StatusCode::kFailedPrecondition) << compact.status().ToString();

  auto listed =
      Wait<std::vector<ListedTable>>([&](Done<std::vector<ListedTable>> done) { service_->List(std::move(done)); });
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_TRUE((*listed)[0].description.has_value());

  auto detached = Wait<TableInfo>([&](Done<TableInfo> done) { service_->Detach("sales", std::move(done)); });
  ASSERT_TRUE(detached.ok()) << detached.status().ToString();
  EXPECT_EQ(Describe("sales").status().code(), StatusCode::kNotFound);
}

TEST_F(TableServiceTest, AttachRefusesWhatItMayNotTakeWithTheReason) {
  const fs::path outside = dir_ / "elsewhere";
  fs::copy(fs::path(LAGOA_TESTDATA_DIR) / "delta-golden" / "basic-with-inserts-updates", outside,
           fs::copy_options::recursive);
  auto refused = Attach("t", outside);
  EXPECT_EQ(refused.status().code(), StatusCode::kPermissionDenied) << refused.status().ToString();
  EXPECT_EQ(Attach("t", "files/t").status().code(), StatusCode::kInvalidArgument);
  auto unreadable = Attach("t", Golden("deltalog-invalid-protocol-version"));
  ASSERT_FALSE(unreadable.ok());
  EXPECT_NE(unreadable.status().message().find("99"), std::string::npos) << unreadable.status().ToString();

  streams_.Create("clicks", "k BIGINT");
  EXPECT_EQ(Attach("clicks", Golden("basic-with-inserts-updates")).status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(Wait<TableInfo>([&](Done<TableInfo> done) { service_->Detach("clicks", std::move(done)); }).status().code(),
            StatusCode::kFailedPrecondition);
}

TEST_F(TableServiceTest, AStreamTableBeforeItsFirstLoadHasNoVersion) {
  streams_.Create("events", "k BIGINT");
  auto described = Describe("events");
  ASSERT_TRUE(described.ok()) << described.status().ToString();
  EXPECT_EQ(described->table.kind, "stream");
  EXPECT_FALSE(described->version.has_value());
  auto history =
      Wait<TableHistory>([&](Done<TableHistory> done) { service_->History("events", std::nullopt, std::move(done)); });
  ASSERT_FALSE(history.ok());
  EXPECT_EQ(history.status().code(), StatusCode::kNotFound);
  EXPECT_NE(history.status().message().find("has no version yet"), std::string::npos) << history.status().ToString();
  EXPECT_EQ(Describe("events.dlq").status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(service_->RemoveStreamTableAndWait("events").ok());
}

TEST_F(TableServiceTest, AStoppedServiceAnswersUnavailable) {
  service_->Stop();
  EXPECT_EQ(Describe("anything").status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(service_->RemoveStreamTableAndWait("anything").code(), StatusCode::kUnavailable);
}

}  // namespace
}  // namespace lagoa::tables
