// Writes to lake tables (tables made with CREATE TABLE: Delta tables lagoa owns, listed in
// EngineShared::tables). DuckDB's parser does not know them as tables — they are views in each
// session — so their DDL and DML are recognized here, by their leading tokens, and carried out
// through src/lake commits (lake_write.cc); every other statement goes to DuckDB unchanged.
//
// Recognized, where NAME is one unqualified identifier (a qualified name, `memory.main.t`, is
// DuckDB's own):
//   CREATE TABLE [IF NOT EXISTS] NAME (columns)      kCreateTable   rest: "(columns)"
//   CREATE TABLE [IF NOT EXISTS] NAME AS query       kCreateTableAs rest: "AS query"
//   INSERT INTO NAME …                               kInsert        rest: after NAME
//   COPY NAME [(columns)] FROM …                     kCopyFrom      rest: after NAME
//   DELETE FROM NAME [WHERE predicate]               kDelete        rest: the predicate ("" = all)
//   TRUNCATE [TABLE] NAME                            kDelete        rest: ""
//   UPDATE NAME SET assignments [WHERE predicate]    kUpdate        rest: the assignments,
//                                                                   predicate: the predicate
//   ALTER TABLE NAME ADD [COLUMN] [IF NOT EXISTS] c  kAddColumn     rest: the column definition
//   DROP TABLE [IF EXISTS] NAME                      kDropTable
//   CREATE STREAM [IF NOT EXISTS] NAME [(columns)] [WITH (options)]
//                                                    kCreateStream  rest: after NAME
//   DROP STREAM [IF EXISTS] NAME                     kDropStream
//   INSERT INTO STREAM …, where STREAM is a stream   kInsertStream  rest: after the name
// and refused with a reason (kRefused): CREATE OR REPLACE TABLE NAME, other ALTERs of a lake table,
// DELETE … USING/RETURNING, UPDATE … FROM/RETURNING, and UPDATE/DELETE of a stream (append-only). INSERT, COPY, DELETE,
// UPDATE, ALTER and DROP are recognized only when NAME is a lake table (else DuckDB runs them: a temporary table, a
// stream's view, …). Threads: pure functions.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace lagoa::sql::internal {

enum class LakeWriteKind : uint8_t {
  kCreateTable,
  kCreateTableAs,
  kInsert,
  kCopyFrom,
  kDelete,
  kUpdate,
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
  bool if_exists = false;  // DROP … IF EXISTS; IF NOT EXISTS of CREATE TABLE and ADD COLUMN
  std::string rest;        // per kind, see above
  std::string predicate;   // kUpdate: after WHERE ("" = every row)
  std::string refusal;     // kRefused: what is not supported and what to do instead
  bool has_where = false;  // kDelete/kUpdate: the statement has a WHERE (its condition may be empty)
};

// std::nullopt when `statement` (one statement, no ';') is none of the above.
// `is_lake_table(name)` / `is_stream(name)` tell whether a lake table / stream of that name exists now.
std::optional<LakeWriteText> RecognizeLakeWrite(std::string_view statement,
                                                const std::function<bool(std::string_view)>& is_lake_table,
                                                const std::function<bool(std::string_view)>& is_stream = nullptr);

}  // namespace lagoa::sql::internal
