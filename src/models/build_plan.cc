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
    case IncrementalStrategy::kDeleteInsert: {
      if (model.config.unique_key.empty()) {
        return Status::InvalidArgument(
            fmt::format("model {} ({}): incremental_strategy delete+insert needs a unique_key: the columns whose rows "
                        "the new rows replace",
                        model.name, model.path.string()));
      }
      // The stored rows whose keys the new rows have go, the new rows (any number per key) come,
      // in one commit: the table is rewritten, since a lake commit cannot both delete by key and
      // insert rows that matched. Keys compare with IS NOT DISTINCT FROM, so NULL keys are replaced too.
      std::vector<std::string> same;
      for (const std::string& key : model.config.unique_key) {
        same.push_back(fmt::format("__lagoa_new.{0} IS NOT DISTINCT FROM __lagoa_old.{0}", SqlIdentifier(key)));
      }
      statements.push_back(fmt::format(
          "CREATE OR REPLACE TABLE {0} AS\nWITH __lagoa_new AS (\n{1})\nSELECT * FROM {0} AS __lagoa_old WHERE NOT "
          "EXISTS (SELECT 1 FROM __lagoa_new WHERE {2})\nUNION ALL BY NAME\nSELECT * FROM __lagoa_new",
          name, body, fmt::join(same, " AND ")));
      break;
    }
  }
  return statements;
}

}  // namespace lagoa::models
