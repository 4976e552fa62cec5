// `lagoa compile`: reads a project folder (models/project.h) and prints each selected model's
// compiled SELECT, in build order.
#include <cstdio>

#include <fmt/format.h>

#include "cli/commands.h"
#include "models/compile.h"

namespace lagoa::cli {

int Compile(const CompileArgs& args) {
  models::CompileOptions options;
  for (const std::string& var : args.vars) {
    const size_t equals = var.find('=');
    if (equals == std::string::npos || equals == 0) {
      fmt::print(stderr, "error: --var `{}`: expected NAME=VALUE\n", var);
      return 2;
    }
    options.vars[var.substr(0, equals)] = var.substr(equals + 1);
  }
  auto project = models::LoadProject(args.project_dir);
  if (!project.ok()) {
    fmt::print(stderr, "error: {}\n", project.status().message());
    return 1;
  }
  auto graph = models::ModelGraph::Make(*project);
  if (!graph.ok()) {
    fmt::print(stderr, "error: {}\n", graph.status().message());
    return 1;
  }
  auto selected = graph->Select(args.select, args.exclude);
  if (!selected.ok()) {
    fmt::print(stderr, "error: {}\n", selected.status().message());
    return 1;
  }
  auto compiled = models::CompileModels(*project, *graph, *selected, options);
  if (!compiled.ok()) {
    fmt::print(stderr, "error: {}\n", compiled.status().message());
    return 1;
  }
  for (const models::CompiledModel& model : *compiled) {
    const models::Model& m = project->models[model.model];
    // The semicolon on a line of its own: a model may end in a -- comment.
    fmt::print("-- {} ({}): {}\n{}\n;\n\n", m.name, m.path.string(), models::MaterializationName(m.config.materialized),
               model.select);
  }
  if (compiled->empty()) fmt::print(stderr, "no model selected\n");
  return 0;
}

}  // namespace lagoa::cli
