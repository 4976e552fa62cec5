#include "models/build_runner.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <optional>
#include <set>

#include "models/build_plan.h"
#include "models/compile.h"
#include "models/seeds.h"
#include "models/snapshots.h"

namespace lagoa::models {
namespace {

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// One build's steps in order, and what became of each model. Lifecycle: one per RunBuild.
class Builder {
 public:
  Builder(const Project& project, const ModelGraph& graph, const BuildOptions& options, SqlRunner& runner,
          const std::map<std::string, ExistingRelation>& existing, const std::function<void(const BuildStep&)>& on_step,
          size_t total)
      : project_(project),
        graph_(graph),
        options_(options),
        runner_(runner),
        existing_(existing),
        on_step_(on_step),
        total_(total) {}

  Status BuildModel(const CompiledModel& model) {
    const Model& m = project_.models[model.model];
    BuildStep step = Start(m.name, std::string(MaterializationName(m.config.materialized)), false);
    const auto started = std::chrono::steady_clock::now();
    if (std::optional<std::string> parent = NotBuiltOrFailedTests(graph_.parents(model.model))) {
      return Finish(step, model.model, StepOutcome::kSkipped, started, *parent);
    }
    Result<std::vector<std::string>> statements =
        BuildStatements(m, model.select, ExistingOf(existing_, m.name), options_.full_refresh);
    if (!statements.ok()) {
      return Finish(step, model.model, StepOutcome::kFailed, started, statements.status().message());
    }
    for (const std::string& statement : *statements) {
      LAGOA_ASSIGN_OR_RETURN(SqlAnswer answer, runner_.Run(statement));
      if (!answer.ok) return Finish(step, model.model, StepOutcome::kFailed, started, answer.error);
      step.changed_rows = answer.changed_rows;
    }
    return Finish(step, model.model, StepOutcome::kBuilt, started, "");
  }

  // Passes when the test's SELECT returns no row. A failing test of severity error fails the
  // models it reads, so what reads them is skipped.
  Status RunTest(const CompiledTest& test) {
    const DataTest& t = project_.tests[test.test];
    BuildStep step = Start(t.name, "test", true);
    step.where = t.where;
    const auto started = std::chrono::steady_clock::now();
    const std::vector<size_t>& tested = graph_.test_models(test.test);
    if (std::optional<std::string> model = NotBuilt(tested)) {
      return FinishTest(step, StepOutcome::kSkipped, started, *model);
    }
    LAGOA_ASSIGN_OR_RETURN(SqlAnswer count,
                           runner_.Run(fmt::format("SELECT count(*) FROM (\n{}\n) AS failures", test.select)));
    std::string error = count.error;
    if (count.ok && (count.rows.size() != 1 || count.rows[0].size() != 1)) error = "the count returned no row";
    if (error.empty()) step.failing_rows = std::strtoll(count.rows[0][0].c_str(), nullptr, 10);
    if (error.empty() && step.failing_rows == 0) {
      if (options_.store_failures) {
        // The rows a previous run kept are stale now.
        LAGOA_ASSIGN_OR_RETURN(SqlAnswer dropped,
                               runner_.Run(fmt::format("DROP TABLE IF EXISTS {}", SqlIdentifier(FailuresTable(t)))));
        if (!dropped.ok) return FinishTest(step, StepOutcome::kWarned, started, dropped.error);
      }
      return FinishTest(step, StepOutcome::kPassed, started, "");
    }
    // A test whose query fails fails, whatever its severity.
    const bool warn = t.severity == Severity::kWarn && error.empty();
    if (!warn) {
      // A YAML test fails the model whose columns it tests; a SQL test every model it reads.
      const std::optional<size_t> owner = t.model.empty() ? std::nullopt : graph_.Find(t.model);
      for (size_t model : tested) {
        if ((!owner || *owner == model) && outcomes_.contains(model)) failed_tests_.insert(model);
      }
    }
    if (error.empty()) {
      LAGOA_ASSIGN_OR_RETURN(SqlAnswer sample, runner_.Run(fmt::format("SELECT * FROM (\n{}\n) AS failures LIMIT {}",
                                                                       test.select, kFailingRowsShown)));
      step.sample = std::move(sample.rows);
      if (options_.store_failures) {
        LAGOA_ASSIGN_OR_RETURN(
            SqlAnswer kept, runner_.Run(fmt::format("CREATE OR REPLACE TABLE {} AS SELECT * FROM (\n{}\n) AS failures",
                                                    SqlIdentifier(FailuresTable(t)), test.select)));
        if (kept.ok) step.failures_table = FailuresTable(t);
        if (!kept.ok) error = fmt::format("its failing rows were not kept: {}", kept.error);
      }
    }
    return FinishTest(step, warn ? StepOutcome::kWarned : StepOutcome::kFailed, started, error);
  }

