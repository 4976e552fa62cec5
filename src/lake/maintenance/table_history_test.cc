// History and time travel by timestamp over commits lagoa wrote and hand-written ones (another
// engine's commitInfo, in-commit timestamps, no commitInfo at all).
#include "lake/maintenance/table_history.h"

#include <gtest/gtest.h>

#include "lake/maintenance/maintenance_test_util.h"
#include "lake/maintenance/table_rewrite.h"

namespace lagoa::lake {
namespace {

using schema::Field;
using schema::Type;
using testing_util::MaintenanceTest;

class TableHistoryTest : public MaintenanceTest {
 protected:
  // Hand-written commit `version` of table "h/".
  void PutCommit(int64_t version, const std::string& lines) {
    ASSERT_TRUE(
        store_->PutIfAbsent(fmt::format("h/_delta_log/{}.json", VersionFileStem(TableVersion(version))), lines).ok());
  }
  static std::string CreateLines(int64_t timestamp_ms) {
    return fmt::format(
        R"({{"commitInfo":{{"timestamp":{},"operation":"CREATE TABLE","isBlindAppend":true}}}})"
        "\n"
        R"({{"protocol":{{"minReaderVersion":1,"minWriterVersion":2}}}})"
        "\n"
        R"({{"metaData":{{"id":"x","format":{{"provider":"parquet","options":{{}}}},"schemaString":"{{\"type\":\"struct\",\"fields\":[{{\"name\":\"id\",\"type\":\"long\",\"nullable\":true,\"metadata\":{{}}}}]}}","partitionColumns":[],"configuration":{{}}}}}})"
        "\n",
        timestamp_ms);
  }
  static std::string AddLine(const std::string& path, int64_t rows) {
    return fmt::format(
        R"({{"add":{{"path":"{}","partitionValues":{{}},"size":10,"modificationTime":1,"dataChange":true,"stats":"{{\"numRecords\":{}}}"}}}})"
        "\n",
        path, rows);
  }
};

TEST_F(TableHistoryTest, ListsLagoaCommitsNewestFirstWithTheirFields) {
  CreateTable({{"_offset", Type::BigInt(), false}, {"user_id", Type::BigInt(), true}});
  Append({WriteFile("SELECT i AS _offset, i AS user_id FROM range(10) r(i)", "a.parquet", "t/", true)});
  Append({WriteFile("SELECT i AS _offset, i AS user_id FROM range(10, 25) r(i)", "b.parquet", "t/", true),
          WriteFile("SELECT i AS _offset, i AS user_id FROM range(25, 30) r(i)", "c.parquet", "t/", true)});
  auto deleted = DeleteWhere(store_.get(), duckdb_.get(), writer_options(), "user_id < 3", scratch());
  ASSERT_TRUE(deleted.ok()) << deleted.status().ToString();

  auto history = ReadHistory(store_.get(), "t/", std::nullopt);
  ASSERT_TRUE(history.ok()) << history.status().ToString();
  ASSERT_EQ(history->size(), 4u);
  const std::vector<std::string> operations = {"DELETE", "WRITE", "WRITE", "CREATE TABLE"};
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ((*history)[i].version, TableVersion(3 - static_cast<int64_t>(i)));
    EXPECT_EQ((*history)[i].operation, operations[i]);
    EXPECT_EQ((*history)[i].engine_info, "lagoa/0.1.0");
    if (i > 0) {
      EXPECT_GE((*history)[i - 1].timestamp_ms, (*history)[i].timestamp_ms);
    }
  }
  const CommitSummary& two_files = (*history)[1];
  EXPECT_EQ(two_files.files_added, 2);
  EXPECT_EQ(two_files.files_removed, 0);
  EXPECT_EQ(two_files.rows_added, 20);
  EXPECT_GT(two_files.bytes_added, 0);
  const CommitSummary& deletion = (*history)[0];
  EXPECT_EQ(deletion.operation_parameters.at("predicate"), "user_id < 3");
  EXPECT_EQ(deletion.files_removed, 1);
  EXPECT_EQ(deletion.files_added, 1);
  EXPECT_EQ(deletion.rows_added, 7);
  EXPECT_GT(deletion.timestamp_ms, 1'700'000'000'000);  // commitInfo.timestamp: now-ish, in ms

  auto limited = ReadHistory(store_.get(), "t/", 2);
  ASSERT_TRUE(limited.ok());
  ASSERT_EQ(limited->size(), 2u);
  EXPECT_EQ((*limited)[0].version, TableVersion(3));
  EXPECT_EQ((*limited)[1].version, TableVersion(2));
  EXPECT_EQ(ReadHistory(store_.get(), "t/", 0).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ReadHistory(store_.get(), "none/", std::nullopt).status().code(), StatusCode::kNotFound);

  // A cleaned-up commit is skipped, not an error.
  ASSERT_TRUE(store_->Delete("t/_delta_log/00000000000000000000.json").ok());
  auto cleaned = ReadHistory(store_.get(), "t/", std::nullopt);
  ASSERT_TRUE(cleaned.ok()) << cleaned.status().ToString();
  ASSERT_EQ(cleaned->size(), 3u);
  EXPECT_EQ(cleaned->back().version, TableVersion(1));
}

