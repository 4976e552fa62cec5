// What no SQL client can do to the server: end it (statements that threw out of lagoa's code), read
// or write files outside the allowed folders, or change settings every other client shares. The
// real engine on a temporary directory, with lake tables (CREATE TABLE) and an import/export folder.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "lake/lake_test_util.h"
#include "sql/sql_engine.h"
#include "sql/sql_test_util.h"

namespace lagoa::sql {
namespace {

using lake::testing_util::TempDir;

class SqlSafetyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(dir_.path() / "tmp");
    SqlEngineOptions options;
    options.lake_dir = dir_.path() / "lake";
    options.temp_dir = dir_.path() / "tmp";
    options.tables_dir = dir_.path() / "tables";
    options.files_dir = files();
    auto engine = SqlEngine::Make(options, nullptr, nullptr, nullptr);
    ASSERT_TRUE(engine.ok()) << engine.status().ToString();
    engine_ = std::move(*engine);
    session_ = Open();
  }

  std::unique_ptr<Session> Open() {
    auto session = engine_->OpenSession();
    EXPECT_TRUE(session.ok()) << session.status().ToString();
    return session.ok() ? std::move(*session) : nullptr;
  }

  std::filesystem::path files() const { return dir_.path() / "files"; }

  Result<std::vector<std::string>> Run(std::string_view sql) { return testing_util::RunStatements(*session_, sql); }
  static std::vector<std::string> Rows(Session& session, std::string_view sql) {
    return testing_util::RowsOrError(session, sql);
  }
  std::vector<std::string> Rows(std::string_view sql) { return Rows(*session_, sql); }

  // The statement fails with `code` and a message holding `words`.
  void ExpectRefused(std::string_view sql, StatusCode code, std::string_view words) {
    auto result = Run(sql);
    ASSERT_FALSE(result.ok()) << sql << " ran";
    EXPECT_EQ(result.status().code(), code) << sql << ": " << result.status().ToString();
    EXPECT_NE(result.status().message().find(words), std::string::npos) << sql << ": " << result.status().ToString();
  }

  TempDir dir_;
  std::unique_ptr<SqlEngine> engine_;
  std::unique_ptr<Session> session_;
};

TEST_F(SqlSafetyTest, TimeTravelToAVersionPastAnyIntegerIsAnError) {
  ASSERT_TRUE(Run("CREATE TABLE t AS SELECT 1 AS a").ok());
  ExpectRefused(R"(SELECT * FROM "t@v99999999999999999999")", StatusCode::kInvalidArgument, "largest");
  ExpectRefused(R"(SELECT * FROM "t@v9223372036854775808")", StatusCode::kInvalidArgument, "largest");
  EXPECT_EQ(Rows(R"(SELECT a FROM "t@v1")"), std::vector<std::string>{"1"});
  // Before the first commit: named, with the earliest commit.
  ExpectRefused(R"(SELECT * FROM "t@2020-01-01T00:00:00Z")", StatusCode::kNotFound,
                "table \"t\": no version at 2020-01-01");
  // A version whose files are gone (as after VACUUM): said so, without DuckDB's internal SQL.
  ASSERT_TRUE(Run("DELETE FROM t").ok());
  for (const auto& entry : std::filesystem::directory_iterator(dir_.path() / "tables" / "t")) {
    if (entry.path().extension() == ".parquet") std::filesystem::remove(entry.path());
  }
  ExpectRefused(R"(SELECT * FROM "t@v1")", StatusCode::kNotFound, "deleted by VACUUM");
  EXPECT_EQ(Rows("SELECT count(*) FROM t"), std::vector<std::string>{"0"});
}

TEST_F(SqlSafetyTest, ResultColumnsCalledCountAreRowsUnlessDuckDbCountedChanges) {
  // DuckDB's own "Count" of changed rows is hidden; a query's column of that name is not.
  EXPECT_EQ(Rows(R"(PREPARE p AS SELECT 'abc' AS "Count"; EXECUTE p)"), std::vector<std::string>{"abc"});
  ASSERT_TRUE(Run("CREATE TEMP TABLE m (x VARCHAR)").ok());
  EXPECT_EQ(Rows(R"(INSERT INTO m VALUES ('y') RETURNING x AS "Count")"), std::vector<std::string>{"y"});
  EXPECT_EQ(Rows("INSERT INTO m VALUES ('z')"), std::vector<std::string>{});
}

