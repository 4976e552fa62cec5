// Schemas, views and macros made with SQL outlive the engine: the real engine on a temporary
// directory, closed and opened again on the same objects file.
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

class SqlObjectsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(dir_.path() / "tmp");
    ASSERT_TRUE(Reopen().ok());
  }

  Status Reopen() {
    session_.reset();
    engine_.reset();
    SqlEngineOptions options;
    options.lake_dir = dir_.path() / "lake";
    options.temp_dir = dir_.path() / "tmp";
    options.tables_dir = dir_.path() / "tables";
    options.files_dir = dir_.path() / "files";
    options.objects_path = objects_path();
    auto engine = SqlEngine::Make(options, nullptr, nullptr, nullptr);
    if (!engine.ok()) return engine.status();
    engine_ = std::move(*engine);
    session_ = Open();
    return Status::Ok();
  }

  std::unique_ptr<Session> Open() {
    auto session = engine_->OpenSession();
    EXPECT_TRUE(session.ok()) << session.status().ToString();
    return session.ok() ? std::move(*session) : nullptr;
  }

  std::filesystem::path objects_path() const { return dir_.path() / "sql_objects.json"; }

  static std::vector<std::string> Rows(Session& session, std::string_view sql) {
    return testing_util::RowsOrError(session, sql);
  }
  std::vector<std::string> Rows(std::string_view sql) { return Rows(*session_, sql); }

  using Lines = std::vector<std::string>;
  TempDir dir_;
  std::unique_ptr<SqlEngine> engine_;
  std::unique_ptr<Session> session_;
};

TEST_F(SqlObjectsTest, SchemasViewsAndMacrosAreMadeAgainAfterARestart) {
  ASSERT_EQ(Rows("CREATE TABLE orders AS SELECT * FROM (VALUES (1, 10), (2, 20)) o(id, amount)"), Lines{});
  ASSERT_EQ(Rows("CREATE SCHEMA reports"), Lines{});
  ASSERT_EQ(Rows("CREATE MACRO add_tax(x, rate := 0.5) AS x + x * rate"), Lines{});
  ASSERT_EQ(Rows("CREATE VIEW reports.totals AS SELECT sum(add_tax(amount)) AS total FROM orders"), Lines{});
  ASSERT_EQ(Rows("CREATE MACRO first_n(n) AS TABLE SELECT * FROM range(n)"), Lines{});
  ASSERT_EQ(Rows("CREATE VIEW gone AS SELECT 1; DROP VIEW gone"), Lines{});
  ASSERT_EQ(Rows("CREATE VIEW renamed AS SELECT 2 AS two; ALTER VIEW renamed RENAME TO kept"), Lines{});
  ASSERT_EQ(Rows("CREATE OR REPLACE MACRO add_tax(x, rate := 0.1) AS x + x * rate"), Lines{});
  ASSERT_EQ(Rows("CREATE TEMP VIEW session_only AS SELECT 3"), Lines{});
  // In a transaction: kept when committed, never when rolled back.
  ASSERT_EQ(Rows("BEGIN; CREATE MACRO twice(x) AS 2 * x; COMMIT"), Lines{});
  ASSERT_EQ(Rows("BEGIN; CREATE MACRO never(x) AS x; CREATE VIEW never_view AS SELECT 1; ROLLBACK"), Lines{});
  // Another session's uncommitted macro is not the first session's to record or lose.
  std::unique_ptr<Session> other = Open();
  ASSERT_EQ(Rows(*other, "BEGIN; CREATE MACRO pending(x) AS x + 1"), Lines{});
  ASSERT_EQ(Rows("CREATE VIEW late AS SELECT twice(21) AS v"), Lines{});
  ASSERT_EQ(Rows(*other, "COMMIT"), Lines{});
  other.reset();

  ASSERT_TRUE(Reopen().ok());
  EXPECT_TRUE(engine_->restore_errors().empty()) << engine_->restore_errors().front();
  EXPECT_EQ(Rows("SELECT total FROM reports.totals"), Lines{"33.0"});  // the replaced add_tax, rate 0.1
  EXPECT_EQ(Rows("SELECT add_tax(100, rate := 1)"), Lines{"200"});     // its default parameter kept
  EXPECT_EQ(Rows("SELECT count(*) FROM first_n(4)"), Lines{"4"});
  EXPECT_EQ(Rows("SELECT two FROM kept"), Lines{"2"});
  EXPECT_EQ(Rows("SELECT v FROM late"), Lines{"42"});
  EXPECT_EQ(Rows("SELECT pending(1)"), Lines{"2"});
  for (const char* missing : {"SELECT * FROM gone", "SELECT * FROM renamed", "SELECT * FROM session_only",
                              "SELECT never(1)", "SELECT * FROM never_view"}) {
    EXPECT_NE(Rows(missing).front().find("error"), std::string::npos) << missing;
  }
  // Made again in the order they were first made, and recorded once each.
  std::ifstream file(objects_path());
  const std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  EXPECT_LT(text.find("\"reports\""), text.find("\"totals\"")) << text;
  EXPECT_EQ(text.find("session_only"), std::string::npos) << text;
}

