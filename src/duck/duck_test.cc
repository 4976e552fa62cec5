#include "duck/allocator.h"
#include "duck/connection.h"
#include "duck/database.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <string>

namespace lagoa::duck {
namespace {

TEST(DuckDbAllocator, KeepsFreedPagesAsLongAsAsked) {
  auto before = FreedPagesKeptMs();
  if (!before.ok() && before.status().code() == StatusCode::kFailedPrecondition) {
    GTEST_SKIP() << before.status().message();
  }
  ASSERT_TRUE(before.ok()) << before.status().ToString();
  ASSERT_NE(*before, 12'345);
  struct Restore {
    int64_t kept_ms;
    ~Restore() { EXPECT_TRUE(SetFreedPagesKeptMs(kept_ms).ok()); }
  } restore{*before};

  ASSERT_TRUE(SetFreedPagesKeptMs(12'345).ok());
  auto now = FreedPagesKeptMs();
  ASSERT_TRUE(now.ok()) << now.status().ToString();
  EXPECT_EQ(*now, 12'345);
  EXPECT_EQ(SetFreedPagesKeptMs(-2).code(), StatusCode::kInvalidArgument);
  // A database opened after it allocates and frees as before.
  auto duckdb = Connection::Make(DatabaseOptions::Defaults());
  ASSERT_TRUE(duckdb.ok()) << duckdb.status().ToString();
  auto rows = (*duckdb)->QueryText("SELECT sum(i)::VARCHAR FROM range(1000000) t(i)");
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ((*rows)[0][0], "499999500000");
}

// A string DuckDB's memory_limit does not see: past the cap its allocation fails, DuckDB fails
// the statement with its "Out of Memory Error", and the database goes on; without the cap a
// string is built.
TEST(DuckDbAllocator, FailsAStatementWhoseAllocationPassesTheCap) {
  Status capped = SetDuckDbMemoryMax(UINT64_MAX);
  if (capped.code() == StatusCode::kFailedPrecondition) GTEST_SKIP() << capped.message();
  ASSERT_TRUE(capped.ok()) << capped.ToString();
  struct Uncap {
    ~Uncap() { EXPECT_TRUE(SetDuckDbMemoryMax(0).ok()); }
  } uncap;
  auto duckdb = Connection::Make(DatabaseOptions::Defaults());
  ASSERT_TRUE(duckdb.ok()) << duckdb.status().ToString();
  // The allocator reuses what it holds (the huge-allocation arena starts with a few hundred MiB),
  // so the refused string is larger than all of it.
  ASSERT_TRUE(SetDuckDbMemoryMax(DuckDbMemoryMappedBytes() + (64u << 20)).ok());
  const Status refused = (*duckdb)->QueryText("SELECT length(repeat('x', 1000000000))::VARCHAR").status();
  EXPECT_NE(refused.message().find("Out of Memory"), std::string::npos) << refused.ToString();
  EXPECT_LT(DuckDbMemoryMappedBytes(), UINT64_MAX);
  auto small = (*duckdb)->QueryText("SELECT sum(i)::VARCHAR FROM range(1000000) t(i)");
  ASSERT_TRUE(small.ok()) << small.status().ToString();
  EXPECT_EQ((*small)[0][0], "499999500000");

  ASSERT_TRUE(SetDuckDbMemoryMax(0).ok());
  auto built = (*duckdb)->QueryText("SELECT length(repeat('x', 200000000))::VARCHAR");
  ASSERT_TRUE(built.ok()) << built.status().ToString();
  EXPECT_EQ((*built)[0][0], "200000000");
}

TEST(DuckDatabase, OpensWithLagoasSettings) {
  auto duckdb = Connection::Make(DatabaseOptions::Defaults());
  ASSERT_TRUE(duckdb.ok()) << duckdb.status().ToString();
  auto rows = (*duckdb)->QueryText(
      "SELECT current_setting('TimeZone'), current_setting('autoload_known_extensions')::VARCHAR, "
      "current_setting('autoinstall_known_extensions')::VARCHAR, current_setting('threads')::VARCHAR");
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ((*rows)[0], (TextRow{"UTC", "false", "false", "1"}));
}

// Reading a Parquet file leaves no copy of its bytes in DuckDB's memory (the kernel caches the file).
TEST(DuckDatabase, KeepsNoCopyOfTheFilesItReads) {
  auto duckdb = Connection::Make(DatabaseOptions::Defaults());
  ASSERT_TRUE(duckdb.ok()) << duckdb.status().ToString();
  const std::filesystem::path file =
      std::filesystem::temp_directory_path() / ("lagoa-duck-cache-" + std::to_string(::getpid()) + ".parquet");
  ASSERT_TRUE((*duckdb)
                  ->Execute(fmt::format("COPY (SELECT range AS id, 'value ' || range AS v FROM range(2000000)) TO '{}'",
                                        file.string()))
                  .ok());
  auto read = (*duckdb)->QueryText(fmt::format("SELECT count(DISTINCT v)::VARCHAR FROM '{}'", file.string()));
  std::filesystem::remove(file);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ((*read)[0][0], "2000000");
  auto cached = (*duckdb)->QueryText(
      "SELECT coalesce(sum(memory_usage_bytes), 0)::VARCHAR FROM duckdb_memory() WHERE tag = 'EXTERNAL_FILE_CACHE'");
  ASSERT_TRUE(cached.ok()) << cached.status().ToString();
  EXPECT_EQ((*cached)[0][0], "0");
}

// DuckDB would spill into `.tmp` in the working directory; lagoa's databases spill only where
// they are told, each in a folder of its own.
TEST(DuckDatabase, SpillsOnlyIntoAFolderOfItsOwnBelowTempDir) {
  auto unset = Connection::Make(DatabaseOptions::Defaults());
  ASSERT_TRUE(unset.ok()) << unset.status().ToString();
  auto none = (*unset)->QueryText("SELECT current_setting('temp_directory')::VARCHAR");
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_EQ((*none)[0][0], "");

  const std::filesystem::path temp_dir =
      std::filesystem::temp_directory_path() / ("lagoa-duck-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(temp_dir);
  DatabaseOptions options;
  options.memory_limit = "64MB";
  options.temp_dir = temp_dir;
  auto first = Connection::Make(options);
  auto second = Connection::Make(options);
  ASSERT_TRUE(first.ok() && second.ok());
  auto a = (*first)->QueryText("SELECT current_setting('temp_directory')::VARCHAR");
  auto b = (*second)->QueryText("SELECT current_setting('temp_directory')::VARCHAR");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(std::filesystem::path(*(*a)[0][0]).parent_path(), temp_dir);
  EXPECT_NE((*a)[0][0], (*b)[0][0]);
  // A sort bigger than memory_limit spills there and succeeds.
  auto sorted = (*first)->QueryText(
      "SELECT count(*)::VARCHAR FROM (SELECT i, md5(i::VARCHAR) AS h FROM range(3000000) r(i) ORDER BY h)");
  ASSERT_TRUE(sorted.ok()) << sorted.status().ToString();
  EXPECT_EQ((*sorted)[0][0], "3000000");
  EXPECT_TRUE(std::filesystem::is_directory(*(*a)[0][0]));
  first->reset();
  second->reset();
  // DuckDB removes the folders it made when the database closes.
  EXPECT_FALSE(std::filesystem::exists(*(*a)[0][0]));
  EXPECT_FALSE(std::filesystem::exists(*(*b)[0][0]));
  std::filesystem::remove_all(temp_dir);
}

TEST(DuckDatabase, RefusesASettingDuckDbRejectsNamingTheDatabase) {
  DatabaseOptions options;
  options.memory_limit = "plenty";
  auto database = OpenDatabase(options, "the test's database");
  ASSERT_FALSE(database.ok());
  EXPECT_EQ(database.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(database.status().message().find("memory_limit = plenty for the test's database"), std::string::npos)
      << database.status().message();
  options.memory_limit = "";
  EXPECT_EQ(OpenDatabase(options, "x").status().code(), StatusCode::kInvalidArgument);
}

TEST(DuckDatabase, ReportsTheMemoryItsBufferManagerHolds) {
  auto database = OpenDatabase(DatabaseOptions::Defaults(), "the test's database");
  ASSERT_TRUE(database.ok()) << database.status().ToString();
  auto connection = Connect(database->get());
  ASSERT_TRUE(connection.ok()) << connection.status().ToString();
  auto empty = MemoryUsedBytes(connection->get());
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  ASSERT_TRUE(Execute(connection->get(), "CREATE TABLE t AS SELECT i, i::VARCHAR AS s FROM range(2000000) r(i)").ok());
  auto full = MemoryUsedBytes(connection->get());
  ASSERT_TRUE(full.ok()) << full.status().ToString();
  EXPECT_GT(*full, *empty + (8u << 20));
}

TEST(DuckConnection, QueryTextWantsVarcharColumnsAndBoundsRows) {
  auto duckdb = Connection::Make(DatabaseOptions::Defaults());
  ASSERT_TRUE(duckdb.ok()) << duckdb.status().ToString();
  auto typed = (*duckdb)->QueryText("SELECT 1 AS n");
  EXPECT_EQ(typed.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(typed.status().message().find("\"n\") is not VARCHAR"), std::string::npos) << typed.status().message();
  auto many = (*duckdb)->QueryText("SELECT i::VARCHAR FROM range(5000) r(i)", 4000);
  EXPECT_EQ(many.status().code(), StatusCode::kResourceExhausted);
  auto nulls = (*duckdb)->QueryText("SELECT NULL::VARCHAR, 'it''s'");
  ASSERT_TRUE(nulls.ok()) << nulls.status().ToString();
  EXPECT_EQ((*nulls)[0], (TextRow{std::nullopt, "it's"}));
  EXPECT_EQ((*duckdb)->Execute("SELEC 1").code(), StatusCode::kInvalidArgument);
}

TEST(DuckHandles, MoveTheHandleAndDestroyItOnce) {
  ValueHandle first(duckdb_create_varchar("kept"));
  ValueHandle second(std::move(first));
  EXPECT_FALSE(first);  // NOLINT(bugprone-use-after-move): moved-from owners hold nothing
  ASSERT_TRUE(second);
  char* text = duckdb_get_varchar(second.get());
  EXPECT_STREQ(text, "kept");
  duckdb_free(text);
  second = ValueHandle(duckdb_create_int64(7));  // the first value is destroyed here (ASan checks)
  EXPECT_EQ(duckdb_get_int64(second.get()), 7);
  LogicalTypeList types;
  types.push_back(LogicalTypeHandle(duckdb_create_logical_type(DUCKDB_TYPE_BIGINT)));
  types.push_back(LogicalTypeHandle(duckdb_create_logical_type(DUCKDB_TYPE_VARCHAR)));
  DataChunkHandle chunk(duckdb_create_data_chunk(types.data(), types.size()));
  EXPECT_EQ(duckdb_data_chunk_get_column_count(chunk.get()), 2u);
}

TEST(DuckSql, QuotesStringLiterals) {
  EXPECT_EQ(SqlStringLiteral("it's"), "'it''s'");
  EXPECT_EQ(SqlStringLiteral(""), "''");
}

}  // namespace
}  // namespace lagoa::duck
