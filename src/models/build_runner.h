// A build: seeds loaded (seeds.h), snapshots taken (snapshots.h), the selected models made on a
// server in build order (build_plan.h), and their data tests (data_tests.h), each test right after
// the last model it reads. A model whose
// upstream model failed, or failed a test of severity error, is skipped, and so are its tests; a failing warn test is
// reported only. What runs the SQL is the caller's (SqlRunner): the CLI sends it over HTTP, the server will run it on
// its own engine.
//
// Lifecycle: RunBuild is one call on the caller's thread; it calls the runner and `on_step` there.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "models/model_graph.h"
#include "models/project.h"

namespace lagoa::models {

// One statement's answer. A statement that fails is an answer (ok false, the server's error); a
// runner that cannot reach the server returns an error Status instead, which ends the build.
struct SqlAnswer {
  bool ok = false;
  std::string error;
  int64_t changed_rows = -1;                   // INSERT, CREATE TABLE … AS: the rows written; else -1
  std::vector<std::vector<std::string>> rows;  // cells as text
};

class SqlRunner {
 public:
  virtual ~SqlRunner() = default;
  virtual Result<SqlAnswer> Run(const std::string& sql) = 0;
};

// kSeeds / kSnapshots: those named in BuildOptions::names (all when empty); kModelsAndTests: every
// seed and snapshot when BuildOptions::all_seeds_and_snapshots, then the models and tests.
enum class BuildSteps { kSeeds, kSnapshots, kModels, kTests, kModelsAndTests };

struct BuildOptions {
  BuildSteps steps = BuildSteps::kModelsAndTests;
  bool full_refresh = false;                // incremental models are rebuilt as tables
  std::map<std::string, std::string> vars;  // over the project's
  bool tests_of_no_model = false;           // also run the tests that read no model (no selection given)
  bool all_seeds_and_snapshots = false;     // kModelsAndTests: seeds and snapshots first (no selection given)
  std::vector<std::string> names;           // kSeeds, kSnapshots: which, by name; empty: all
  size_t sql_bytes_max = 256 << 10;         // the server's sql_text_bytes_max, for SeedCreateSql
  // A failing test's rows are kept in the lake table lagoa_failures_TEST (replaced each time it
  // fails, dropped when it passes).
  bool store_failures = false;
};

// Whether `steps` (kSeeds, kSnapshots) takes seeds or snapshots by name rather than a selection of models.
bool SelectsByName(BuildSteps steps);

// The options of `lagoa run|test|build|seed|snapshot -s SELECT --exclude EXCLUDE` (and of a job
// with those keys): with neither, also the tests that read no model and every seed and snapshot;
// seed and snapshot take SELECT as names (space or comma separated).
BuildOptions SelectionOptions(BuildSteps steps, std::string_view select, std::string_view exclude);

enum class StepOutcome { kBuilt, kPassed, kWarned, kFailed, kSkipped };
// built, passed, warned, failed, skipped
std::string_view StepOutcomeName(StepOutcome outcome);

// What one step did, for the caller to report.
struct BuildStep {
  size_t number = 0;  // 1-based, of `total`
  size_t total = 0;
  bool is_test = false;
  std::string name;
  std::string kind;  // a model's materialization, or "test"
  StepOutcome outcome = StepOutcome::kBuilt;
  double seconds = 0;
  std::string message;                           // the error, or why it was skipped
  int64_t changed_rows = -1;                     // a model's: what its last statement reported
  int64_t failing_rows = 0;                      // a failed or warned test's
  std::string where;                             // a test's declaration
  std::vector<std::vector<std::string>> sample;  // a failed or warned test's first rows
  std::string failures_table;                    // where its rows were kept (store_failures)
};

struct BuildSummary {
  size_t built = 0, failed = 0, skipped = 0;
  size_t tests_passed = 0, tests_warned = 0, tests_failed = 0, tests_skipped = 0;
  size_t steps = 0;
  bool ok() const { return failed + skipped + tests_failed + tests_skipped == 0; }
};

inline constexpr size_t kFailingRowsShown = 5;

// Reads what the server holds (lagoa_catalog()), compiles `selected` (ModelGraph::Select's answer)
// and their tests, and runs them. Errors: a compile error, the catalog not readable, or the
// runner's own error (the build stops there).
Result<BuildSummary> RunBuild(const Project& project, const ModelGraph& graph, const std::vector<size_t>& selected,
                              const BuildOptions& options, SqlRunner& runner,
                              const std::function<void(const BuildStep&)>& on_step);

}  // namespace lagoa::models
