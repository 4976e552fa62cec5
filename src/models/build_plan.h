// What a build runs for one model: the SQL statements, in order, that make its relation on the
// server from its compiled SELECT, given what the server holds under its name now.
//
//   view          CREATE OR REPLACE VIEW name AS select   (DROP TABLE name first when it was a table)
//   table         CREATE OR REPLACE TABLE name AS select  (DROP VIEW name first when it was a view):
//                 one lake commit, so readers see the old rows or the new ones, never a mix
//   incremental   the first build, and --full-refresh: as a table; later builds:
//                   append  INSERT INTO name BY NAME select
//                   merge   MERGE INTO name USING (select) … USING (unique_key) WHEN MATCHED THEN
//                           UPDATE BY NAME WHEN NOT MATCHED THEN INSERT BY NAME (one lake commit;
//                           BY NAME: the SELECT's columns may come in another order than the table's)
//   ephemeral     nothing: the models that read it inline it (compile.h)
// A name that holds a relation the project does not own (a stream, an attached table, a kept
// DuckDB table) is never replaced: that is an error naming both.
//
// Threads: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "models/project.h"

namespace lagoa::models {

// What the server holds under a model's name (lagoa_catalog()'s kind).
enum class ExistingRelation { kNone, kView, kTable, kOther };

// lagoa_catalog()'s kind as an ExistingRelation: "view", "table", anything else is kOther.
ExistingRelation ExistingRelationOfKind(std::string_view kind);

// Whether the model builds incrementally now: an incremental model whose table exists, unless
// `full_refresh`. The compiler's is_incremental().
bool BuildsIncrementally(const Model& model, ExistingRelation existing, bool full_refresh);

// The statements for `model`, whose compiled SELECT is `select` (compiled with
// BuildsIncrementally's answer). Errors: the name holds a relation the project does not own, a
// merge or delete+insert without unique_key.
Result<std::vector<std::string>> BuildStatements(const Model& model, std::string_view select, ExistingRelation existing,
                                                 bool full_refresh);

}  // namespace lagoa::models
