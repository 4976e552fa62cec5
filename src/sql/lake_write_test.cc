// Writes to lake tables: the recognizer of their statements (pure), and the engine carrying them
// out on real Delta tables in a temporary directory — COPY FROM files DuckDB reads, prepared
// INSERTs with parameters, concurrent writers, and what the Delta log holds afterwards.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include "lake/lake_test_util.h"
#include "sql/lake_write_internal.h"
#include "sql/sql_engine.h"
#include "sql/sql_test_util.h"

namespace lagoa::sql {
namespace {

using internal::LakeWriteKind;
using internal::RecognizeLakeWrite;
using lake::testing_util::TempDir;

bool OnlyT(std::string_view name) { return name == "t"; }

TEST(LakeWriteText, RecognizesWritesToLakeTablesOnly) {
  auto create = RecognizeLakeWrite("create table if not exists \"My T\" (a INT)", OnlyT);
  ASSERT_TRUE(create);
  EXPECT_EQ(create->kind, LakeWriteKind::kCreateTable);
  EXPECT_EQ(create->table, "My T");
  EXPECT_TRUE(create->if_exists);
  EXPECT_EQ(create->rest, "(a INT)");
  auto ctas = RecognizeLakeWrite("CREATE TABLE x AS SELECT 1", OnlyT);
  ASSERT_TRUE(ctas);
  EXPECT_EQ(ctas->kind, LakeWriteKind::kCreateTableAs);
  EXPECT_EQ(ctas->rest, "AS SELECT 1");
  // DuckDB's own: qualified names, TEMP tables; and statements on names that are no lake table.
  EXPECT_FALSE(RecognizeLakeWrite("CREATE TABLE memory.x (a INT)", OnlyT));
  EXPECT_FALSE(RecognizeLakeWrite("CREATE TEMP TABLE x (a INT)", OnlyT));
  EXPECT_FALSE(RecognizeLakeWrite("INSERT INTO u VALUES (1)", OnlyT));
  EXPECT_FALSE(RecognizeLakeWrite("COPY t TO 'f.csv'", OnlyT));
  EXPECT_FALSE(RecognizeLakeWrite("DROP TABLE IF EXISTS u", OnlyT));
  EXPECT_FALSE(RecognizeLakeWrite("SELECT * FROM t", OnlyT));

  auto del = RecognizeLakeWrite("-- c\nDELETE FROM t WHERE a = ';'", OnlyT);
  ASSERT_TRUE(del);
  EXPECT_EQ(del->kind, LakeWriteKind::kDelete);
  EXPECT_EQ(del->rest, "a = ';'");
  auto update = RecognizeLakeWrite("UPDATE t SET a = (SELECT 1 WHERE true), b = 'where' WHERE c > 1", OnlyT);
  ASSERT_TRUE(update);
  EXPECT_EQ(update->kind, LakeWriteKind::kUpdate);
  EXPECT_EQ(update->rest, "a = (SELECT 1 WHERE true), b = 'where'");
  EXPECT_EQ(update->predicate, "c > 1");
  auto add = RecognizeLakeWrite("ALTER TABLE t ADD COLUMN IF NOT EXISTS b VARCHAR", OnlyT);
  ASSERT_TRUE(add);
  EXPECT_EQ(add->kind, LakeWriteKind::kAddColumn);
  EXPECT_TRUE(add->if_exists);
  EXPECT_EQ(add->rest, "b VARCHAR");
  // Comments are not part of the texts (they are embedded in other SQL).
  auto commented = RecognizeLakeWrite("DELETE FROM t WHERE a = 1 -- the first\n/* done */", OnlyT);
  ASSERT_TRUE(commented);
  EXPECT_EQ(commented->kind, LakeWriteKind::kDelete);
  EXPECT_EQ(commented->rest, "a = 1");
  auto drop = RecognizeLakeWrite("DROP TABLE IF EXISTS t -- bye", OnlyT);
  ASSERT_TRUE(drop);
  EXPECT_EQ(drop->kind, LakeWriteKind::kDropTable);
  auto stream = RecognizeLakeWrite("CREATE STREAM s (a BIGINT) WITH (partitions = 2)", OnlyT);
  ASSERT_TRUE(stream);
  EXPECT_EQ(stream->kind, LakeWriteKind::kCreateStream);
  EXPECT_EQ(stream->rest, "(a BIGINT) WITH (partitions = 2)");
  const auto is_stream = [](std::string_view name) { return name == "s"; };
  auto into_stream = RecognizeLakeWrite("INSERT INTO s (a) VALUES (1)", OnlyT, is_stream);
  ASSERT_TRUE(into_stream);
  EXPECT_EQ(into_stream->kind, LakeWriteKind::kInsertStream);
  EXPECT_EQ(into_stream->rest, "(a) VALUES (1)");
  EXPECT_FALSE(RecognizeLakeWrite("INSERT INTO s VALUES (1)", OnlyT));  // no ingest: DuckDB's
  auto replace = RecognizeLakeWrite("create or replace table x as select 1", OnlyT);
  ASSERT_TRUE(replace);
  EXPECT_EQ(replace->kind, LakeWriteKind::kCreateTableAs);
  EXPECT_TRUE(replace->or_replace);
  EXPECT_EQ(replace->rest, "as select 1");
  EXPECT_FALSE(RecognizeLakeWrite("CREATE OR REPLACE TABLE memory.x AS SELECT 1", OnlyT));
  EXPECT_FALSE(RecognizeLakeWrite("CREATE OR REPLACE TEMP TABLE x AS SELECT 1", OnlyT));
  auto merge = RecognizeLakeWrite("MERGE INTO t USING (SELECT 1 AS a) s USING (a) WHEN MATCHED THEN UPDATE", OnlyT);
  ASSERT_TRUE(merge);
  EXPECT_EQ(merge->kind, LakeWriteKind::kMerge);
  EXPECT_EQ(merge->rest, "MERGE INTO t USING (SELECT 1 AS a) s USING (a) WHEN MATCHED THEN UPDATE");
  EXPECT_FALSE(RecognizeLakeWrite("MERGE INTO u USING v USING (a) WHEN MATCHED THEN DELETE", OnlyT));
  auto truncate = RecognizeLakeWrite("TRUNCATE TABLE t", OnlyT);
  ASSERT_TRUE(truncate);
  EXPECT_EQ(truncate->kind, LakeWriteKind::kDelete);
  EXPECT_EQ(truncate->rest, "");

  for (const char* refused :
       {"ALTER TABLE t RENAME TO u", "DELETE FROM t USING u", "UPDATE t SET a = 1 FROM u", "DROP TABLE t CASCADE",
        "CREATE OR REPLACE TABLE IF NOT EXISTS x (a INT)", "CREATE TABLE x"}) {
    auto write = RecognizeLakeWrite(refused, OnlyT);
    ASSERT_TRUE(write) << refused;
    EXPECT_EQ(write->kind, LakeWriteKind::kRefused) << refused;
    EXPECT_FALSE(write->refusal.empty()) << refused;
  }
}

class LakeWriteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(dir_.path() / "lake");
    std::filesystem::create_directories(dir_.path() / "tmp");
    SqlEngineOptions options;
    options.lake_dir = dir_.path() / "lake";
    options.temp_dir = dir_.path() / "tmp";
    options.tables_dir = dir_.path() / "tables";
    options.files_dir = dir_.path() / "files";  // COPY reads and writes files here
    auto engine = SqlEngine::Make(options, nullptr, nullptr, nullptr);
    ASSERT_TRUE(engine.ok()) << engine.status().ToString();
    engine_ = std::move(*engine);
  }