// Cases a review found: an old CREATE of another session, a TEMP macro, a macro made in a schema.
TEST_F(SqlObjectsTest, AMacroKeepsTheDefinitionItHasNowInItsSchema) {
  std::unique_ptr<Session> other = Open();
  ASSERT_EQ(Rows("CREATE MACRO f() AS 1"), Lines{});
  ASSERT_EQ(Rows(*other, "CREATE OR REPLACE MACRO f() AS 2"), Lines{});
  ASSERT_EQ(Rows("CREATE VIEW unrelated AS SELECT 1"), Lines{});  // must not bring back f() AS 1
  ASSERT_EQ(Rows("CREATE MACRO g() AS 1; CREATE TEMP MACRO g() AS 5"), Lines{});
  ASSERT_EQ(Rows("CREATE MACRO IF NOT EXISTS g() AS 9"), Lines{});  // g exists: nothing changes
  ASSERT_EQ(Rows("CREATE SCHEMA s; USE s; CREATE MACRO h() AS 7; USE main"), Lines{});
  other.reset();
  ASSERT_TRUE(Reopen().ok());
  EXPECT_TRUE(engine_->restore_errors().empty()) << engine_->restore_errors().front();
  EXPECT_EQ(Rows("SELECT f(), g(), s.h()"), (Lines{"2|1|7"}));
  EXPECT_NE(Rows("SELECT main.h()").front().find("error"), std::string::npos);
}

TEST_F(SqlObjectsTest, ADefinitionThatCannotBeMadeAgainIsReportedAndKept) {
  ASSERT_EQ(Rows("CREATE TABLE source AS SELECT 1 AS a"), Lines{});
  ASSERT_EQ(Rows("CREATE VIEW over_source AS SELECT a FROM source"), Lines{});
  ASSERT_EQ(Rows("DROP TABLE source"), Lines{});  // DuckDB lets a view outlive its table
  ASSERT_TRUE(Reopen().ok());
  ASSERT_EQ(engine_->restore_errors().size(), 1u);
  EXPECT_NE(engine_->restore_errors()[0].find("over_source"), std::string::npos) << engine_->restore_errors()[0];
  ASSERT_EQ(Rows("CREATE VIEW unrelated AS SELECT 1"), Lines{});  // a refresh keeps the unrestored view
  ASSERT_TRUE(Reopen().ok());
  EXPECT_EQ(engine_->restore_errors().size(), 1u);
  // Made again by hand, it is recorded as made.
  ASSERT_EQ(Rows("CREATE TABLE source AS SELECT 7 AS a; CREATE VIEW over_source AS SELECT a FROM source"), Lines{});
  ASSERT_TRUE(Reopen().ok());
  EXPECT_TRUE(engine_->restore_errors().empty());
  EXPECT_EQ(Rows("SELECT a FROM over_source"), Lines{"7"});
}

TEST_F(SqlObjectsTest, AnUnreadableObjectsFileStopsTheEngineWithWhereAndWhat) {
  session_.reset();
  engine_.reset();
  std::ofstream(objects_path()) << "{\"objects\": [{\"kind\": \"view\"}]}";
  Status opened = Reopen();
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.code(), StatusCode::kCorruption);
  EXPECT_NE(opened.message().find("sql_objects.json"), std::string::npos) << opened.message();
  EXPECT_NE(opened.message().find("object 1"), std::string::npos) << opened.message();
}

}  // namespace
}  // namespace lagoa::sql
