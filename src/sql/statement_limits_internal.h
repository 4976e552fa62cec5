// The limits on SQL text entering the engine, whatever the front door (HTTP, PostgreSQL simple and
// extended query, `lagoa sql`): checked by Session::Parse before DuckDB's parser sees the text.
// DuckDB 1.4 checks for an interrupt only while a statement executes, never while it parses,
// binds or optimizes it, so neither the statement timeout nor a cancel stops a statement whose
// planning takes minutes; these limits are what bound planning time (README.md, "Limits").
// Threads: pure functions.
#pragma once

#include <cstddef>
#include <string_view>

#include "base/status.h"
#include "sql/sql_engine.h"

namespace lagoa::sql::internal {

// Lambdas inside lambdas: DuckDB binds the inner ones again for every outer one, about twice the
// time per level (16 levels: 0.13 s, 20: 2 s, 22: 7 s). No key: no query nests lambdas 8 deep.
inline constexpr size_t kLambdaDepthMax = 8;

// InvalidArgument naming what `sql` holds beyond the limits of `options` (text_bytes_max,
// boolean_operators_max, nesting_depth_max, kLambdaDepthMax), the limit and its key; else Ok. A
// text of several statements is measured statement by statement, and the statement named.
Status CheckTextLimits(std::string_view sql, const SqlEngineOptions& options);

}  // namespace lagoa::sql::internal
