#include "models/compile.h"

#include <algorithm>
#include <cctype>
#include <set>

#include <fmt/format.h>

namespace lagoa::models {

std::string Trimmed(std::string_view sql) {
  while (!sql.empty() && std::isspace(static_cast<unsigned char>(sql.front())) != 0) sql.remove_prefix(1);
  while (!sql.empty() && (sql.back() == ';' || std::isspace(static_cast<unsigned char>(sql.back())) != 0)) {
    sql.remove_suffix(1);
  }
  return std::string(sql);
}

std::string SqlStringLiteral(std::string_view text) {
  std::string out = "'";
  for (char ch : text) {
    out += ch;
    if (ch == '\'') out += '\'';
  }
  return out + "'";
}

std::string SqlIdentifier(std::string_view name) {
  std::string out = "\"";
  for (char ch : name) {
    out += ch;
    if (ch == '"') out += '"';
  }
  return out + "\"";
}

namespace {

constexpr std::string_view kEphemeralPrefix = "__lagoa_ephemeral_";

class Compiler {
 public:
  Compiler(const Project& project, const ModelGraph& graph, const CompileOptions& options)
      : project_(project), graph_(graph), options_(options), vars_(project.vars), rank_(project.models.size()) {
    for (const auto& [name, value] : options.vars) vars_[name] = value;
    for (size_t i = 0; i < graph.order().size(); ++i) rank_[graph.order()[i]] = i;
  }

  Result<CompiledModel> Compile(size_t model) {
    const Model& m = project_.models[model];
    const bool incremental =
        m.config.materialized == Materialization::kIncremental && options_.is_incremental && options_.is_incremental(m);
    LAGOA_ASSIGN_OR_RETURN(std::string select,
                           WithEphemerals(m.sql, SqlIdentifier(m.name), incremental, graph_.parents(model)));
    return CompiledModel{model, std::move(select)};
  }

  Result<CompiledTest> CompileTest(size_t test) {
    const DataTest& t = project_.tests[test];
    LAGOA_ASSIGN_OR_RETURN(std::string select, WithEphemerals(t.sql, "", false, graph_.test_models(test)));
    return CompiledTest{test, std::move(select)};
  }

 private:
  std::string EphemeralName(size_t model) const {
    return SqlIdentifier(fmt::format("{}{}", kEphemeralPrefix, project_.models[model].name));
  }

  // The ephemeral models among `parents`, and those they read through other ephemeral ones, in
  // build order.
  std::vector<size_t> EphemeralAncestors(const std::vector<size_t>& parents) const {
    std::set<size_t> found;
    std::vector<size_t> stack;
    const auto visit = [&](size_t parent) {
      if (project_.models[parent].config.materialized == Materialization::kEphemeral && found.insert(parent).second) {
        stack.push_back(parent);
      }
    };
    for (size_t parent : parents) visit(parent);
    while (!stack.empty()) {
      const size_t at = stack.back();
      stack.pop_back();
      for (size_t parent : graph_.parents(at)) visit(parent);
    }
    std::vector<size_t> out(found.begin(), found.end());
    std::sort(out.begin(), out.end(), [&](size_t a, size_t b) { return rank_[a] < rank_[b]; });
    return out;
  }

  // `sql` rendered, preceded by a WITH of every ephemeral model it reads (`parents` are the models
  // its refs name).
  Result<std::string> WithEphemerals(const ModelTemplate& sql, const std::string& this_relation, bool incremental,
                                     const std::vector<size_t>& parents) const {
    LAGOA_ASSIGN_OR_RETURN(std::string select, Render(sql, this_relation, incremental));
    std::vector<size_t> ephemerals = EphemeralAncestors(parents);
    if (ephemerals.empty()) return select;
    std::string with = "WITH ";
    for (size_t i = 0; i < ephemerals.size(); ++i) {
      const Model& e = project_.models[ephemerals[i]];
      LAGOA_ASSIGN_OR_RETURN(std::string body, Render(e.sql, SqlIdentifier(e.name), false));
      with += fmt::format("{}{} AS (\n{}\n)", i == 0 ? "" : ",\n", EphemeralName(ephemerals[i]), body);
    }
    return fmt::format("{}\nSELECT * FROM (\n{}\n)", with, select);
  }

  Result<std::string> Render(const ModelTemplate& sql, const std::string& this_relation, bool incremental) const {
    RenderContext context;
    context.this_relation = this_relation;
    context.is_incremental = incremental;
    context.vars = vars_;
    context.ref = [&](const NameUse& ref) -> Result<std::string> {
      // ModelGraph::Make checked that every ref names a model.
      const size_t parent = *graph_.Find(ref.name);
      const Model& p = project_.models[parent];
      return p.config.materialized == Materialization::kEphemeral ? EphemeralName(parent) : SqlIdentifier(p.name);
    };
    context.source = [](const NameUse& source) -> Result<std::string> { return SqlIdentifier(source.name); };
    LAGOA_ASSIGN_OR_RETURN(std::string rendered, sql.Render(context));
    return Trimmed(rendered);
  }

  const Project& project_;
  const ModelGraph& graph_;
  const CompileOptions& options_;
  std::map<std::string, std::string> vars_;
  std::vector<size_t> rank_;  // by model index: its place in the build order
};

}  // namespace

namespace {

// Compiles each of `indexes` with `compile` (a Compiler method), in order.
template <typename Compiled>
Result<std::vector<Compiled>> CompileEach(const Project& project, const ModelGraph& graph,
                                          const std::vector<size_t>& indexes, const CompileOptions& options,
                                          Result<Compiled> (Compiler::*compile)(size_t)) {
  Compiler compiler(project, graph, options);
  std::vector<Compiled> out;
  out.reserve(indexes.size());
  for (size_t index : indexes) {
    LAGOA_ASSIGN_OR_RETURN(Compiled compiled, (compiler.*compile)(index));
    out.push_back(std::move(compiled));
  }
  return out;
}

}  // namespace

Result<std::vector<CompiledTest>> CompileTests(const Project& project, const ModelGraph& graph,
                                               const std::vector<size_t>& tests, const CompileOptions& options) {
  return CompileEach(project, graph, tests, options, &Compiler::CompileTest);
}

Result<std::vector<CompiledModel>> CompileModels(const Project& project, const ModelGraph& graph,
                                                 const std::vector<size_t>& selected, const CompileOptions& options) {
  return CompileEach(project, graph, selected, options, &Compiler::Compile);
}

}  // namespace lagoa::models
