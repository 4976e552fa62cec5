#include "sql/statement_limits_internal.h"

#include <fmt/format.h>

#include <vector>

#include "sql/sql_text.h"

namespace lagoa::sql::internal {

Status CheckTextLimits(std::string_view sql, const SqlEngineOptions& limits) {
  if (sql.size() > limits.text_bytes_max) {
    return Status::InvalidArgument(fmt::format(
        "the SQL text is {} bytes; lagoa takes at most {} (`sql_text_bytes_max`): pass large values as parameters or "
        "load data with COPY … FROM a file",
        sql.size(), limits.text_bytes_max));
  }
  const std::vector<std::string_view> statements = SplitStatements(sql);
  for (size_t i = 0; i < statements.size(); ++i) {
    const std::string which = statements.size() > 1 ? fmt::format("statement {}", i + 1) : "the statement";
    const StatementShape shape = MeasureStatement(statements[i]);
    if (shape.boolean_operators > limits.boolean_operators_max) {
      return Status::InvalidArgument(fmt::format(
          "{} has {} AND/OR operators; lagoa plans at most {} (`sql_boolean_operators_max`), since DuckDB's planning "
          "time grows with their square and cannot be interrupted: write a long OR of equalities as `x IN (…)`",
          which, shape.boolean_operators, limits.boolean_operators_max));
    }
    if (shape.nesting_depth > limits.nesting_depth_max) {
      return Status::InvalidArgument(fmt::format(
          "{} nests brackets ( [ {{ {} deep; lagoa plans at most {} (`sql_nesting_depth_max`), since DuckDB's "
          "planning time grows faster than the depth and cannot be interrupted",
          which, shape.nesting_depth, limits.nesting_depth_max));
    }
    if (shape.lambda_depth > kLambdaDepthMax) {
      return Status::InvalidArgument(
          fmt::format("{} nests lambdas (`->` or LAMBDA) {} deep; lagoa plans at most {}, since DuckDB's planning "
                      "time doubles with each level and cannot be interrupted",
                      which, shape.lambda_depth, kLambdaDepthMax));
    }
  }
  return Status::Ok();
}

}  // namespace lagoa::sql::internal
