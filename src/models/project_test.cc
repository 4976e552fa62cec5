// Projects written into temporary folders, loaded, ordered, selected and compiled.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "models/compile.h"
#include "models/model_graph.h"
#include "models/project.h"

namespace lagoa::models {
namespace {

class ProjectTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* base = std::getenv("LAGOA_TEST_TMPDIR");
    const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::path(base != nullptr ? base : std::filesystem::temp_directory_path().string()) /
           (std::string("models-") + info->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  void Write(const std::string& relative, const std::string& text) {
    std::filesystem::create_directories((dir_ / relative).parent_path());
    std::ofstream(dir_ / relative) << text;
  }

  // A shop: raw clicks and orders from the server, staging models, marts, an ephemeral model.
  void WriteShop() {
    Write("lagoa_project.yml",
          "name: shop\n"
          "vars:\n"
          "  start_date: '2024-01-01'\n"
          "models:\n"
          "  materialized: view\n"
          "  marts:\n"
          "    materialized: table\n"
          "    tags: [daily]\n"
          "    finance:\n"
          "      tags: finance\n");
    Write("models/staging/stg_orders.sql",
          "SELECT * FROM {{ source('orders') }} WHERE day >= '{{ var('start_date') }}'");
    Write("models/staging/stg_clicks.sql", "SELECT * FROM {{ source('web.clicks') }}");
    Write("models/staging/paid_orders.sql",
          "{{ config(materialized='ephemeral') }}\nSELECT * FROM {{ ref('stg_orders') }} WHERE paid;");
    Write("models/marts/daily_revenue.sql",
          "SELECT day, sum(amount) AS revenue FROM {{ ref('paid_orders') }} GROUP BY day");
    Write("models/marts/finance/revenue_by_click.sql",
          "{{ config(materialized='incremental', unique_key='day', incremental_strategy='merge') }}\n"
          "SELECT r.day, r.revenue / count(*) AS per_click FROM {{ ref('daily_revenue') }} r\n"
          "JOIN {{ ref('stg_clicks') }} c USING (day)\n"
          "{% if is_incremental() %}WHERE r.day > (SELECT max(day) FROM {{ this }}){% endif %}\n"
          "GROUP BY r.day, r.revenue");
  }

  Result<std::string> LoadError() {
    auto project = LoadProject(dir_);
    if (project.ok()) return Status::Internal("the project loaded");
    return project.status().message();
  }

  std::vector<std::string> Names(const Project& project, const std::vector<size_t>& models) {
    std::vector<std::string> names;
    names.reserve(models.size());
    for (size_t i : models) names.push_back(project.models[i].name);
    return names;
  }

  std::filesystem::path dir_;
};

TEST_F(ProjectTest, SettingsComeFromTheProjectItsFoldersAndTheModel) {
  WriteShop();
  auto project = LoadProject(dir_);
  ASSERT_TRUE(project.ok()) << project.status().ToString();
  EXPECT_EQ(project->name, "shop");
  EXPECT_EQ(project->vars.at("start_date"), "2024-01-01");
  std::map<std::string, const Model*> by_name;
  for (const Model& m : project->models) by_name[m.name] = &m;
  ASSERT_EQ(by_name.size(), 5u);
  EXPECT_EQ(by_name["stg_orders"]->config.materialized, Materialization::kView);
  EXPECT_EQ(by_name["stg_orders"]->path, std::filesystem::path("models/staging/stg_orders.sql"));
  EXPECT_EQ(by_name["stg_orders"]->folders, std::vector<std::string>{"staging"});
  EXPECT_EQ(by_name["paid_orders"]->config.materialized, Materialization::kEphemeral);
  EXPECT_EQ(by_name["daily_revenue"]->config.materialized, Materialization::kTable);
  EXPECT_EQ(by_name["daily_revenue"]->config.tags, std::vector<std::string>{"daily"});
  const ModelConfig& finance = by_name["revenue_by_click"]->config;
  EXPECT_EQ(finance.materialized, Materialization::kIncremental);
  EXPECT_EQ(finance.incremental_strategy, IncrementalStrategy::kMerge);
  EXPECT_EQ(finance.unique_key, std::vector<std::string>{"day"});
  EXPECT_EQ(finance.tags, (std::vector<std::string>{"daily", "finance"}));  // tags add up
}

TEST_F(ProjectTest, BuildOrderPutsEveryModelAfterWhatItReads) {
  WriteShop();
  auto project = LoadProject(dir_);
  ASSERT_TRUE(project.ok()) << project.status().ToString();
  auto graph = ModelGraph::Make(*project);
  ASSERT_TRUE(graph.ok()) << graph.status().ToString();
  EXPECT_EQ(Names(*project, graph->order()),
            (std::vector<std::string>{"stg_clicks", "stg_orders", "paid_orders", "daily_revenue", "revenue_by_click"}));
}

TEST_F(ProjectTest, SelectorsPickByNameRelativesTagAndPath) {
  WriteShop();
  auto project = LoadProject(dir_);
  ASSERT_TRUE(project.ok()) << project.status().ToString();
  auto graph = ModelGraph::Make(*project);
  ASSERT_TRUE(graph.ok()) << graph.status().ToString();
  const auto select = [&](std::string_view s, std::string_view exclude = "") {
    auto selected = graph->Select(s, exclude);
    EXPECT_TRUE(selected.ok()) << s << ": " << selected.status().ToString();
    return selected.ok() ? Names(*project, *selected) : std::vector<std::string>{"<error>"};
  };
  using Names = std::vector<std::string>;
  EXPECT_EQ(select(""), Names({"stg_clicks", "stg_orders", "paid_orders", "daily_revenue", "revenue_by_click"}));
  EXPECT_EQ(select("daily_revenue"), Names({"daily_revenue"}));
  EXPECT_EQ(select("+daily_revenue"), Names({"stg_orders", "paid_orders", "daily_revenue"}));
  EXPECT_EQ(select("stg_orders+"), Names({"stg_orders", "paid_orders", "daily_revenue", "revenue_by_click"}));
  EXPECT_EQ(select("tag:finance"), Names({"revenue_by_click"}));
  EXPECT_EQ(select("tag:daily, stg_clicks"), Names({"stg_clicks", "daily_revenue", "revenue_by_click"}));
  EXPECT_EQ(select("path:models/staging/"), Names({"stg_clicks", "stg_orders", "paid_orders"}));
  EXPECT_EQ(select("path:models/marts/daily_revenue.sql"), Names({"daily_revenue"}));
  EXPECT_EQ(select("*", "tag:daily"), Names({"stg_clicks", "stg_orders", "paid_orders"}));
  EXPECT_EQ(select("DAILY_REVENUE"), Names({"daily_revenue"}));  // SQL's names ignore case
  // A model an earlier selector chose still leads to its relatives.
  EXPECT_EQ(select("paid_orders +daily_revenue"), Names({"stg_orders", "paid_orders", "daily_revenue"}));
  EXPECT_EQ(select("daily_revenue stg_orders+"),
            Names({"stg_orders", "paid_orders", "daily_revenue", "revenue_by_click"}));
  EXPECT_EQ(select("tag:finance", "tag:retired"), Names({"revenue_by_click"}));  // an exclusion may match nothing

  auto typo = graph->Select("daily_revenu", "");
  ASSERT_FALSE(typo.ok());
  EXPECT_EQ(typo.status().message(),
            "selector `daily_revenu` matches no enabled model (selectors: a model's name, tag:TAG, path:models/FOLDER "
            "or *, with + before for what it reads and after for what reads it)");
}

TEST_F(ProjectTest, CompiledSqlReadsRelationsEphemeralModelsAndVars) {
  WriteShop();
  auto project = LoadProject(dir_);
  ASSERT_TRUE(project.ok()) << project.status().ToString();
  auto graph = ModelGraph::Make(*project);
  ASSERT_TRUE(graph.ok());
  auto selected = graph->Select("daily_revenue revenue_by_click stg_orders", "");
  ASSERT_TRUE(selected.ok());
  CompileOptions options;
  options.vars = {{"start_date", "2025-01-01"}};
  options.is_incremental = [](const Model& m) { return m.name == "revenue_by_click"; };
  auto compiled = CompileModels(*project, *graph, *selected, options);
  ASSERT_TRUE(compiled.ok()) << compiled.status().ToString();
  ASSERT_EQ(compiled->size(), 3u);
  EXPECT_EQ((*compiled)[0].select, "SELECT * FROM \"orders\" WHERE day >= '2025-01-01'");
  EXPECT_EQ(
      (*compiled)[1].select,
      "WITH \"__lagoa_ephemeral_paid_orders\" AS (\nSELECT * FROM \"stg_orders\" WHERE paid\n)\n"
      "SELECT * FROM (\nSELECT day, sum(amount) AS revenue FROM \"__lagoa_ephemeral_paid_orders\" GROUP BY day\n)");
  EXPECT_EQ((*compiled)[2].select,
            "SELECT r.day, r.revenue / count(*) AS per_click FROM \"daily_revenue\" r\n"
            "JOIN \"stg_clicks\" c USING (day)\nWHERE r.day > (SELECT max(day) FROM \"revenue_by_click\")\n"
            "GROUP BY r.day, r.revenue");
}

TEST_F(ProjectTest, DataTestsFromYamlAndSqlFilesCompileToTheirFailingRows) {
  WriteShop();
  Write("models/marts/schema.yml",
        "models:\n"
        "  - name: daily_revenue\n"
        "    columns:\n"
        "      - name: day\n"
        "        tests: [unique, not_null]\n"
        "      - name: status\n"
        "        tests:\n"
        "          - accepted_values: {values: [paid, \"it's\"], severity: warn}\n"
        "      - name: day\n"
        "        tests:\n"
        "          - relationships: {to: paid_orders, field: day}\n");
  Write(
      "tests/no_future_days.sql",
      "{{ config(severity='warn') }}\nSELECT * FROM {{ ref('daily_revenue') }} WHERE day > '{{ var('start_date') }}'");
  Write("tests/sources_only.sql", "SELECT * FROM {{ source('orders') }} WHERE amount < 0");
  auto project = LoadProject(dir_);
  ASSERT_TRUE(project.ok()) << project.status().ToString();
  std::vector<std::string> names;
  for (const DataTest& test : project->tests) names.push_back(test.name);
  EXPECT_EQ(names, (std::vector<std::string>{"accepted_values_daily_revenue_status", "no_future_days",
                                             "not_null_daily_revenue_day", "relationships_daily_revenue_day",
                                             "sources_only", "unique_daily_revenue_day"}));
  EXPECT_EQ(project->tests[0].severity, Severity::kWarn);
  EXPECT_EQ(project->tests[0].where, "models/marts/schema.yml:8:13");
  EXPECT_EQ(project->tests[1].severity, Severity::kWarn);
  EXPECT_EQ(project->tests[2].severity, Severity::kError);
  auto graph = ModelGraph::Make(*project);
  ASSERT_TRUE(graph.ok()) << graph.status().ToString();
  auto selected = graph->Select("daily_revenue", "");
  ASSERT_TRUE(selected.ok());
  // The tests of daily_revenue; sources_only reads no model, so only a selection of everything has it.
  EXPECT_EQ(graph->TestsOf(*selected, false), (std::vector<size_t>{0, 1, 2, 3, 5}));
  EXPECT_EQ(graph->TestsOf(*selected, true).size(), 6u);
  EXPECT_EQ(Names(*project, graph->test_models(3)), (std::vector<std::string>{"daily_revenue", "paid_orders"}));
  auto compiled = CompileTests(*project, *graph, {0, 1, 2, 3, 5}, CompileOptions{});
  ASSERT_TRUE(compiled.ok()) << compiled.status().ToString();
  EXPECT_EQ((*compiled)[0].select,
            "SELECT \"status\" AS value, count(*) AS n FROM \"daily_revenue\" WHERE \"status\" IS NOT NULL AND "
            "CAST(\"status\" AS VARCHAR) NOT IN ('paid', 'it''s') GROUP BY \"status\"");
  EXPECT_EQ((*compiled)[1].select, "SELECT * FROM \"daily_revenue\" WHERE day > '2024-01-01'");
  EXPECT_EQ((*compiled)[2].select, "SELECT * FROM \"daily_revenue\" WHERE \"day\" IS NULL");
  // The ephemeral model a relationship points to is inlined, as for models.
  EXPECT_EQ((*compiled)[3].select,
            "WITH \"__lagoa_ephemeral_paid_orders\" AS (\nSELECT * FROM \"stg_orders\" WHERE paid\n)\n"
            "SELECT * FROM (\nSELECT child.\"day\" AS value FROM \"daily_revenue\" AS child LEFT JOIN "
            "\"__lagoa_ephemeral_paid_orders\" AS parent ON child.\"day\" = parent.\"day\" WHERE child.\"day\" IS NOT "
            "NULL AND parent.\"day\" IS NULL\n)");
  EXPECT_EQ((*compiled)[4].select,
            "SELECT \"day\" AS value, count(*) AS n FROM \"daily_revenue\" WHERE \"day\" IS NOT NULL GROUP BY \"day\" "
            "HAVING count(*) > 1");
}

TEST_F(ProjectTest, DataTestMistakesNameTheFileAndLine) {
  WriteShop();
  const auto error_of = [&](const std::string& file, const std::string& text) -> std::string {
    Write(file, text);
    auto project = LoadProject(dir_);
    std::filesystem::remove(dir_ / file);
    if (!project.ok()) return project.status().message();
    auto graph = ModelGraph::Make(*project);
    return graph.ok() ? "loaded" : graph.status().message();
  };
  EXPECT_EQ(error_of("models/s.yml",
                     "models:\n  - name: stg_orders\n    columns:\n      - name: id\n        tests: "
                     "[uniq]\n"),
            "models/s.yml:5:17: unknown test `uniq`: expected unique, not_null, accepted_values or relationships");
  EXPECT_EQ(error_of("models/s.yml",
                     "models:\n  - name: stg_orders\n    columns:\n      - name: id\n        tests:\n"
                     "          - accepted_values: {severity: warn}\n"),
            "models/s.yml:6:13: accepted_values: expected `values:`, a list of the values the column may hold");
  EXPECT_EQ(error_of("models/s.yml",
                     "models:\n  - name: stg_orders\n    columns:\n      - name: id\n        tests:\n"
                     "          - not_null: {severity: fatal}\n"),
            "models/s.yml:6:34: severity: expected error or warn, found `fatal`");
  EXPECT_EQ(
      error_of("models/s.yml", "models:\n  - name: nope\n    columns:\n      - name: id\n        tests: [unique]\n"),
      "models/s.yml:5:17: ref('nope'): no model is called `nope` (a stream, table or view is read with "
      "source('nope'))");
  EXPECT_EQ(error_of("tests/t.sql", "{{ config(materialized='table') }}\nSELECT 1"),
            "tests/t.sql:1:11: unknown setting `materialized`: a test takes only severity");
  EXPECT_EQ(error_of("models/s.yml", "models:\n  - name: stg_orders\n    colums: []\n"),
            "models/s.yml:3:5: unknown key `colums`: expected name, columns or description");
  Write("tests/unique_stg_orders_id.sql", "SELECT 1");
  EXPECT_EQ(error_of("models/s.yml",
                     "models:\n  - name: stg_orders\n    columns:\n      - name: id\n        tests: "
                     "[unique]\n"),
            "models/s.yml:5:17 and tests/unique_stg_orders_id.sql both declare test `unique_stg_orders_id`: test "
            "names must differ");
}

TEST_F(ProjectTest, SeedsAreCsvFilesWithDeclaredTypes) {
  WriteShop();
  Write("lagoa_project.yml",
        "name: shop\nvars:\n  start_date: '2024-01-01'\nseeds:\n  codes:\n    column_types: {population: BIGINT}\n");
  Write("seeds/codes.csv", "code,name,population\nbr,\"Brazil, the\",203000000\n\npt,It's,\n");
  Write("seeds/empty.csv", "a,b\n");
  auto project = LoadProject(dir_);
  ASSERT_TRUE(project.ok()) << project.status().ToString();
  ASSERT_EQ(project->seeds.size(), 2u);
  const Seed& codes = project->seeds[0];
  EXPECT_EQ(codes.name, "codes");
  EXPECT_EQ(codes.types, (std::vector<std::string>{"VARCHAR", "VARCHAR", "BIGINT"}));
  EXPECT_EQ(codes.lines, (std::vector<uint64_t>{2, 4}));
  EXPECT_EQ(codes.rows[1][2], std::nullopt);  // an empty cell is NULL
  auto create = SeedCreateSql(codes, 1 << 20);
  ASSERT_TRUE(create.ok());
  EXPECT_EQ(*create,
            "CREATE OR REPLACE TABLE \"codes\" AS SELECT CAST(\"code\" AS VARCHAR) AS \"code\", CAST(\"name\" AS "
            "VARCHAR) AS \"name\", CAST(\"population\" AS BIGINT) AS \"population\" FROM (VALUES (2, 'br', 'Brazil, "
            "the', '203000000'), (4, 'pt', 'It''s', NULL)) AS v(__lagoa_line, \"code\", \"name\", \"population\")");
  EXPECT_EQ(SeedCreateSql(codes, 100).status().code(), StatusCode::kLimitExceeded);
  auto check = SeedCheckSql(codes);
  ASSERT_TRUE(check.has_value());
  EXPECT_NE(check->find("WHEN \"population\" IS NOT NULL AND TRY_CAST(\"population\" AS BIGINT) IS NULL THEN 3"),
            std::string::npos)
      << *check;
  EXPECT_EQ(SeedValueError(codes, 2, 3).message(),
            "seeds/codes.csv:2:3: column population: `203000000` is not a BIGINT (its type in lagoa_project.yml "
            "seeds.codes.column_types)");
  EXPECT_EQ(*SeedCreateSql(project->seeds[1], 1 << 20),
            "CREATE OR REPLACE TABLE \"empty\" (\"a\" VARCHAR, \"b\" VARCHAR)");
  EXPECT_FALSE(SeedCheckSql(project->seeds[1]).has_value());

  const auto error_of = [&](const std::string& file, const std::string& text) -> std::string {
    Write(file, text);
    auto loaded = LoadProject(dir_);
    std::filesystem::remove(dir_ / file);
    return loaded.ok() ? "loaded" : loaded.status().message();
  };
  EXPECT_EQ(error_of("seeds/bad.csv", "a,b\n1,2,3\n"), "seeds/bad.csv:2: 3 cells where the header names 2 columns");
  EXPECT_EQ(error_of("seeds/bad.csv", "a,a\n"), "seeds/bad.csv:1:2: column `a`: expected a name, once per header");
  EXPECT_EQ(error_of("seeds/daily_revenue.csv", "a\n"),
            "seeds/daily_revenue.csv and models/marts/daily_revenue.sql are both named `daily_revenue`: models, seeds "
            "and snapshots are relations of the server, and need names of their own");
  Write("lagoa_project.yml", "name: shop\nseeds:\n  codes:\n    column_types: {pop: BIGINT}\n");
  EXPECT_EQ(LoadError().value(),
            "lagoa_project.yml: seeds.codes.column_types: seeds/codes.csv has no column `pop` (its columns: code, "
            "name, population)");
  Write("lagoa_project.yml", "name: shop\nseeds:\n  codes:\n    column_types: {population: 'INT; DROP'}\n");
  EXPECT_EQ(LoadError().value(),
            "lagoa_project.yml:4:32: seeds.codes.column_types.population: expected a SQL type (BIGINT, DATE, "
            "DECIMAL(10, 2) …)");
}

TEST_F(ProjectTest, SnapshotsTakeTheirSettingsFromConfig) {
  WriteShop();
  Write("snapshots/plans.sql",
        "{{ config(unique_key=['id', 'shop'], strategy='check', check_cols='plan') }}\n"
        "SELECT * FROM {{ source('customers') }} WHERE day >= '{{ var('start_date') }}';\n");
  auto project = LoadProject(dir_);
  ASSERT_TRUE(project.ok()) << project.status().ToString();
  ASSERT_EQ(project->snapshots.size(), 1u);
  const ProjectSnapshot& plans = project->snapshots[0];
  EXPECT_EQ(plans.strategy, SnapshotStrategy::kCheck);
  EXPECT_EQ(plans.unique_key, (std::vector<std::string>{"id", "shop"}));
  EXPECT_EQ(plans.check_cols, std::vector<std::string>{"plan"});
  auto select = RenderSnapshot(plans, project->vars);
  ASSERT_TRUE(select.ok());
  EXPECT_EQ(*select, "SELECT * FROM \"customers\" WHERE day >= '2024-01-01'");
  EXPECT_EQ(
      SnapshotCreateSql(plans, *select),
      "CREATE OR REPLACE TABLE \"plans\" AS\nSELECT s.*, get_current_timestamp() AS lagoa_valid_from, CAST(NULL AS "
      "TIMESTAMPTZ) AS lagoa_valid_to FROM (\nSELECT * FROM \"customers\" WHERE day >= '2024-01-01'\n) AS s");
  const std::string merge = SnapshotMergeSql(plans, *select);
  EXPECT_NE(merge.find("ON u.lagoa_valid_to IS NOT NULL AND t.lagoa_valid_to IS NULL AND t.\"id\" = u.\"id\" AND "
                       "t.\"shop\" = u.\"shop\""),
            std::string::npos)
      << merge;
  EXPECT_NE(merge.find("WHERE (s.\"plan\" IS DISTINCT FROM c.\"plan\")"), std::string::npos) << merge;

  const auto error_of = [&](const std::string& text) -> std::string {
    Write("snapshots/plans.sql", text);
    auto loaded = LoadProject(dir_);
    return loaded.ok() ? "loaded" : loaded.status().message();
  };
  EXPECT_EQ(error_of("{{ config(strategy='timestamp', updated_at='u') }}\nSELECT 1"),
            "snapshots/plans.sql: unique_key is missing (the columns that identify a row): write it in {{ config(...) "
            "}} (src/models/README.md, snapshots)");
  EXPECT_EQ(error_of("{{ config(unique_key='id', strategy='sometimes') }}\nSELECT 1"),
            "snapshots/plans.sql:1:28: strategy: expected timestamp or check");
  EXPECT_EQ(error_of("{{ config(unique_key='id', strategy='check', materialized='table') }}\nSELECT 1"),
            "snapshots/plans.sql:1:46: unknown setting `materialized`: a snapshot takes unique_key, strategy, "
            "updated_at and check_cols");
  EXPECT_EQ(error_of("{{ config(unique_key='id', strategy='check', check_cols='a') }}\nSELECT * FROM {{ ref('x') }}"),
            "snapshots/plans.sql:2:18: ref('x'): a snapshot reads sources (source('name')), not models");
  EXPECT_EQ(error_of("{{ config(unique_key='id', strategy='check', check_cols='a') }}\nSELECT 1"), "loaded");
  Write("snapshots/stg_orders.sql", "{{ config(unique_key='id', strategy='check', check_cols='a') }}\nSELECT 1");
  EXPECT_EQ(LoadError().value(),
            "snapshots/stg_orders.sql and models/staging/stg_orders.sql are both named `stg_orders`: models, seeds and "
            "snapshots are relations of the server, and need names of their own");
}

TEST_F(ProjectTest, SourceFreshnessBecomesTwoTests) {
  Write("lagoa_project.yml",
        "name: fresh\nsources:\n  clicks:\n    freshness: {loaded_at: ts, warn_after: 1 hour, error_after: 2 days}\n");
  Write("models/a.sql", "SELECT 1 AS x");
  auto project = LoadProject(dir_);
  ASSERT_TRUE(project.ok()) << project.status().ToString();
  ASSERT_EQ(project->tests.size(), 2u);
  EXPECT_EQ(project->tests[0].name, "freshness_clicks_error");
  EXPECT_EQ(project->tests[0].severity, Severity::kError);
  EXPECT_EQ(project->tests[0].where, "lagoa_project.yml:3:3");
  EXPECT_EQ(project->tests[1].name, "freshness_clicks_warn");
  EXPECT_EQ(project->tests[1].severity, Severity::kWarn);
  auto graph = ModelGraph::Make(*project);
  ASSERT_TRUE(graph.ok());
  // They read no model: a build of everything runs them.
  EXPECT_EQ(graph->TestsOf({0}, false), std::vector<size_t>{});
  auto compiled = CompileTests(*project, *graph, graph->TestsOf({0}, true), CompileOptions{});
  ASSERT_TRUE(compiled.ok());
  EXPECT_EQ((*compiled)[0].select,
            "SELECT max(\"ts\") AS newest, now() - max(\"ts\") AS age FROM \"clicks\" HAVING max(\"ts\") IS NULL OR "
            "max(\"ts\") < now() - INTERVAL '2 days'");
  Write("lagoa_project.yml", "name: fresh\nsources:\n  clicks:\n    freshness: {loaded_at: ts, warn_after: soon}\n");
  EXPECT_EQ(LoadError().value(),
            "lagoa_project.yml:4:32: sources.clicks.freshness.warn_after: expected loaded_at (a column), warn_after or "
            "error_after (an age: 30 minutes, 1 hour, 2 days)");
  Write("lagoa_project.yml", "name: fresh\nsources:\n  clicks: yes\n");
  EXPECT_EQ(LoadError().value(),
            "lagoa_project.yml:3:11: sources.clicks: expected `freshness: {loaded_at: COLUMN, warn_after: 1 hour, "
            "error_after: 1 day}`");
}

TEST_F(ProjectTest, UnknownRefsAndCyclesNameTheirFiles) {
  Write("lagoa_project.yml", "name: loop\n");
  Write("models/a.sql", "SELECT * FROM {{ ref('b') }}");
  Write("models/b.sql", "SELECT * FROM\n  {{ ref('c') }}");
  Write("models/c.sql", "SELECT * FROM {{ ref('a') }}");
  Write("models/d.sql", "SELECT 1");
  auto project = LoadProject(dir_);
  ASSERT_TRUE(project.ok()) << project.status().ToString();
  auto cycle = ModelGraph::Make(*project);
  ASSERT_FALSE(cycle.ok());
  EXPECT_EQ(cycle.status().message(),
            "the models ref each other in a cycle, so none of them can be built first: a (models/a.sql) → "
            "b (models/b.sql) → c (models/c.sql) → a (each refs the next)");

  Write("models/c.sql", "SELECT * FROM {{ ref('clicks') }}");
  project = LoadProject(dir_);
  ASSERT_TRUE(project.ok());
  auto unknown = ModelGraph::Make(*project);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().message(),
            "models/c.sql:1:18: ref('clicks'): no model is called `clicks` (a stream, table or view is read with "
            "source('clicks'))");

