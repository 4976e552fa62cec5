#include "models/build_plan.h"

#include <fmt/format.h>

#include "models/compile.h"

namespace lagoa::models {

ExistingRelation ExistingRelationOfKind(std::string_view kind) {
  if (kind == "view") return ExistingRelation::kView;
  if (kind == "table") return ExistingRelation::kTable;
  return ExistingRelation::kOther;
}

bool BuildsIncrementally(const Model& model, ExistingRelation existing, bool full_refresh) {
  return model.config.materialized == Materialization::kIncremental && existing == ExistingRelation::kTable &&
         !full_refresh;
}

Result<std::vector<std::string>> BuildStatements(const Model& model, std::string_view select, ExistingRelation existing,
                                                 bool full_refresh) {
  const Materialization materialized = model.config.materialized;
  if (materialized == Materialization::kEphemeral) return std::vector<std::string>{};
  if (existing == ExistingRelation::kOther) {
    return Status::FailedPrecondition(
        fmt::format("model {} ({}): the server already has a relation named \"{}\" that is neither a view nor a "
                    "table made by SQL (a stream or an attached table?); rename the model or drop that relation",
                    model.name, model.path.string(), model.name));
  }
  const std::string name = SqlIdentifier(model.name);
  // A line comment may end the SELECT: what follows it starts on a line of its own.
  const std::string body = fmt::format("{}\n", select);
  std::vector<std::string> statements;
  if (materialized == Materialization::kView) {
    if (existing == ExistingRelation::kTable) statements.push_back(fmt::format("DROP TABLE {}", name));
    statements.push_back(fmt::format("CREATE OR REPLACE VIEW {} AS\n{}", name, body));
    return statements;
  }
  if (existing == ExistingRelation::kView) statements.push_back(fmt::format("DROP VIEW {}", name));
  if (!BuildsIncrementally(model, existing, full_refresh)) {
    statements.push_back(fmt::format("CREATE OR REPLACE TABLE {} AS\n{}", name, body));
    return statements;
  }
  switch (model.config.incremental_strategy) {
    case IncrementalStrategy::kAppend:
      statements.push_back(fmt::format("INSERT INTO {} BY NAME\n{}", name, body));
      break;
    case IncrementalStrategy::kMerge: {
      if (model.config.unique_key.empty()) {
        return Status::InvalidArgument(
            fmt::format("model {} ({}): incremental_strategy merge needs unique_key, the columns that identify a row",
                        model.name, model.path.string()));
      }
      std::vector<std::string> keys;
      for (const std::string& key : model.config.unique_key) keys.push_back(SqlIdentifier(key));
      statements.push_back(
          fmt::format("MERGE INTO {} USING (\n{}) AS __lagoa_new USING ({}) WHEN MATCHED THEN UPDATE BY NAME WHEN NOT "
                      "MATCHED THEN INSERT BY NAME",
                      name, body, fmt::join(keys, ", ")));
      break;
    }
    case IncrementalStrategy::kDeleteInsert:
      return Status::InvalidArgument(fmt::format(
          "model {} ({}): incremental_strategy delete+insert is not built yet; use merge (one row per unique_key) "
          "or append",
          model.name, model.path.string()));
  }
  return statements;
}

}  // namespace lagoa::models