TEST_F(TableHistoryTest, TimestampPrefersInCommitTimestampThenCommitInfoThenFileTime) {
  PutCommit(0, CreateLines(1'000));
  PutCommit(
      1,
      R"({"commitInfo":{"timestamp":2500,"inCommitTimestamp":2000,"operation":"WRITE","operationParameters":{"mode":"Append","n":3}}})"
      "\n" +
          AddLine("a.parquet", 4));
  PutCommit(2, AddLine("b%20c.parquet", 6));  // no commitInfo: the file's mtime
  const std::filesystem::path commit2 = dir_.path() / "store/h/_delta_log/00000000000000000002.json";
  std::filesystem::last_write_time(commit2, std::filesystem::file_time_type::clock::now());
  auto listed = store_->List("h/_delta_log/00000000000000000002.json");
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);

  auto history = ReadHistory(store_.get(), "h/", std::nullopt);
  ASSERT_TRUE(history.ok()) << history.status().ToString();
  ASSERT_EQ(history->size(), 3u);
  EXPECT_EQ((*history)[2].timestamp_ms, 1'000);
  EXPECT_EQ((*history)[2].operation, "CREATE TABLE");
  EXPECT_EQ((*history)[2].engine_info, "");
  EXPECT_EQ((*history)[1].timestamp_ms, 2'000);
  EXPECT_EQ((*history)[1].operation_parameters.at("mode"), "Append");
  EXPECT_EQ((*history)[1].operation_parameters.at("n"), "3");  // a non-string value as JSON text
  EXPECT_EQ((*history)[1].rows_added, 4);
  EXPECT_EQ((*history)[0].timestamp_ms, (*listed)[0].modified_ms);
  EXPECT_EQ((*history)[0].operation, "");
  EXPECT_EQ((*history)[0].rows_added, 6);
}

TEST_F(TableHistoryTest, VersionAtTimestampBeforeBetweenAndAfterCommits) {
  PutCommit(0, CreateLines(1'000));
  PutCommit(1, R"({"commitInfo":{"timestamp":2000,"operation":"WRITE"}})"
               "\n" +
                   AddLine("a.parquet", 1));
  PutCommit(2, R"({"commitInfo":{"timestamp":3000,"operation":"WRITE"}})"
               "\n" +
                   AddLine("b.parquet", 1));
  const std::vector<std::pair<int64_t, int64_t>> cases = {{1'000, 0}, {1'500, 0}, {2'000, 1},
                                                          {2'999, 1}, {3'000, 2}, {9'999'999'999'999, 2}};
  for (const auto& [timestamp_ms, version] : cases) {
    auto found = VersionAtTimestamp(store_.get(), "h/", timestamp_ms);
    ASSERT_TRUE(found.ok()) << timestamp_ms << ": " << found.status().ToString();
    EXPECT_EQ(*found, TableVersion(version)) << timestamp_ms;
  }
  auto before = VersionAtTimestamp(store_.get(), "h/", 999);
  EXPECT_EQ(before.status().code(), StatusCode::kNotFound);
  EXPECT_NE(before.status().message().find("earliest commit in its log is version 0 at 1970-01-01T00:00:01"),
            std::string::npos)
      << before.status().ToString();
}

}  // namespace
}  // namespace lagoa::lake