  Write("models/c.sql", "{{ config(enabled=false) }} SELECT 2");
  project = LoadProject(dir_);
  ASSERT_TRUE(project.ok());
  auto disabled = ModelGraph::Make(*project);
  ASSERT_FALSE(disabled.ok());
  EXPECT_EQ(disabled.status().message(), "models/b.sql:2:6: ref('c'): model `c` (models/c.sql) is disabled");
}

TEST_F(ProjectTest, ProjectMistakesNameTheFileAndLine) {
  EXPECT_EQ(*LoadError(), dir_.string() +
                              ": no lagoa_project.yml here (a project folder holds lagoa_project.yml and "
                              "a models/ folder)");
  Write("lagoa_project.yml", "name: shop\nmodels:\n  materialised: table\n");
  Write("models/a.sql", "SELECT 1");
  EXPECT_EQ(*LoadError(),
            "lagoa_project.yml:3:3: models.materialised: not a setting (materialized, incremental_strategy, "
            "unique_key, tags, enabled), and a folder's settings would be a mapping");
  Write("lagoa_project.yml", "name: shop\nmodels:\n  mart:\n    materialized: table\n");
  EXPECT_EQ(*LoadError(), "lagoa_project.yml:4:5: models.mart: no model under models/mart");
  Write("lagoa_project.yml", "name: shop\nmodels:\n  materialized: tabel\n");
  EXPECT_EQ(*LoadError(),
            "lagoa_project.yml:3:3: materialized: expected view, table, incremental or ephemeral, found `tabel`");
  Write("lagoa_project.yml", "name: shop\nschedule: daily\n");
  EXPECT_EQ(*LoadError(),
            "lagoa_project.yml:2:1: unknown key `schedule`: expected name, vars, models, seeds, sources or jobs");
  Write("lagoa_project.yml", "name: [shop\n");
  EXPECT_NE(LoadError()->find("lagoa_project.yml:"), std::string::npos);
  Write("lagoa_project.yml", "vars: {}\n");
  EXPECT_EQ(*LoadError(), "lagoa_project.yml: `name` is missing");

  Write("lagoa_project.yml", "name: shop\n");
  Write("models/x/a.sql", "SELECT 2");
  EXPECT_EQ(*LoadError(),
            "models/a.sql and models/x/a.sql are both model `a`: a model is named by its file, and the names must "
            "differ in more than case");
  std::filesystem::remove(dir_ / "models/x/a.sql");
  Write("models/daily-revenue.sql", "SELECT 3");
  EXPECT_NE(LoadError()->find("models/daily-revenue.sql: `daily-revenue` cannot name a model"), std::string::npos);
  std::filesystem::remove(dir_ / "models/daily-revenue.sql");
  Write("models/b.sql", "{{ config(materialized='incremental', incremental_strategy='merge') }} SELECT 1");
  EXPECT_EQ(*LoadError(), "models/b.sql: incremental_strategy merge needs a unique_key");
  Write("models/b.sql", "{{ config(schedule='daily') }} SELECT 1");
  EXPECT_EQ(*LoadError(),
            "models/b.sql:1:11: unknown setting `schedule`: expected one of materialized, incremental_strategy, "
            "unique_key, tags, enabled");
  Write("models/b.sql", "SELECT {{ ref('a' }}");
  EXPECT_EQ(*LoadError(), "models/b.sql:1:19: expected `,` or `)` after an argument, found the end of the tag (`}}`)");
}

}  // namespace
}  // namespace lagoa::models