  // Checks every value against its declared type, then replaces the seed's table in one commit.
  Status LoadSeed(const Seed& seed) {
    BuildStep step = Start(seed.name, "seed", false);
    const auto started = std::chrono::steady_clock::now();
    std::string error;
    if (std::optional<std::string> check = SeedCheckSql(seed)) {
      LAGOA_ASSIGN_OR_RETURN(SqlAnswer bad, runner_.Run(*check));
      if (!bad.ok) {
        error = bad.error;
      } else if (!bad.rows.empty() && bad.rows[0].size() == 2) {
        error = SeedValueError(seed, std::strtoull(bad.rows[0][0].c_str(), nullptr, 10),
                               std::strtoull(bad.rows[0][1].c_str(), nullptr, 10))
                    .message();
      }
    }
    if (error.empty()) {
      Result<std::string> create = SeedCreateSql(seed, options_.sql_bytes_max);
      if (create.ok()) {
        LAGOA_ASSIGN_OR_RETURN(SqlAnswer created, runner_.Run(*create));
        error = created.error;
        step.changed_rows = created.changed_rows;
      } else {
        error = create.status().message();
      }
    }
    return FinishTable(step, started, std::move(error));
  }

  // The first build creates the table; later ones merge the changed rows' versions into it.
  Status TakeSnapshot(const ProjectSnapshot& snapshot) {
    BuildStep step = Start(snapshot.name, "snapshot", false);
    const auto started = std::chrono::steady_clock::now();
    std::string error;
    Result<std::string> select = RenderSnapshot(snapshot, options_.vars);
    const ExistingRelation holds = ExistingOf(existing_, snapshot.name);
    if (!select.ok()) {
      error = select.status().message();
    } else if (holds != ExistingRelation::kNone && holds != ExistingRelation::kTable) {
      error = fmt::format("{}: the server has a relation named \"{}\" that is not a table made by SQL",
                          snapshot.path.string(), snapshot.name);
    } else {
      const std::string sql = holds == ExistingRelation::kTable ? SnapshotMergeSql(snapshot, *select)
                                                                : SnapshotCreateSql(snapshot, *select);
      LAGOA_ASSIGN_OR_RETURN(SqlAnswer answer, runner_.Run(sql));
      error = answer.error;
      step.changed_rows = answer.changed_rows;
    }
    return FinishTable(step, started, std::move(error));
  }

  // The lake table that keeps a failing test's rows (BuildOptions::store_failures).
  static std::string FailuresTable(const DataTest& test) { return "lagoa_failures_" + test.name; }

  BuildSummary Summary() const {
    BuildSummary summary = tests_;
    summary.steps = number_;
    summary.built = seeds_.built;
    summary.failed = seeds_.failed;
    for (const auto& [model, outcome] : outcomes_) {
      const bool built = outcome == StepOutcome::kBuilt && !failed_tests_.contains(model);
      (built ? summary.built : outcome == StepOutcome::kSkipped ? summary.skipped : summary.failed) += 1;
    }
    return summary;
  }

  static ExistingRelation ExistingOf(const std::map<std::string, ExistingRelation>& existing, std::string_view name) {
    auto it = existing.find(ModelKey(name));
    return it == existing.end() ? ExistingRelation::kNone : it->second;
  }

 private:
  BuildStep Start(std::string name, std::string kind, bool is_test) {
    BuildStep step;
    step.number = ++number_;
    step.total = total_;
    step.is_test = is_test;
    step.name = std::move(name);
    step.kind = std::move(kind);
    return step;
  }

