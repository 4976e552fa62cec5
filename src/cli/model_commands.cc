// `lagoa compile`, `seed`, `run`, `test` and `build`: read a project folder (models/project.h),
// select and compile its models; compile prints each one's SELECT, seed loads the project's CSV
// seeds (models/seeds.h), run builds the models on a server (models/build_plan.h), test runs their
// data tests (models/data_tests.h), build does all three.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <simdjson.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>

#include "cli/commands.h"
#include "cli/http_client.h"
#include "cli/server_request.h"
#include "models/build_runner.h"
#include "models/compile.h"

namespace lagoa::cli {
namespace {

// A project read and its selection resolved. Not movable: the graph refers to the project.
struct LoadedProject {
  models::Project project;
  std::optional<models::ModelGraph> graph;
  std::vector<size_t> selected;
  models::CompileOptions options;
};

// Reads the project and resolves the selection; 0, or the exit code after printing the error.
int LoadSelected(const CompileArgs& args, LoadedProject& out) {
  for (const std::string& var : args.vars) {
    const size_t equals = var.find('=');
    if (equals == std::string::npos || equals == 0) {
      fmt::print(stderr, "error: --var `{}`: expected NAME=VALUE\n", var);
      return 2;
    }
    out.options.vars[var.substr(0, equals)] = var.substr(equals + 1);
  }
  auto project = models::LoadProject(args.project_dir);
  if (!project.ok()) {
    fmt::print(stderr, "error: {}\n", project.status().message());
    return 1;
  }
  out.project = std::move(*project);
  auto graph = models::ModelGraph::Make(out.project);
  if (!graph.ok()) {
    fmt::print(stderr, "error: {}\n", graph.status().message());
    return 1;
  }
  out.graph.emplace(std::move(*graph));
  auto selected = out.graph->Select(args.select, args.exclude);
  if (!selected.ok()) {
    fmt::print(stderr, "error: {}\n", selected.status().message());
    return 1;
  }
  out.selected = std::move(*selected);
  return 0;
}

// Runs a build's statements through POST /v1/sql. Lifecycle: one per command, on the main thread.
class HttpSqlRunner final : public models::SqlRunner {
 public:
  explicit HttpSqlRunner(HttpClient* client) : client_(client) {}

  Result<models::SqlAnswer> Run(const std::string& sql) override {
    LAGOA_ASSIGN_OR_RETURN(HttpResult r, client_->Request("POST", "/v1/sql?format=json", sql, "text/plain"));
    models::SqlAnswer answer;
    if (r.status >= 300) {
      answer.error = ServerErrorMessage(r);
      return answer;
    }
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    if (parser.parse(r.body).get(doc) != simdjson::SUCCESS) {
      return Status::Unavailable(fmt::format("the server answered something that is not JSON: {:.200}", r.body));
    }
    answer.ok = true;
    if (doc["changed_rows"].get(answer.changed_rows) != simdjson::SUCCESS) answer.changed_rows = -1;
    simdjson::dom::array rows;
    if (doc["rows"].get(rows) == simdjson::SUCCESS) {
      for (simdjson::dom::element row : rows) {
        std::vector<std::string> cells;
        for (simdjson::dom::element cell : row.get_array()) cells.push_back(Text(cell));  // NULL as "-"
        answer.rows.push_back(std::move(cells));
      }
    }
    return answer;
  }

