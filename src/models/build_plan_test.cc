// The statements a build runs per materialization and per what the server holds.
#include "models/build_plan.h"

#include <gtest/gtest.h>

namespace lagoa::models {
namespace {

using Statements = std::vector<std::string>;

Model MakeModel(Materialization materialized, IncrementalStrategy strategy = IncrementalStrategy::kAppend,
                std::vector<std::string> unique_key = {}) {
  Model model;
  model.name = "Daily";
  model.path = "models/daily.sql";
  model.config.materialized = materialized;
  model.config.incremental_strategy = strategy;
  model.config.unique_key = std::move(unique_key);
  return model;
}

Statements Plan(const Model& model, ExistingRelation existing, bool full_refresh = false) {
  auto statements = BuildStatements(model, "SELECT 1 AS day -- the end", existing, full_refresh);
  EXPECT_TRUE(statements.ok()) << statements.status().ToString();
  return statements.ok() ? *statements : Statements{};
}

TEST(BuildPlan, ViewsAndTablesReplaceWhatTheModelBuiltBefore) {
  const Model view = MakeModel(Materialization::kView);
  EXPECT_EQ(Plan(view, ExistingRelation::kNone),
            Statements{"CREATE OR REPLACE VIEW \"Daily\" AS\nSELECT 1 AS day -- the end\n"});
  EXPECT_EQ(Plan(view, ExistingRelation::kTable),
            (Statements{"DROP TABLE \"Daily\"", "CREATE OR REPLACE VIEW \"Daily\" AS\nSELECT 1 AS day -- the end\n"}));
  const Model table = MakeModel(Materialization::kTable);
  EXPECT_EQ(Plan(table, ExistingRelation::kTable),
            Statements{"CREATE OR REPLACE TABLE \"Daily\" AS\nSELECT 1 AS day -- the end\n"});
  EXPECT_EQ(Plan(table, ExistingRelation::kView).front(), "DROP VIEW \"Daily\"");
  EXPECT_EQ(Plan(MakeModel(Materialization::kEphemeral), ExistingRelation::kNone), Statements{});
  // A stream or an attached table of that name is never replaced.
  auto other = BuildStatements(table, "SELECT 1", ExistingRelation::kOther, false);
  EXPECT_EQ(other.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(other.status().message().find("models/daily.sql"), std::string::npos) << other.status().ToString();
}

TEST(BuildPlan, IncrementalModelsBuildAsTablesFirstThenAppendOrMerge) {
  const Model append = MakeModel(Materialization::kIncremental);
  EXPECT_FALSE(BuildsIncrementally(append, ExistingRelation::kNone, false));
  EXPECT_TRUE(BuildsIncrementally(append, ExistingRelation::kTable, false));
  EXPECT_FALSE(BuildsIncrementally(append, ExistingRelation::kTable, true));
  EXPECT_FALSE(BuildsIncrementally(MakeModel(Materialization::kTable), ExistingRelation::kTable, false));
  EXPECT_EQ(Plan(append, ExistingRelation::kNone),
            Statements{"CREATE OR REPLACE TABLE \"Daily\" AS\nSELECT 1 AS day -- the end\n"});
  EXPECT_EQ(Plan(append, ExistingRelation::kTable, /*full_refresh=*/true),
            Statements{"CREATE OR REPLACE TABLE \"Daily\" AS\nSELECT 1 AS day -- the end\n"});
  EXPECT_EQ(Plan(append, ExistingRelation::kTable),
            Statements{"INSERT INTO \"Daily\" BY NAME\nSELECT 1 AS day -- the end\n"});
  const Model merge = MakeModel(Materialization::kIncremental, IncrementalStrategy::kMerge, {"day", "shop id"});
  EXPECT_EQ(Plan(merge, ExistingRelation::kTable),
            Statements{"MERGE INTO \"Daily\" USING (\nSELECT 1 AS day -- the end\n) AS __lagoa_new USING (\"day\", "
                       "\"shop id\") WHEN MATCHED THEN UPDATE BY NAME WHEN NOT MATCHED THEN INSERT BY NAME"});
  auto keyless = BuildStatements(MakeModel(Materialization::kIncremental, IncrementalStrategy::kMerge), "SELECT 1",
                                 ExistingRelation::kTable, false);
  EXPECT_EQ(keyless.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(keyless.status().message().find("unique_key"), std::string::npos) << keyless.status().ToString();
  const Model delete_insert =
      MakeModel(Materialization::kIncremental, IncrementalStrategy::kDeleteInsert, {"day", "shop id"});
  EXPECT_EQ(
      Plan(delete_insert, ExistingRelation::kTable),
      Statements{"CREATE OR REPLACE TABLE \"Daily\" AS\nWITH __lagoa_new AS (\nSELECT 1 AS day -- the end\n)\n"
                 "SELECT * FROM \"Daily\" AS __lagoa_old WHERE NOT EXISTS (SELECT 1 FROM __lagoa_new WHERE "
                 "__lagoa_new.\"day\" IS NOT DISTINCT FROM __lagoa_old.\"day\" AND __lagoa_new.\"shop id\" IS NOT "
                 "DISTINCT FROM __lagoa_old.\"shop id\")\nUNION ALL BY NAME\nSELECT * FROM __lagoa_new"});
  auto keyless_delete = BuildStatements(MakeModel(Materialization::kIncremental, IncrementalStrategy::kDeleteInsert),
                                        "SELECT 1", ExistingRelation::kTable, false);
  EXPECT_NE(keyless_delete.status().message().find("delete+insert needs a unique_key"), std::string::npos);
}

}  // namespace
}  // namespace lagoa::models
