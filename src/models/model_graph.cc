#include "models/model_graph.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include <fmt/format.h>

namespace lagoa::models {
namespace {

// Selectors are separated by spaces or commas.
std::vector<std::string_view> SplitSelection(std::string_view selection) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (size_t i = 0; i <= selection.size(); ++i) {
    if (i == selection.size() || selection[i] == ' ' || selection[i] == ',' || selection[i] == '\t') {
      if (i > start) out.push_back(selection.substr(start, i - start));
      start = i + 1;
    }
  }
  return out;
}

}  // namespace

Result<std::vector<size_t>> ModelGraph::Resolve(const ModelTemplate& sql, const std::string& file, bool generated,
                                                bool* enabled) const {
  const std::vector<Model>& models = project_->models;
  std::set<size_t> found;
  for (const NameUse& ref : sql.refs()) {
    // A generated test's `file` is already the position of its declaration.
    const std::string at = generated ? file : DescribePosition(file, ref.at);
    std::optional<size_t> model = Find(ref.name);
    if (!model) {
      return Status::NotFound(
          fmt::format("{}: ref('{}'): no model is called `{}` (a stream, table or view is read with source('{}'))", at,
                      ref.name, ref.name, ref.name));
    }
    if (!models[*model].config.enabled) {
      if (enabled != nullptr) {
        *enabled = false;
        continue;
      }
      return Status::FailedPrecondition(fmt::format("{}: ref('{}'): model `{}` ({}) is disabled", at, ref.name,
                                                    models[*model].name, models[*model].path.string()));
    }
    found.insert(*model);
  }
  return std::vector<size_t>(found.begin(), found.end());
}

Result<ModelGraph> ModelGraph::Make(const Project& project) {
  ModelGraph graph(project);
  const std::vector<Model>& models = project.models;
  for (size_t i = 0; i < models.size(); ++i) graph.by_key_.emplace(ModelKey(models[i].name), i);
  graph.parents_.resize(models.size());
  graph.children_.resize(models.size());
  for (size_t i = 0; i < models.size(); ++i) {
    if (!models[i].config.enabled) continue;
    LAGOA_ASSIGN_OR_RETURN(graph.parents_[i], graph.Resolve(models[i].sql, models[i].path.string(), false, nullptr));
    for (size_t parent : graph.parents_[i]) graph.children_[parent].push_back(i);
  }
  for (const DataTest& test : project.tests) {
    bool enabled = true;
    LAGOA_ASSIGN_OR_RETURN(std::vector<size_t> tested,
                           graph.Resolve(test.sql, test.where, test.kind != DataTestKind::kSql, &enabled));
    graph.test_models_.push_back(enabled ? std::move(tested) : std::vector<size_t>{});
    graph.test_enabled_.push_back(enabled);
  }

  // Kahn's algorithm, taking the ready model first in name order (models are sorted by name).
  std::vector<size_t> waiting_for(models.size());
  std::set<size_t> ready;
  size_t enabled = 0;
  for (size_t i = 0; i < models.size(); ++i) {
    if (!models[i].config.enabled) continue;
    ++enabled;
    waiting_for[i] = graph.parents_[i].size();
    if (waiting_for[i] == 0) ready.insert(i);
  }
  while (!ready.empty()) {
    const size_t next = *ready.begin();
    ready.erase(ready.begin());
    graph.order_.push_back(next);
    for (size_t child : graph.children_[next]) {
      if (--waiting_for[child] == 0) ready.insert(child);
    }
  }
  if (graph.order_.size() == enabled) return graph;

  // Every model left waits for another one left: walk from one of them along the refs until a
  // model comes back.
  size_t at = 0;
  while (!models[at].config.enabled || waiting_for[at] == 0) ++at;
  std::vector<size_t> path;
  std::map<size_t, size_t> position;
  while (!position.contains(at)) {
    position[at] = path.size();
    path.push_back(at);
    for (size_t parent : graph.parents_[at]) {
      if (waiting_for[parent] != 0) {
        at = parent;
        break;
      }
    }
  }
  std::string cycle;
  for (size_t i = position[at]; i < path.size(); ++i) {
    cycle += fmt::format("{} ({}) → ", models[path[i]].name, models[path[i]].path.string());
  }
  cycle += models[at].name;
  return Status::InvalidArgument(fmt::format(
      "the models ref each other in a cycle, so none of them can be built first: {} (each refs the next)", cycle));
}

