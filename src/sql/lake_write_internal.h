// Writes to lake tables (tables made with CREATE TABLE: Delta tables lagoa owns, listed in
// EngineShared::tables). DuckDB's parser does not know them as tables — they are views in each
// session — so their DDL and DML are recognized here, by their leading tokens, and carried out
// through src/lake commits (lake_write.cc); every other statement goes to DuckDB unchanged.
//
// Recognized, where NAME is one unqualified identifier (a qualified name, `memory.main.t`, is
// DuckDB's own):
//   CREATE TABLE [IF NOT EXISTS] NAME (columns)      kCreateTable   rest: "(columns)"
//   CREATE TABLE [IF NOT EXISTS] NAME AS query       kCreateTableAs rest: "AS query"
//   CREATE OR REPLACE TABLE NAME (columns) / AS query  the same kinds, with or_replace
//   INSERT INTO NAME …                               kInsert        rest: after NAME
//   COPY NAME [(columns)] FROM …                     kCopyFrom      rest: after NAME
//   DELETE FROM NAME [WHERE predicate]               kDelete        rest: the predicate ("" = all)
//   TRUNCATE [TABLE] NAME                            kDelete        rest: ""
//   UPDATE NAME SET assignments [WHERE predicate]    kUpdate        rest: the assignments,
//                                                                   predicate: the predicate
//   MERGE INTO NAME …                                kMerge         rest: the whole statement
//   ALTER TABLE NAME ADD [COLUMN] [IF NOT EXISTS] c  kAddColumn     rest: the column definition
//   DROP TABLE [IF EXISTS] NAME                      kDropTable
//   CREATE STREAM [IF NOT EXISTS] NAME [(columns)] [WITH (options)]
//                                                    kCreateStream  rest: after NAME
//   DROP STREAM [IF EXISTS] NAME                     kDropStream
//   INSERT INTO STREAM …, where STREAM is a stream   kInsertStream  rest: after the name
// and refused with a reason (kRefused): CREATE OR REPLACE TABLE IF NOT EXISTS, other ALTERs of a lake table,
// DELETE … USING/RETURNING, UPDATE … FROM/RETURNING, and UPDATE/DELETE of a stream (append-only). INSERT, COPY, DELETE,
// UPDATE, MERGE, ALTER and DROP are recognized only when NAME is a lake table (else DuckDB runs them: a temporary
// table, a stream's view, …). Threads: pure functions.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace lagoa::sql::internal {

enum class LakeWriteKind : uint8_t {
  kCreateTable,
  kCreateTableAs,
  kInsert,
  kCopyFrom,
  kDelete,
  kUpdate,
  kMerge,
  kAddColumn,
  kDropTable,
  kCreateStream,
  kDropStream,
  kInsertStream,
  kRefused,
};

struct LakeWriteText {
  LakeWriteKind kind = LakeWriteKind::kRefused;
  std::string table;
  bool if_exists = false;   // DROP … IF EXISTS; IF NOT EXISTS of CREATE TABLE and ADD COLUMN
  std::string rest;         // per kind, see above
  std::string predicate;    // kUpdate: after WHERE ("" = every row)
  std::string refusal;      // kRefused: what is not supported and what to do instead
  bool has_where = false;   // kDelete/kUpdate: the statement has a WHERE (its condition may be empty)
  bool or_replace = false;  // kCreateTable/kCreateTableAs: CREATE OR REPLACE TABLE
};

// A MERGE INTO a lake table, read as far as lagoa needs to stage it (lake_write.cc): DuckDB runs
// the match condition and the WHEN clauses as written, on staged copies of the target and source.
//   MERGE INTO NAME [[AS] alias] USING {(query) | name} [[AS] alias] {ON condition | USING (col, …)} WHEN …
struct MergeText {
  std::string target_alias;       // as written, else the table's name
  std::string source_query;       // the subquery's text, or "SELECT * FROM name"
  std::string source_alias;       // as written, else the source's name ("" for a subquery)
  std::vector<std::string> keys;  // USING (col, …); empty for ON
  std::string match;              // from ON/USING to the end: the condition and the WHEN clauses
  bool by_source = false;         // a WHEN NOT MATCHED BY SOURCE clause
};

// InvalidArgument naming what was expected where, and for RETURNING (not supported).
Result<MergeText> ParseMerge(std::string_view statement, const std::string& table);

// std::nullopt when `statement` (one statement, no ';') is none of the above.
// `is_lake_table(name)` / `is_stream(name)` tell whether a lake table / stream of that name exists now.
std::optional<LakeWriteText> RecognizeLakeWrite(std::string_view statement,
                                                const std::function<bool(std::string_view)>& is_lake_table,
                                                const std::function<bool(std::string_view)>& is_stream = nullptr);

}  // namespace lagoa::sql::internal
