// From a model's template to the SELECT a build runs: refs become the relations the models build,
// sources the names of the server's streams, tables and views, and vars their values.
//
// An ephemeral model builds nothing: the models that ref it read it as a common table expression,
// `__lagoa_ephemeral_NAME`. The compiled SELECT is then
//   WITH __lagoa_ephemeral_NAME AS (…) SELECT * FROM (the model's own SELECT)
// with every ephemeral model it reads, directly or through other ephemeral models, in build order.
//
// Threads: pure functions of their arguments.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "base/status.h"
#include "models/model_graph.h"
#include "models/project.h"

namespace lagoa::models {

struct CompileOptions {
  std::map<std::string, std::string> vars;  // over the project's own
  // Whether an incremental model builds incrementally (its table exists): is_incremental(). Unset:
  // never, as for a first build.
  std::function<bool(const Model&)> is_incremental;
};

struct CompiledModel {
  size_t model = 0;    // index into Project::models
  std::string select;  // no trailing semicolon
};

// `selected` as ModelGraph::Select gives it. Errors: a var without a value, or a source name that
// is empty.
Result<std::vector<CompiledModel>> CompileModels(const Project& project, const ModelGraph& graph,
                                                 const std::vector<size_t>& selected, const CompileOptions& options);

struct CompiledTest {
  size_t test = 0;     // index into Project::tests
  std::string select;  // the failing rows; no trailing semicolon
};

// The tests `tests` (ModelGraph::TestsOf) as their SELECTs of failing rows. Errors as CompileModels'.
Result<std::vector<CompiledTest>> CompileTests(const Project& project, const ModelGraph& graph,
                                               const std::vector<size_t>& tests, const CompileOptions& options);

// A rendered SELECT as a statement to embed: without trailing semicolons (it is wrapped) and the
// blank lines a config() leaves at its start.
std::string Trimmed(std::string_view sql);

// A text as a SQL string literal: 'it''s'.
std::string SqlStringLiteral(std::string_view text);

// A name as SQL reads it: in double quotes (DuckDB matches quoted names ignoring case too), so a
// name that is a keyword, or holds dots or dashes, still names the object.
std::string SqlIdentifier(std::string_view name);

}  // namespace lagoa::models
