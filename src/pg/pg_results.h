// From the SQL engine's results to PostgreSQL messages and back: column descriptions with type
// OIDs, format codes, DataRows in text or binary, command tags, and the decoding of Bind
// parameters (text, or binary for bool/int2/int4/int8/float4/float8/text/varchar).
// Threads: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "pg/pg_messages.h"
#include "sql/result_chunk.h"
#include "sql/sql_engine.h"

namespace lagoa::pg::pg {

inline constexpr uint32_t kTextOid = 25;

// One FieldDescription per column; `formats` is one code per column (or empty: all text).
std::vector<FieldDescription> DescribeColumns(const std::vector<sql::ResultColumn>& columns,
                                              std::span<const int16_t> formats);

// The OID a statement parameter is described with; text for types DuckDB could not infer.
uint32_t ParamTypeOid(const sql::ColumnType& type);

// DuckDB's type for a parameter a client declared with PostgreSQL type `oid` ("BIGINT" for int8
// …); empty for types without a fixed counterpart here (numeric, json …).
std::string_view DuckDbTypeOfOid(uint32_t oid);

// Expands Bind's format codes (none: all text; one: for all; else one each) to `count` codes.
// A protocol violation (08P01) when the number of codes matches neither.
std::optional<PgError> ExpandFormats(std::span<const int16_t> codes, size_t count, std::vector<int16_t>* out);

// program_limit_exceeded (54000) when a statement has more parameters or result columns than the
// protocol's 16-bit counts carry (kParamsMax): an error for that statement, not a broken message.
std::optional<PgError> CheckWireLimits(size_t params, size_t columns);

// feature_not_supported (0A000) when a column asked for in binary has no binary format here.
std::optional<PgError> CheckBinaryFormats(const std::vector<sql::ResultColumn>& columns,
                                          std::span<const int16_t> formats);

// Decodes one Bind parameter of type `oid` (0: unknown) given in `format`.
std::optional<PgError> DecodeParam(const std::optional<std::string>& value, int16_t format, uint32_t oid,
                                   sql::Param* out);

// Appends one DataRow for `row` of `chunk`.
void AppendDataRow(std::string* out, const sql::ResultChunk& chunk, size_t row, std::span<const int16_t> formats);

// The CommandComplete tag: "SELECT 3", "INSERT 0 1", "CREATE TABLE", "BEGIN" …; `sql` is the
// statement's text, `rows` the rows sent, `changed_rows` the cursor's count for DML (-1: none).
std::string CommandTag(sql::StatementKind kind, std::string_view sql, int64_t rows, int64_t changed_rows);

// Whether a statement's rows go to the client: DDL and transaction control answer with their tag
// only (DuckDB gives them a "Count" column PostgreSQL clients do not expect).
bool SendsRows(const sql::Statement& statement);

// The transaction effect of a kTransaction statement, from its leading keyword.
enum class TransactionEffect : uint8_t { kNone, kBegin, kEnd };
TransactionEffect TransactionEffectOf(std::string_view sql);

}  // namespace lagoa::pg::pg
