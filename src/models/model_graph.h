// ModelGraph: which model reads which through ref(), checked once: every ref names an enabled
// model of the project, and no chain of refs comes back to where it started. It gives the build
// order (each model after the models it reads, ties by name) and answers selections:
//
//   orders             the model orders
//   +orders            orders and every model it reads, directly or not (its ancestors)
//   orders+            orders and every model that reads it (its descendants)
//   tag:daily          the models tagged daily
//   path:models/marts  the models in that folder (or that one file), relative to the project
//   *                  every model
// Tests (project.tests) are checked the same way: each ref names a model; a test of a disabled
// model is left out.
// A selection is such selectors separated by spaces or commas (their union); an exclusion uses the
// same syntax and removes what it selects. Disabled models are never selected.
//
// Value type: immutable once made; it refers to the Project it was made from (by index), which
// must outlive it.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "models/project.h"

namespace lagoa::models {

class ModelGraph {
 public:
  // Errors: a ref to no model, or to a disabled one (naming the file, line and column), and a
  // cycle (naming each model on it and its file).
  static Result<ModelGraph> Make(const Project& project);

  // Indexes into project.models of the enabled models, each after every model it refs.
  const std::vector<size_t>& order() const { return order_; }
  const std::vector<size_t>& parents(size_t model) const { return parents_[model]; }
  // The model called `name`, ignoring case; enabled or not.
  std::optional<size_t> Find(std::string_view name) const;
  // The models project.tests[test] reads (its refs), each once; empty for a test of a disabled
  // model, which never runs.
  const std::vector<size_t>& test_models(size_t test) const { return test_models_[test]; }
  // The tests that read a model of `models` (ModelGraph::Select's answer) and no disabled one;
  // with `all`, also those that read no model (a test of sources only).
  std::vector<size_t> TestsOf(const std::vector<size_t>& models, bool all) const;

  // The selected enabled models, in build order. An empty `select` selects every model. A selector
  // of `select` that matches no model is an error (a typo would select nothing in silence); one of
  // `exclude` is not (what it names may be gone). Names ignore case; tags and paths do not.
  Result<std::vector<size_t>> Select(std::string_view select, std::string_view exclude) const;

 private:
  explicit ModelGraph(const Project& project) : project_(&project) {}
  // must_match: a selector that matches no model is an error (for --select; an exclusion may match nothing).
  Result<std::vector<bool>> Matching(std::string_view selection, bool must_match) const;
  void AddRelatives(std::vector<bool>& chosen, size_t from, bool ancestors) const;
  // The enabled models `sql`'s refs name. Errors name `file` (and the ref's position): an unknown
  // model; a disabled one, unless `enabled` is given (tests), which is then set false.
  // `generated`: `file` is a position already (a test declared in YAML).
  Result<std::vector<size_t>> Resolve(const ModelTemplate& sql, const std::string& file, bool generated,
                                      bool* enabled) const;

  const Project* project_;
  std::vector<std::vector<size_t>> parents_;   // by model index: the models it refs, each once
  std::vector<std::vector<size_t>> children_;  // by model index: the models that ref it
  std::vector<size_t> order_;
  std::vector<std::vector<size_t>> test_models_;  // by test index
  std::vector<bool> test_enabled_;                // by test index: it reads no disabled model
  std::map<std::string, size_t> by_key_;          // ModelKey(name) → index
};

}  // namespace lagoa::models