  // A seed's or snapshot's step: built, or failed with `error`.
  Status FinishTable(BuildStep& step, std::chrono::steady_clock::time_point started, std::string error) {
    (error.empty() ? seeds_.built : seeds_.failed) += 1;
    step.outcome = error.empty() ? StepOutcome::kBuilt : StepOutcome::kFailed;
    step.seconds = SecondsSince(started);
    step.message = std::move(error);
    on_step_(step);
    return Status::Ok();
  }

  Status Finish(BuildStep& step, size_t model, StepOutcome outcome, std::chrono::steady_clock::time_point started,
                std::string message) {
    outcomes_[model] = outcome;
    step.outcome = outcome;
    step.seconds = SecondsSince(started);
    step.message = std::move(message);
    on_step_(step);
    return Status::Ok();
  }

  Status FinishTest(BuildStep& step, StepOutcome outcome, std::chrono::steady_clock::time_point started,
                    std::string message) {
    (outcome == StepOutcome::kPassed   ? tests_.tests_passed
     : outcome == StepOutcome::kWarned ? tests_.tests_warned
     : outcome == StepOutcome::kFailed ? tests_.tests_failed
                                       : tests_.tests_skipped) += 1;
    step.outcome = outcome;
    step.seconds = SecondsSince(started);
    step.message = std::move(message);
    on_step_(step);
    return Status::Ok();
  }

  // Why a step reading `models` is skipped: the first of them this build failed or skipped ("X was
  // not built"). A model it did not select counts as built: it is there from an earlier build, or
  // the SQL that reads it will say it is not.
  std::optional<std::string> NotBuilt(const std::vector<size_t>& models) const {
    for (size_t model : models) {
      auto it = outcomes_.find(model);
      if (it != outcomes_.end() && it->second != StepOutcome::kBuilt) {
        return fmt::format("{} was not built", project_.models[model].name);
      }
    }
    return std::nullopt;
  }
  // The same, or a model that failed a test of severity error ("X failed a test"; its own tests
  // still run).
  std::optional<std::string> NotBuiltOrFailedTests(const std::vector<size_t>& models) const {
    for (size_t model : models) {
      if (failed_tests_.contains(model)) return fmt::format("{} failed a test", project_.models[model].name);
    }
    return NotBuilt(models);
  }