  // Runs every statement of `sql` in a new session; the last one's rows, cells joined by '|'.
  Result<std::vector<std::string>> Run(std::string_view sql, const std::vector<Param>& params = {}) {
    LAGOA_ASSIGN_OR_RETURN(auto session, engine_->OpenSession());
    LAGOA_ASSIGN_OR_RETURN(size_t count, session->Parse(sql));
    std::vector<std::string> rows;
    for (size_t i = 0; i < count; ++i) {
      LAGOA_ASSIGN_OR_RETURN(auto statement, session->PrepareParsed(i));
      LAGOA_ASSIGN_OR_RETURN(auto cursor, statement->Execute(i + 1 == count ? params : std::vector<Param>{}));
      rows.clear();
      if (cursor->changed_rows() >= 0) rows.push_back(fmt::format("changed {}", cursor->changed_rows()));
      while (true) {
        LAGOA_ASSIGN_OR_RETURN(auto chunk, cursor->Next());
        if (chunk == nullptr) break;
        testing_util::AppendRowLines(*chunk, &rows);
      }
    }
    return rows;
  }

  std::vector<std::string> Ok(std::string_view sql, const std::vector<Param>& params = {}) {
    auto rows = Run(sql, params);
    EXPECT_TRUE(rows.ok()) << sql << ": " << rows.status().ToString();
    return rows.ok() ? *rows : std::vector<std::string>{};
  }

