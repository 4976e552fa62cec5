// Helpers for the maintenance tests: a table in a LocalObjectStore under a temp dir, data files
// written by DuckDB and committed with their own (independently computed) stats, row checksums,
// and an ObjectStore wrapper that runs a hook just before a commit is put (to interleave another
// writer between a maintenance call's read and its commit). Test code only; the test's thread.
#pragma once

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <fstream>
#include <functional>
#include <iterator>

#include "lake/delta/delta_log.h"
#include "lake/delta/delta_table_writer.h"
#include "lake/delta/table_scan.h"
#include "lake/lake_test_util.h"
#include "lake/store/local_object_store.h"

namespace lagoa::lake::testing_util {

// Delegates to another store; `before_commit_put` runs once, before the first PutIfAbsent of a
// commit file after it is set.
class HookedStore final : public ObjectStore {
 public:
  explicit HookedStore(ObjectStore* inner) : inner_(inner) {}
  std::function<void()> before_commit_put;

  Status PutIfAbsent(std::string_view key, std::string_view data) override {
    if (before_commit_put && key.find("_delta_log/") != std::string_view::npos && key.ends_with(".json")) {
      auto hook = std::move(before_commit_put);
      before_commit_put = nullptr;
      hook();
    }
    return inner_->PutIfAbsent(key, data);
  }
  Result<std::string> Get(std::string_view key) override { return inner_->Get(key); }
  Result<bool> Exists(std::string_view key) override { return inner_->Exists(key); }
  Result<std::string> GetRange(std::string_view key, uint64_t offset, uint64_t length) override {
    return inner_->GetRange(key, offset, length);
  }
  Result<std::vector<ObjectInfo>> ListAfter(std::string_view prefix, std::string_view start_after) override {
    return inner_->ListAfter(prefix, start_after);
  }
  Status Delete(std::string_view key) override { return inner_->Delete(key); }
  Result<std::string> DuckDbLocation(std::string_view key) const override { return inner_->DuckDbLocation(key); }