  const Project& project_;
  const ModelGraph& graph_;
  const BuildOptions& options_;
  SqlRunner& runner_;
  const std::map<std::string, ExistingRelation>& existing_;
  const std::function<void(const BuildStep&)>& on_step_;
  const size_t total_;
  size_t number_ = 0;
  std::map<size_t, StepOutcome> outcomes_;  // by model index: the models of this build so far
  std::set<size_t> failed_tests_;           // models of this build that failed a test of severity error
  BuildSummary tests_;                      // the test counts
  BuildSummary seeds_;                      // the seed and snapshot counts (built, failed)
};

// The seeds or snapshots this build runs: for their own step, those named (all when none is);
// for a whole build, all of them when nothing was selected. NotFound for a name of none.
template <typename T>
Result<std::vector<const T*>> Chosen(const std::vector<T>& all, BuildSteps own_step, const BuildOptions& options,
                                     std::string_view what, std::string_view file_pattern) {
  std::vector<const T*> chosen;
  if (options.steps == own_step) {
    for (const std::string& name : options.names) {
      auto it = std::find_if(all.begin(), all.end(), [&](const T& t) { return ModelKey(t.name) == ModelKey(name); });
      if (it == all.end()) {
        return Status::NotFound(
            fmt::format("no {} is called `{}` ({})", what, name, fmt::format(fmt::runtime(file_pattern), name)));
      }
      if (std::find(chosen.begin(), chosen.end(), &*it) == chosen.end()) chosen.push_back(&*it);
    }
    if (!options.names.empty()) return chosen;
  } else if (options.steps != BuildSteps::kModelsAndTests || !options.all_seeds_and_snapshots) {
    return chosen;
  }
  for (const T& t : all) chosen.push_back(&t);
  return chosen;
}

}  // namespace

Result<BuildSummary> RunBuild(const Project& project, const ModelGraph& graph, const std::vector<size_t>& selected,
                              const BuildOptions& options, SqlRunner& runner,
                              const std::function<void(const BuildStep&)>& on_step) {
  // What the server holds under each name now: is_incremental() and what a build replaces.
  LAGOA_ASSIGN_OR_RETURN(SqlAnswer catalog,
                         runner.Run("SELECT name, kind FROM lagoa_catalog() WHERE kind NOT IN ('macro', 'schema')"));
  if (!catalog.ok) return Status::Unavailable(fmt::format("reading the server's catalog: {}", catalog.error));
  std::map<std::string, ExistingRelation> existing;
  for (const std::vector<std::string>& row : catalog.rows) {
    if (row.size() == 2) existing[ModelKey(row[0])] = ExistingRelationOfKind(row[1]);
  }
  CompileOptions compile;
  compile.vars = options.vars;
  compile.is_incremental = [&](const Model& model) {
    return BuildsIncrementally(model, Builder::ExistingOf(existing, model.name), options.full_refresh);
  };
  const bool build_models = options.steps == BuildSteps::kModels || options.steps == BuildSteps::kModelsAndTests;
  const bool run_tests = options.steps == BuildSteps::kTests || options.steps == BuildSteps::kModelsAndTests;
  LAGOA_ASSIGN_OR_RETURN(std::vector<CompiledModel> models,
                         CompileModels(project, graph, build_models ? selected : std::vector<size_t>{}, compile));
  LAGOA_ASSIGN_OR_RETURN(
      std::vector<CompiledTest> tests,
      CompileTests(project, graph,
                   run_tests ? graph.TestsOf(selected, options.tests_of_no_model) : std::vector<size_t>{}, compile));

  // Each test runs after the last model of this build it reads (or first, when it reads none).
  std::map<size_t, size_t> position;  // model index → 1-based place in `models`
  for (size_t i = 0; i < models.size(); ++i) position[models[i].model] = i + 1;
  std::vector<std::vector<const CompiledTest*>> tests_after(models.size() + 1);
  for (const CompiledTest& test : tests) {
    size_t after = 0;
    for (size_t model : graph.test_models(test.test)) {
      if (auto it = position.find(model); it != position.end()) after = std::max(after, it->second);
    }
    tests_after[after].push_back(&test);
  }
  LAGOA_ASSIGN_OR_RETURN(std::vector<const Seed*> seeds,
                         Chosen(project.seeds, BuildSteps::kSeeds, options, "seed", "seeds/{}.csv"));
  LAGOA_ASSIGN_OR_RETURN(std::vector<const ProjectSnapshot*> snapshots,
                         Chosen(project.snapshots, BuildSteps::kSnapshots, options, "snapshot", "snapshots/{}.sql"));
  Builder builder(project, graph, options, runner, existing, on_step,
                  seeds.size() + snapshots.size() + models.size() + tests.size());
  for (const Seed* seed : seeds) LAGOA_RETURN_IF_ERROR(builder.LoadSeed(*seed));
  for (const ProjectSnapshot* snapshot : snapshots) LAGOA_RETURN_IF_ERROR(builder.TakeSnapshot(*snapshot));
  for (size_t i = 0; i <= models.size(); ++i) {
    if (i > 0) LAGOA_RETURN_IF_ERROR(builder.BuildModel(models[i - 1]));
    for (const CompiledTest* test : tests_after[i]) LAGOA_RETURN_IF_ERROR(builder.RunTest(*test));
  }
  return builder.Summary();
}

bool SelectsByName(BuildSteps steps) { return steps == BuildSteps::kSeeds || steps == BuildSteps::kSnapshots; }

BuildOptions SelectionOptions(BuildSteps steps, std::string_view select, std::string_view exclude) {
  BuildOptions options;
  options.steps = steps;
  const bool everything = select.empty() && exclude.empty();
  options.tests_of_no_model = everything;
  options.all_seeds_and_snapshots = everything;
  if (SelectsByName(steps)) {
    for (std::string_view rest = select; !rest.empty();) {
      const size_t end = rest.find_first_of(" ,");
      if (end != 0) options.names.emplace_back(rest.substr(0, end));
      rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
    }
  }
  return options;
}

std::string_view StepOutcomeName(StepOutcome outcome) {
  static constexpr std::string_view kNames[] = {"built", "passed", "warned", "failed", "skipped"};
  return kNames[static_cast<size_t>(outcome)];
}

}  // namespace lagoa::models