  using Rows = std::vector<std::string>;
  TempDir dir_;
  std::unique_ptr<SqlEngine> engine_;
};

TEST_F(LakeWriteTest, CopiesFromCsvJsonAndParquetFiles) {
  const auto csv = dir_.path() / "files" / "in.csv";
  const auto json = dir_.path() / "files" / "in.json";
  std::ofstream(csv) << "id,name\n1,ann\n2,\"b,ob\"\n";
  std::ofstream(json) << "{\"id\": 3, \"name\": \"cid\"}\n{\"id\": 4}\n";
  Ok("CREATE TABLE people (id BIGINT, name VARCHAR)");
  EXPECT_EQ(Ok(fmt::format("COPY people FROM '{}' (HEADER)", csv.string())), Rows{"changed 2"});
  EXPECT_EQ(Ok(fmt::format("COPY people FROM '{}'", json.string())), Rows{"changed 2"});
  const auto parquet = dir_.path() / "files" / "out.parquet";
  Ok(fmt::format("COPY (SELECT * FROM people WHERE id <= 2) TO '{}' (FORMAT parquet)", parquet.string()));
  EXPECT_EQ(Ok(fmt::format("COPY people FROM '{}' (FORMAT parquet)", parquet.string())), Rows{"changed 2"});
  EXPECT_EQ(Ok("SELECT id, name FROM people ORDER BY id, name"),
            (Rows{"1|ann", "1|ann", "2|b,ob", "2|b,ob", "3|cid", "4|NULL"}));
  // A file whose rows do not fit fails the whole COPY, and the table is unchanged.
  const auto bad = dir_.path() / "files" / "bad.csv";
  std::ofstream(bad) << "id,name\n5,ok\nnot-a-number,x\n";
  auto failed = Run(fmt::format("COPY people FROM '{}' (HEADER)", bad.string()));
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.status().message().find("people"), std::string::npos) << failed.status().ToString();
  EXPECT_EQ(Ok("SELECT count(*) FROM people"), Rows{"6"});
  // Five commits after version 0: each write is one.
  EXPECT_TRUE(std::filesystem::exists(dir_.path() / "tables/people/_delta_log/00000000000000000003.json"));
  EXPECT_FALSE(std::filesystem::exists(dir_.path() / "tables/people/_delta_log/00000000000000000004.json"));
}

TEST_F(LakeWriteTest, PreparedInsertRunsManyTimesWithParameters) {
  Ok("CREATE TABLE kv (k INTEGER, v VARCHAR)");
  auto session = engine_->OpenSession();
  ASSERT_TRUE(session.ok());
  auto insert = (*session)->Prepare("INSERT INTO kv VALUES ($1, $2)");
  ASSERT_TRUE(insert.ok()) << insert.status().ToString();
  ASSERT_EQ((*insert)->param_count(), 2u);
  EXPECT_EQ((*insert)->param_type(0).sql, "INTEGER");
  for (int64_t k = 0; k < 3; ++k) {
    auto cursor = (*insert)->Execute(std::vector<Param>{k, fmt::format("v{}", k)});
    ASSERT_TRUE(cursor.ok()) << cursor.status().ToString();
    EXPECT_EQ((*cursor)->changed_rows(), 1);
  }
  auto wrong = (*insert)->Execute(std::vector<Param>{std::string("x"), std::string("y")});
  EXPECT_FALSE(wrong.ok());
  EXPECT_EQ(Ok("SELECT string_agg(v, ',' ORDER BY k) FROM kv"), Rows{"v0,v1,v2"});
}