TEST_F(SqlSafetyTest, FilesOutsideTheAllowedFoldersCannotBeRead) {
  ExpectRefused("SELECT * FROM read_csv('/etc/passwd')", StatusCode::kPermissionDenied, "/etc/passwd");
  ExpectRefused("SELECT * FROM read_text('/etc/hostname')", StatusCode::kPermissionDenied, "/etc/hostname");
  ExpectRefused(fmt::format("SELECT * FROM read_text('{}/../../etc/passwd')", files().string()),
                StatusCode::kPermissionDenied, "passwd");
  // Nor through lagoa's own writes to lake tables, which read with the client's rights.
  ASSERT_TRUE(Run("CREATE TABLE lines (content VARCHAR)").ok());
  ExpectRefused("COPY lines FROM '/etc/passwd'", StatusCode::kPermissionDenied, "/etc/passwd");
  ExpectRefused("INSERT INTO lines SELECT content FROM read_text('/etc/passwd')", StatusCode::kPermissionDenied,
                "/etc/passwd");
  ExpectRefused("CREATE TABLE copied AS SELECT content FROM read_text('/etc/passwd')", StatusCode::kPermissionDenied,
                "/etc/passwd");
  std::ofstream(files() / "in.csv") << "a,b\n1,x\n";
  EXPECT_EQ(Rows(fmt::format("SELECT a, b FROM read_csv('{}')", (files() / "in.csv").string())),
            std::vector<std::string>{"1|x"});
}

TEST_F(SqlSafetyTest, CopyAndExportWriteOnlyUnderTheFilesFolder) {
  const std::string outside = (dir_.path() / "outside.csv").string();
  // Outside every allowed folder DuckDB refuses; inside the lake's, which DuckDB lets SQL read, lagoa.
  ExpectRefused(fmt::format("COPY (SELECT 1) TO '{}'", outside), StatusCode::kPermissionDenied, "outside.csv");
  EXPECT_FALSE(std::filesystem::exists(outside));
  ExpectRefused("COPY (SELECT 1) TO '/tmp/lagoa-sql-safety.csv'", StatusCode::kPermissionDenied, "Permission Error");
  // The lake's folders are read by SQL, never written by a client: not the table list, not a log.
  ASSERT_TRUE(Run("CREATE TABLE t AS SELECT 1 AS a").ok());
  ExpectRefused(fmt::format("COPY (SELECT 1) TO '{}'", (dir_.path() / "tables" / ".tables.json").string()),
                StatusCode::kPermissionDenied, "outside");
  ExpectRefused(fmt::format("COPY (SELECT 1) TO '{}/../tables/x.json'", files().string()),
                StatusCode::kPermissionDenied, "outside");
  ExpectRefused(fmt::format("EXPORT DATABASE '{}'", (dir_.path() / "tables").string()), StatusCode::kPermissionDenied,
                "outside");
  // A COPY prepared now and executed later is checked when it is prepared.
  ExpectRefused(fmt::format("PREPARE p AS COPY (SELECT 1) TO '{}/x.csv'", (dir_.path() / "tables").string()),
                StatusCode::kPermissionDenied, "outside");
  ASSERT_TRUE(Run(fmt::format("PREPARE q AS COPY (SELECT 5 AS n) TO '{}/q.csv'; EXECUTE q", files().string())).ok());
  EXPECT_TRUE(std::filesystem::exists(files() / "q.csv"));
  ExpectRefused("COPY (SELECT 1) TO STDOUT", StatusCode::kPermissionDenied, "/dev/stdout");
  ExpectRefused(fmt::format("COPY (SELECT 1) TO E'{}/x.csv'", files().string()), StatusCode::kPermissionDenied,
                "string literal");
  // Inside the folder: written, and read back.
  const std::string inside = (files() / "out.csv").string();
  ASSERT_TRUE(Run(fmt::format("COPY (SELECT 42 AS n) TO '{}' (HEADER)", inside)).ok());
  EXPECT_EQ(Rows(fmt::format("SELECT n FROM read_csv('{}')", inside)), std::vector<std::string>{"42"});
  ASSERT_TRUE(Run(fmt::format("EXPORT DATABASE '{}'", (files() / "export").string())).ok());
  EXPECT_TRUE(std::filesystem::exists(files() / "export" / "schema.sql"));
}