 private:
  ObjectStore* inner_;
};

class MaintenanceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = LocalObjectStore::Make({.root = dir_.path() / "store", .create_if_missing = true});
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
    auto duckdb = duck::Connection::Make(duck::DatabaseOptions::Defaults());
    ASSERT_TRUE(duckdb.ok()) << duckdb.status().ToString();
    duckdb_ = std::move(duckdb).value();
    std::filesystem::create_directories(scratch());
  }

  std::filesystem::path scratch() const { return dir_.path() / "scratch"; }
  DeltaWriterOptions writer_options(std::string prefix = "t/") const {
    return {.table_prefix = std::move(prefix), .checkpoint_interval = 0, .scratch_dir = scratch()};
  }

  void CreateTable(const std::vector<schema::Field>& fields, const std::vector<std::string>& partitions = {},
                   const std::string& prefix = "t/") {
    auto writer = DeltaTableWriter::Make(store_.get(), duckdb_.get(), writer_options(prefix));
    ASSERT_TRUE(writer.ok()) << writer.status().ToString();
    auto created = (*writer)->CreateTable(fields, partitions, {});
    ASSERT_TRUE(created.ok()) << created.status().ToString();
  }

  // Writes the rows of `select_sql` as the data file `path` of the table (PutIfAbsent) and returns
  // its add, with numRecords and the min/max of `_offset` when `offset_column`.
  AddFile WriteFile(const std::string& select_sql, const std::string& path, const std::string& prefix = "t/",
                    bool offset_column = false, PartitionValues partition_values = {}) {
    const std::filesystem::path local = scratch() / "test-file.parquet";
    EXPECT_TRUE(duckdb_
                    ->Execute(fmt::format("COPY ({}) TO {} (FORMAT parquet)", select_sql,
                                          duck::SqlStringLiteral(local.string())))
                    .ok());
    auto counts =
        duckdb_->QueryText(fmt::format("SELECT count(*)::VARCHAR, {} FROM read_parquet({})",
                                       offset_column ? "min(_offset)::VARCHAR, max(_offset)::VARCHAR" : "'', ''",
                                       duck::SqlStringLiteral(local.string())));
    EXPECT_TRUE(counts.ok()) << counts.status().ToString();
    std::ifstream in(local, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::filesystem::remove(local);
    EXPECT_TRUE(store_->PutIfAbsent(prefix + path, bytes).ok());
    const duck::TextRow& row = (*counts)[0];
    std::string stats =
        offset_column
            ? fmt::format(
                  R"({{"numRecords":{},"minValues":{{"_offset":{}}},"maxValues":{{"_offset":{}}},"nullCount":{{}}}})",
                  *row[0], *row[1], *row[2])
            : fmt::format(R"({{"numRecords":{}}})", *row[0]);
    return AddFile{.path = path,
                   .partition_values = std::move(partition_values),
                   .size_bytes = static_cast<int64_t>(bytes.size()),
                   .modification_time_ms = 1,
                   .data_change = true,
                   .stats = std::move(stats),
                   .has_deletion_vector = false};
  }

  TableVersion Append(const std::vector<AddFile>& files, const std::string& prefix = "t/") {
    auto writer = DeltaTableWriter::Make(store_.get(), duckdb_.get(), writer_options(prefix));
    EXPECT_TRUE(writer.ok());
    std::vector<Action> actions(files.begin(), files.end());
    auto committed = (*writer)->Commit(actions, Load(prefix).version());
    EXPECT_TRUE(committed.ok()) << committed.status().ToString();
    return committed.ok() ? committed->version : TableVersion(-1);
  }

  Snapshot Load(const std::string& prefix = "t/", std::optional<TableVersion> version = std::nullopt) {
    auto snapshot = DeltaLogReader(store_.get(), duckdb_.get(), prefix).LoadSnapshot(version);
    EXPECT_TRUE(snapshot.ok()) << snapshot.status().ToString();
    return std::move(snapshot).value();
  }

  // `query` over the table's rows bound to `t` (every column VARCHAR), as one text per row.
  std::vector<std::string> Query(const std::string& query, const std::string& prefix = "t/",
                                 std::optional<TableVersion> version = std::nullopt) {
    auto rows = QuerySnapshot(*duckdb_, Load(prefix, version), *store_, query);
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    std::vector<std::string> out;
    if (!rows.ok()) return out;
    for (const duck::TextRow& row : *rows) {
      std::string line;
      for (const auto& value : row) line += (line.empty() ? "" : "|") + value.value_or("NULL");
      out.push_back(line);
    }
    return out;
  }

  // count(*) and, per column, the sum of the values' hashes: equal for equal multisets of rows.
  std::string Checksum(const std::string& prefix = "t/", std::optional<TableVersion> version = std::nullopt) {
    std::string exprs = "count(*)::VARCHAR";
    const Snapshot snapshot = Load(prefix, version);
    for (const DeltaColumn& column : snapshot.columns()) {
      exprs += fmt::format(", sum(hash({}))::VARCHAR", schema::QuoteIdentifier(column.name));
    }
    auto rows = Query(fmt::format("SELECT {} FROM t", exprs), prefix, version);
    return rows.empty() ? "" : rows[0];
  }

  // The latest commit file's text.
  std::string LatestCommit(const std::string& prefix = "t/") {
    auto commit = store_->Get(fmt::format("{}_delta_log/{}.json", prefix, VersionFileStem(Load(prefix).version())));
    EXPECT_TRUE(commit.ok());
    return commit.ok() ? *commit : "";
  }

  std::vector<std::string> DataKeys(const std::string& prefix = "t/") {
    auto objects = store_->List(prefix);
    EXPECT_TRUE(objects.ok());
    std::vector<std::string> keys;
    for (const ObjectInfo& object : *objects) {
      if (object.key.find("_delta_log/") == std::string::npos) keys.push_back(object.key);
    }
    return keys;
  }

  TempDir dir_;
  std::unique_ptr<LocalObjectStore> store_;
  std::unique_ptr<duck::Connection> duckdb_;
};

}  // namespace lagoa::lake::testing_util