TEST_F(LakeWriteTest, ConcurrentWritersEachCommitEveryRow) {
  Ok("CREATE TABLE hits (writer INTEGER, n INTEGER)");
  constexpr int kWriters = 4;
  constexpr int kInserts = 5;
  std::vector<std::thread> threads;
  threads.reserve(kWriters);
  std::atomic<int> failures{0};
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      for (int i = 0; i < kInserts; ++i) {
        auto inserted = Run(fmt::format("INSERT INTO hits SELECT {}, range FROM range(10)", w));
        EXPECT_TRUE(inserted.ok()) << inserted.status().ToString();
        if (!inserted.ok()) ++failures;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(Ok("SELECT count(*), count(DISTINCT writer) FROM hits"),
            Rows{fmt::format("{}|{}", kWriters * kInserts * 10, kWriters)});
  // A delete racing the appends keeps every appended row that it did not match.
  std::thread appender([&] { Ok("INSERT INTO hits SELECT 9, range FROM range(100)"); });
  auto deleted = Run("DELETE FROM hits WHERE writer = 0");
  appender.join();
  ASSERT_TRUE(deleted.ok()) << deleted.status().ToString();
  EXPECT_EQ(Ok("SELECT count(*) FILTER (writer = 0), count(*) FILTER (writer = 9) FROM hits"), Rows{"0|100"});
}

// The Delta log's commit files of table `name`, oldest first.
std::vector<std::string> Commits(const std::filesystem::path& tables, const std::string& name) {
  std::vector<std::string> commits;
  for (const auto& entry : std::filesystem::directory_iterator(tables / name / "_delta_log")) {
    if (entry.path().extension() != ".json") continue;
    std::ifstream in(entry.path());
    commits.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  std::sort(commits.begin(), commits.end(), [](const std::string& a, const std::string& b) { return a < b; });
  return commits;
}

TEST_F(LakeWriteTest, CreateOrReplaceTableIsOneCommitAndMayReadTheTableItReplaces) {
  const auto tables = dir_.path() / "tables";
  // Not there yet: CREATE OR REPLACE creates it.
  EXPECT_EQ(Ok("CREATE OR REPLACE TABLE daily AS SELECT range AS id, 'a' AS tag FROM range(10)"), Rows{"changed 10"});
  ASSERT_EQ(Commits(tables, "daily").size(), 2u);
  // Replaced from its own rows, with another schema, as one commit.
  EXPECT_EQ(Ok("create or replace table DAILY as select tag, count(*) AS n, sum(id) AS total FROM daily GROUP BY tag"),
            Rows{"changed 1"});
  EXPECT_EQ(Ok("SELECT tag, n, total FROM daily"), Rows{"a|10|45"});
  std::vector<std::string> commits = Commits(tables, "daily");
  ASSERT_EQ(commits.size(), 3u);
  EXPECT_NE(commits[2].find("CREATE OR REPLACE TABLE AS SELECT"), std::string::npos) << commits[2];
  EXPECT_NE(commits[2].find("\"metaData\""), std::string::npos) << commits[2];
  EXPECT_NE(commits[2].find("\"remove\""), std::string::npos) << commits[2];
  // The previous version is still there for time travel.
  EXPECT_EQ(Ok("SELECT count(*) FROM \"daily@v1\""), Rows{"10"});
  // The catalog's lineage follows the new statement.
  EXPECT_EQ(Ok("SELECT count(*) FROM lagoa_catalog() WHERE name = 'daily' AND definition LIKE '%GROUP BY%'"),
            Rows{"1"});
  // A column list replaces it with an empty table of those columns.
  Ok("CREATE OR REPLACE TABLE daily (d DATE)");
  EXPECT_EQ(Ok("SELECT column_name FROM (DESCRIBE daily) WHERE column_name = 'd'"), Rows{"d"});
  EXPECT_EQ(Ok("SELECT count(*) FROM daily"), Rows{"0"});
  // A query that fails leaves the table as it was.
  Ok("CREATE OR REPLACE TABLE daily AS SELECT 1 AS one");
  auto failed = Run("CREATE OR REPLACE TABLE daily AS SELECT no_such_column FROM daily");
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.status().message().find("no_such_column"), std::string::npos) << failed.status().ToString();
  EXPECT_EQ(Ok("SELECT one FROM daily"), Rows{"1"});
}

TEST_F(LakeWriteTest, MergeUpsertsByKeyRewritingOnlyFilesWithMatches) {
  Ok("CREATE TABLE people (id BIGINT, name VARCHAR, salary DOUBLE)");
  Ok("INSERT INTO people VALUES (1, 'ann', 10), (2, 'bob', 20)");
  Ok("INSERT INTO people VALUES (3, 'cid', 30), (NULL, 'nobody', 0)");
  const auto tables = dir_.path() / "tables";
  const size_t before = Commits(tables, "people").size();
  // Update 1, insert 4; the file of 3 and NULL is untouched.
  EXPECT_EQ(Ok("MERGE INTO people USING (SELECT * FROM (VALUES (1, 'ann', 11.0), (4, 'dee', 40.0)) v(id, name, "
               "salary)) AS upserts USING (id) WHEN MATCHED THEN UPDATE WHEN NOT MATCHED THEN INSERT"),
            Rows{"changed 2"});
  EXPECT_EQ(Ok("SELECT id, name, salary FROM people ORDER BY id NULLS LAST"),
            (Rows{"1|ann|11.0", "2|bob|20.0", "3|cid|30.0", "4|dee|40.0", "NULL|nobody|0.0"}));
  std::vector<std::string> commits = Commits(tables, "people");
  ASSERT_EQ(commits.size(), before + 1);
  const std::string& merge = commits.back();
  size_t removes = 0;
  for (size_t at = merge.find("\"remove\""); at != std::string::npos; at = merge.find("\"remove\"", at + 1)) ++removes;
  EXPECT_EQ(removes, 1u) << merge;  // only the file holding id 1

  // ON, SET, DELETE and conditions: DuckDB's MERGE as written (the whole table is rewritten).
  EXPECT_EQ(Ok("MERGE INTO people p USING (SELECT 2 AS id, 5.0 AS raise UNION ALL SELECT 3, -1) r ON p.id = r.id "
               "WHEN MATCHED AND r.raise < 0 THEN DELETE WHEN MATCHED THEN UPDATE SET salary = p.salary + r.raise"),
            Rows{"changed 2"});
  EXPECT_EQ(Ok("SELECT id, salary FROM people WHERE id IS NOT NULL ORDER BY id"), (Rows{"1|11.0", "2|25.0", "4|40.0"}));
  // Two key columns; a source row with a NULL key matches nothing and is inserted.
  Ok("CREATE TABLE pairs AS SELECT * FROM (VALUES (1, 'x', 1), (1, 'y', 2)) v(a, b, n)");
  EXPECT_EQ(Ok("MERGE INTO pairs USING (SELECT 1 AS a, 'y' AS b, 20 AS n UNION ALL SELECT 1, NULL, 30) s "
               "USING (a, b) WHEN MATCHED THEN UPDATE WHEN NOT MATCHED THEN INSERT"),
            Rows{"changed 2"});
  EXPECT_EQ(Ok("SELECT a, b, n FROM pairs ORDER BY n"), (Rows{"1|x|1", "1|y|20", "1|NULL|30"}));
  // Errors: DuckDB's (a column the source lacks), lagoa's (RETURNING), and the table is unchanged.
  auto missing = Run("MERGE INTO pairs USING (SELECT 1 AS z) s USING (a) WHEN MATCHED THEN DELETE");
  ASSERT_FALSE(missing.ok());
  auto returning = Run("MERGE INTO pairs USING pairs AS s USING (a) WHEN MATCHED THEN DELETE RETURNING *");
  ASSERT_FALSE(returning.ok());
  EXPECT_NE(returning.status().message().find("RETURNING"), std::string::npos) << returning.status().ToString();
  auto unparsed = Run("MERGE INTO pairs WHEN MATCHED THEN DELETE");
  ASSERT_FALSE(unparsed.ok());
  EXPECT_NE(unparsed.status().message().find("expected USING"), std::string::npos) << unparsed.status().ToString();
  EXPECT_EQ(Ok("SELECT count(*) FROM pairs"), Rows{"3"});
}

TEST_F(LakeWriteTest, TablesOutliveTheEngineAndDropRemovesTheirFiles) {
  Ok("CREATE TABLE keep AS SELECT range AS id FROM range(5)");
  Ok("CREATE TABLE gone (x INTEGER)");
  Ok("DROP TABLE gone");
  EXPECT_FALSE(std::filesystem::exists(dir_.path() / "tables/gone"));
  engine_.reset();
  SetUp();
  EXPECT_EQ(Ok("SELECT count(*), sum(id) FROM keep"), Rows{"5|10"});
  auto missing = Run("SELECT * FROM gone");
  EXPECT_FALSE(missing.ok());
}

}  // namespace
}  // namespace lagoa::sql