// Ways around the checks that a review found, each closed.
TEST_F(SqlSafetyTest, WritesHiddenFromTheChecksAreRefused) {
  const std::string tables = (dir_.path() / "tables").string();
  ASSERT_TRUE(Run("CREATE TABLE lt AS SELECT 1 AS a").ok());
  const std::vector<std::string> hidden = {
      fmt::format("EXPLAIN ANALYZE COPY (SELECT 1) TO '{}/x.csv'", tables),
      "EXPLAIN ANALYZE SET memory_limit = '1MB'",
      fmt::format("COPY lt (a) TO '{}/lt/x.csv'", tables),  // a lake table with a column list
      fmt::format("COPY lt --\rTO '{}/y.csv'\n", tables),   // DuckDB ends a line comment at \r too
      fmt::format("COPY (SELECT 'a' LIKE'\\') TO '{}/z.csv' --') TO '{}/ok.csv'", tables, files().string()),
      fmt::format(
          "COPY (SELECT 1 AS a, 2 AS b) TO '{}/d' (FORMAT csv, PARTITION_BY (a), FILENAME_PATTERN '../../tables/p')",
          files().string()),
      fmt::format("COPY (SELECT 1) TO '{}/x'\n'/../../tables/c.csv'", files().string()),
      "SELECT * FROM query('FROM enable_logging()')",
      "SELECT * FROM query_table('lt')",
  };
  for (const std::string& sql : hidden) ExpectRefused(sql, StatusCode::kPermissionDenied, "");
  for (const char* name : {"x.csv", "y.csv", "z.csv", "p", "c.csv"}) {
    EXPECT_FALSE(std::filesystem::exists(dir_.path() / "tables" / name)) << name;
  }
  // A NUL ends DuckDB's reading of the text but not lagoa's.
  ExpectRefused(std::string("SELECT 1\0; COPY lt TO 'x'", 25), StatusCode::kInvalidArgument, "NUL");
  // What looks like them but is not still runs.
  EXPECT_EQ(Rows("EXPLAIN SELECT 1").size(), 1u);
  EXPECT_EQ(Rows("SELECT 7 AS query"), std::vector<std::string>{"7"});
  EXPECT_EQ(Rows("SELECT 1; SELECT 'a;b' AS s"), std::vector<std::string>{"a;b"});
}

TEST_F(SqlSafetyTest, ExtensionsAttachAndPragmasThatChangeTheDatabaseAreRefused) {
  ExpectRefused(fmt::format("ATTACH '{}' AS x", (files() / "x.db").string()), StatusCode::kPermissionDenied, "ATTACH");
  ExpectRefused("INSTALL httpfs", StatusCode::kPermissionDenied, "INSTALL");
  ExpectRefused("LOAD json", StatusCode::kPermissionDenied, "LOAD");
  ExpectRefused("PRAGMA enable_profiling", StatusCode::kPermissionDenied, "PRAGMA");
  ExpectRefused("CALL enable_logging()", StatusCode::kPermissionDenied, "enable_logging");
  ExpectRefused("SELECT * FROM enable_logging()", StatusCode::kPermissionDenied, "enable_logging");
  // PRAGMAs that only read are DuckDB's SELECTs.
  EXPECT_TRUE(Run("PRAGMA version").ok());
}

TEST_F(SqlSafetyTest, ASessionChangesOnlyItsOwnSettings) {
  for (const char* global : {"SET enable_external_access = false", "SET memory_limit = '1MB'", "SET threads = 5000",
                             "SET GLOBAL TimeZone = 'America/New_York'", "RESET GLOBAL TimeZone", "RESET threads",
                             "PRAGMA threads = 4", "SET max_expression_depth TO 10000000",
                             "SET profiling_output = '/tmp/lagoa-profile.json'", "SET allowed_directories = ['/']"}) {
    ExpectRefused(global, StatusCode::kPermissionDenied, "");
  }
  ASSERT_TRUE(Run("SET TimeZone = 'America/New_York'").ok());
  ASSERT_TRUE(Run("SET SESSION search_path = 'main'").ok());
  ASSERT_TRUE(Run("SET VARIABLE answer = 42").ok());
  EXPECT_EQ(Rows("SELECT getvariable('answer')"), std::vector<std::string>{"42"});
  EXPECT_EQ(Rows("SELECT current_setting('TimeZone')"), std::vector<std::string>{"America/New_York"});
  // Another client sees none of it, and its statements still read files and use memory as before.
  std::unique_ptr<Session> other = Open();
  ASSERT_NE(other, nullptr);
  EXPECT_EQ(Rows(*other, "SELECT current_setting('TimeZone')"), std::vector<std::string>{"UTC"});
  std::ofstream(files() / "in.csv") << "a\n7\n";
  EXPECT_EQ(Rows(*other, fmt::format("SELECT a FROM read_csv('{}')", (files() / "in.csv").string())),
            std::vector<std::string>{"7"});
  // The deep expression a raised max_expression_depth let overflow the stack stays an error.
  std::string deep = "SELECT 1";
  for (int i = 0; i < 9000; ++i) deep += "+1";
  auto too_deep = Run(deep);
  ASSERT_FALSE(too_deep.ok());
  EXPECT_NE(too_deep.status().message().find("max_expression_depth"), std::string::npos) << too_deep.status().message();
}

}  // namespace
}  // namespace lagoa::sql