void ModelGraph::AddRelatives(std::vector<bool>& chosen, size_t from, bool ancestors) const {
  // Its own visited set: a relative another selector chose already still leads to its relatives.
  std::vector<bool> seen(chosen.size(), false);
  std::vector<size_t> stack = {from};
  while (!stack.empty()) {
    const size_t model = stack.back();
    stack.pop_back();
    for (size_t next : ancestors ? parents_[model] : children_[model]) {
      if (!seen[next]) {
        seen[next] = true;
        chosen[next] = true;
        stack.push_back(next);
      }
    }
  }
}

std::vector<size_t> ModelGraph::TestsOf(const std::vector<size_t>& models, bool all) const {
  const std::set<size_t> chosen(models.begin(), models.end());
  std::vector<size_t> tests;
  for (size_t t = 0; t < test_models_.size(); ++t) {
    const std::vector<size_t>& tested = test_models_[t];
    if (!test_enabled_[t]) continue;
    if ((all && tested.empty()) ||
        std::any_of(tested.begin(), tested.end(), [&](size_t m) { return chosen.contains(m); })) {
      tests.push_back(t);
    }
  }
  return tests;
}

std::optional<size_t> ModelGraph::Find(std::string_view name) const {
  auto it = by_key_.find(ModelKey(name));
  if (it == by_key_.end()) return std::nullopt;
  return it->second;
}

Result<std::vector<bool>> ModelGraph::Matching(std::string_view selection, bool must_match) const {
  const std::vector<Model>& models = project_->models;
  std::vector<bool> chosen(models.size(), false);
  for (std::string_view selector : SplitSelection(selection)) {
    std::string_view core = selector;
    const bool ancestors = core.starts_with('+');
    if (ancestors) core.remove_prefix(1);
    const bool descendants = core.ends_with('+');
    if (descendants) core.remove_suffix(1);
    std::vector<size_t> matched;
    for (size_t i = 0; i < models.size(); ++i) {
      const Model& model = models[i];
      if (!model.config.enabled) continue;
      bool match = false;
      if (core == "*") {
        match = true;
      } else if (core.starts_with("tag:")) {
        match =
            std::find(model.config.tags.begin(), model.config.tags.end(), core.substr(4)) != model.config.tags.end();
      } else if (core.starts_with("path:")) {
        std::string path = std::filesystem::path(core.substr(5)).lexically_normal().generic_string();
        while (path.ends_with('/')) path.pop_back();
        const std::string model_path = model.path.generic_string();
        match = !path.empty() && (model_path == path || model_path.starts_with(path + "/"));
      } else {
        match = ModelKey(model.name) == ModelKey(core);
      }
      if (match) matched.push_back(i);
    }
    if (matched.empty() && must_match) {
      return Status::NotFound(fmt::format(
          "selector `{}` matches no enabled model (selectors: a model's name, tag:TAG, path:models/FOLDER or *, "
          "with + before for what it reads and after for what reads it)",
          selector));
    }
    for (size_t i : matched) {
      chosen[i] = true;
      if (ancestors) AddRelatives(chosen, i, true);
      if (descendants) AddRelatives(chosen, i, false);
    }
  }
  return chosen;
}

Result<std::vector<size_t>> ModelGraph::Select(std::string_view select, std::string_view exclude) const {
  std::vector<bool> chosen(project_->models.size(), true);
  if (!SplitSelection(select).empty()) {
    LAGOA_ASSIGN_OR_RETURN(chosen, Matching(select, true));
  }
  LAGOA_ASSIGN_OR_RETURN(std::vector<bool> excluded, Matching(exclude, false));
  std::vector<size_t> out;
  for (size_t model : order_) {
    if (chosen[model] && !excluded[model]) out.push_back(model);
  }
  return out;
}

}  // namespace lagoa::models
