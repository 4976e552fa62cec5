// Turning lagoa Statuses (which carry DuckDB's messages for SQL errors) into PostgreSQL error
// fields: a SQLSTATE chosen from the status code and DuckDB's error class ("Parser Error: …" →
// 42601, "Catalog Error: Table … does not exist" → 42P01 …), and the error position, which
// DuckDB prints as a "LINE n: …" excerpt with a caret; the excerpt is located in the statement
// text and removed from the message, so clients print their own (psql does).
// Threads: pure functions.
#pragma once

#include <string_view>

#include "base/status.h"
#include "pg/pg_messages.h"

namespace lagoa::pg::pg {

namespace sqlstate {
inline constexpr std::string_view kSyntaxError = "42601";
inline constexpr std::string_view kUndefinedTable = "42P01";
inline constexpr std::string_view kQueryCanceled = "57014";
inline constexpr std::string_view kOutOfMemory = "53200";
inline constexpr std::string_view kTooManyConnections = "53300";
inline constexpr std::string_view kProtocolViolation = "08P01";
inline constexpr std::string_view kInvalidTextRepresentation = "22P02";
inline constexpr std::string_view kFeatureNotSupported = "0A000";
inline constexpr std::string_view kInvalidPassword = "28P01";
inline constexpr std::string_view kInvalidAuthorization = "28000";
inline constexpr std::string_view kInvalidStatementName = "26000";
inline constexpr std::string_view kInvalidCursorName = "34000";
inline constexpr std::string_view kDuplicatePreparedStatement = "42P05";
inline constexpr std::string_view kIndeterminateDatatype = "42P18";
inline constexpr std::string_view kInFailedTransaction = "25P02";
inline constexpr std::string_view kAdminShutdown = "57P01";
inline constexpr std::string_view kIdleSessionTimeout = "57P05";
inline constexpr std::string_view kConnectionFailure = "08006";
inline constexpr std::string_view kInternal = "XX000";
}  // namespace sqlstate

// `sql` is the statement text the error is about ("" when none): used to turn DuckDB's caret
// into a 1-based character position.
PgError ErrorFromStatus(const Status& status, std::string_view sql);

PgError MakeError(std::string_view sqlstate, std::string message, std::string_view severity = "ERROR");

}  // namespace lagoa::pg::pg