 private:
  HttpClient* client_;
};

// One line per step: `3 of 8 OK     table       daily (0.21 s, 3 rows)`, a failing test's first rows
// below it.
void PrintStep(const models::BuildStep& step) {
  static constexpr std::string_view kLabels[] = {"OK   ", "PASS ", "WARN ", "FAIL ", "SKIP "};
  std::string_view label = kLabels[static_cast<size_t>(step.outcome)];
  if (step.outcome == models::StepOutcome::kFailed && !step.is_test) label = "ERROR";
  std::string line = fmt::format("{} of {} {}  {:<11} {}", step.number, step.total, label, step.kind, step.name);
  if (step.outcome == models::StepOutcome::kSkipped) {
    line += ": " + step.message;
  } else {
    line += fmt::format(" ({:.2f} s", step.seconds);
    if (step.changed_rows >= 0) line += fmt::format(", {} row{}", step.changed_rows, step.changed_rows == 1 ? "" : "s");
    line += ")";
    if (!step.message.empty()) {
      line += ": " + step.message;
    } else if (step.is_test && step.failing_rows > 0) {
      line += fmt::format(": {} failing row{} ({})", step.failing_rows, step.failing_rows == 1 ? "" : "s", step.where);
      if (!step.failures_table.empty()) line += fmt::format("; kept in {}", step.failures_table);
    }
  }
  fmt::print("{}\n", line);
  for (const std::vector<std::string>& row : step.sample) fmt::print("    {}\n", fmt::join(row, " | "));
  std::fflush(stdout);
}

}  // namespace

int Compile(const CompileArgs& args) {
  LoadedProject loaded;
  if (int code = LoadSelected(args, loaded); code != 0) return code;
  auto compiled = models::CompileModels(loaded.project, *loaded.graph, loaded.selected, loaded.options);
  if (!compiled.ok()) {
    fmt::print(stderr, "error: {}\n", compiled.status().message());
    return 1;
  }
  for (const models::CompiledModel& model : *compiled) {
    const models::Model& m = loaded.project.models[model.model];
    // The semicolon on a line of its own: a model may end in a -- comment.
    fmt::print("-- {} ({}): {}\n{}\n;\n\n", m.name, m.path.string(), models::MaterializationName(m.config.materialized),
               model.select);
  }
  if (compiled->empty()) fmt::print(stderr, "no model selected\n");
  return 0;
}

int Build(const std::string& url, const RunArgs& args, models::BuildSteps steps) {
  const auto started = std::chrono::steady_clock::now();
  LoadedProject loaded;
  // `lagoa seed|snapshot -s NAME…` names seeds or snapshots, which are no models to select.
  CompileArgs compile = args.compile;
  if (models::SelectsByName(steps)) compile.select.clear();
  if (int code = LoadSelected(compile, loaded); code != 0) return code;
  auto client = HttpClient::Make(url);
  if (!client.ok()) return PrintTransportError(client.status());
  HttpSqlRunner runner(client->get());
  models::BuildOptions options = models::SelectionOptions(steps, args.compile.select, args.compile.exclude);
  options.full_refresh = args.full_refresh;
  options.store_failures = args.store_failures;
  options.vars = loaded.options.vars;
  auto summary = models::RunBuild(loaded.project, *loaded.graph, loaded.selected, options, runner, PrintStep);
  if (!summary.ok()) {
    if (summary.status().code() == StatusCode::kUnavailable) return PrintTransportError(summary.status());
    fmt::print(stderr, "error: {}\n", summary.status().message());
    return 1;
  }
  if (summary->steps == 0) {
    fmt::print(stderr, "{}\n",
               steps == models::BuildSteps::kTests ? "no test of the selected models" : "no model selected");
    return 0;
  }
  std::vector<std::string> parts;
  if (summary->built + summary->failed + summary->skipped > 0) {
    parts.push_back(fmt::format("{} built, {} failed, {} skipped", summary->built, summary->failed, summary->skipped));
  }
  const size_t tests = summary->tests_passed + summary->tests_warned + summary->tests_failed + summary->tests_skipped;
  if (tests > 0) {
    parts.push_back(fmt::format("tests: {} passed, {} warned, {} failed, {} skipped", summary->tests_passed,
                                summary->tests_warned, summary->tests_failed, summary->tests_skipped));
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  fmt::print("Done in {:.2f} s: {}\n", seconds, fmt::join(parts, "; "));
  return summary->ok() ? 0 : 1;
}

}  // namespace lagoa::cli
