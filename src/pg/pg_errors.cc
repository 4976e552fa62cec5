#include "pg/pg_errors.h"

#include <optional>
#include <string>

#include "base/parse_number.h"

namespace lagoa::pg::pg {
namespace {

bool Contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

// DuckDB's error classes ("<Class> Error: …", its ExceptionType names) to SQLSTATEs.
std::string_view SqlStateOfMessage(std::string_view m) {
  if (Contains(m, "Parser Error")) return sqlstate::kSyntaxError;
  if (Contains(m, "Catalog Error")) {
    if (Contains(m, "Function with name") || Contains(m, "Macro Function")) return "42883";  // undefined_function
    if (Contains(m, "already exists")) return "42P07";                                       // duplicate_table
    if (Contains(m, "Schema with name")) return "3F000";                                     // invalid_schema_name
    if (Contains(m, "does not exist")) return sqlstate::kUndefinedTable;
    return "42000";
  }
  if (Contains(m, "Binder Error")) {
    if (Contains(m, "column") || Contains(m, "Column")) return "42703";  // undefined_column
    return "42000";
  }
  if (Contains(m, "Conversion Error") || Contains(m, "Invalid Input Error"))
    return sqlstate::kInvalidTextRepresentation;
  if (Contains(m, "Out of Range Error")) return "22003";
  if (Contains(m, "Division by zero") || Contains(m, "division by zero")) return "22012";
  if (Contains(m, "Constraint Error")) {
    if (Contains(m, "Duplicate key")) return "23505";
    if (Contains(m, "NOT NULL")) return "23502";
    return "23000";
  }
  if (Contains(m, "Not implemented Error")) return sqlstate::kFeatureNotSupported;
  if (Contains(m, "Out of Memory Error")) return sqlstate::kOutOfMemory;
  if (Contains(m, "INTERRUPT Error") || Contains(m, "Interrupted")) return sqlstate::kQueryCanceled;
  if (Contains(m, "Current transaction is aborted")) return sqlstate::kInFailedTransaction;
  if (Contains(m, "TransactionContext Error")) return "25000";  // invalid_transaction_state
  if (Contains(m, "Permission Error")) return "42501";          // insufficient_privilege
  return {};
}

std::string_view SqlStateOf(const Status& status) {
  std::string_view from_message = SqlStateOfMessage(status.message());
  switch (status.code()) {
    case StatusCode::kInvalidArgument:
      return from_message.empty() ? "42000" : from_message;
    case StatusCode::kNotFound:
      return from_message.empty() ? sqlstate::kUndefinedTable : from_message;
    case StatusCode::kAlreadyExists:
      return "42P07";
    case StatusCode::kResourceExhausted:
      return sqlstate::kOutOfMemory;
    case StatusCode::kLimitExceeded:  // out_of_memory, else program_limit_exceeded
      return status.message().find("Out of Memory") != std::string::npos ? sqlstate::kOutOfMemory : "54000";
    case StatusCode::kDiskFull:
      return "53100";  // disk_full
    case StatusCode::kFailedPrecondition:
      return from_message.empty() ? "55000" : from_message;  // object_not_in_prerequisite_state
    case StatusCode::kPermissionDenied:
      return "42501";  // insufficient_privilege
    case StatusCode::kCancelled:
    case StatusCode::kDeadlineExceeded:  // PostgreSQL's statement_timeout is 57014 too
      return sqlstate::kQueryCanceled;
    default:
      break;
  }
  return from_message.empty() ? sqlstate::kInternal : from_message;
}

// Finds DuckDB's "\nLINE n: <excerpt>\n<spaces>^" block; removes it from `message` and returns
// the 1-based character position it points at in `sql`, or 0.
int32_t ExtractPosition(std::string* message, std::string_view sql) {
  size_t line_at = message->find("\nLINE ");
  if (line_at == std::string::npos) return 0;
  size_t colon = message->find(": ", line_at);
  size_t excerpt_end = message->find('\n', line_at + 1);
  if (colon == std::string::npos || excerpt_end == std::string::npos || colon > excerpt_end) return 0;
  size_t excerpt_begin = colon + 2;
  size_t caret_line_end = message->find('\n', excerpt_end + 1);
  std::string_view caret_line = std::string_view(*message).substr(
      excerpt_end + 1, caret_line_end == std::string::npos ? std::string::npos : caret_line_end - excerpt_end - 1);
  size_t caret = caret_line.find('^');
  if (caret == std::string_view::npos) return 0;
  // The message may quote the statement, which may hold "\nLINE x: " itself: not a number, no position.
  const std::optional<size_t> line_no =
      ParseInteger<size_t>(std::string_view(*message).substr(line_at + 6, colon - line_at - 6));
  if (!line_no) return 0;
  std::string_view excerpt = std::string_view(*message).substr(excerpt_begin, excerpt_end - excerpt_begin);
  size_t prefix = excerpt_begin - (line_at + 1);  // width of "LINE n: "
  if (caret < prefix) return 0;
  size_t caret_in_excerpt = caret - prefix;
  size_t dots = 0;
  if (excerpt.starts_with("...")) {
    dots = 3;
    excerpt.remove_prefix(3);
  }
  if (excerpt.ends_with("...")) excerpt.remove_suffix(3);
  // The excerpt's line in `sql`.
  size_t line_start = 0;
  for (size_t n = 1; n < *line_no && line_start != std::string_view::npos; ++n) {
    line_start = sql.find('\n', line_start);
    if (line_start != std::string_view::npos) ++line_start;
  }
  int32_t position = 0;
  size_t found = line_start == std::string_view::npos ? std::string_view::npos : sql.find(excerpt, line_start);
  if (found != std::string_view::npos && caret_in_excerpt >= dots) {
    size_t byte = found + caret_in_excerpt - dots;
    // PostgreSQL counts characters, not bytes: skip UTF-8 continuation bytes.
    for (size_t i = 0; i < byte && i < sql.size(); ++i) {
      if ((static_cast<unsigned char>(sql[i]) & 0xC0) != 0x80) ++position;
    }
    ++position;
  }
  message->erase(line_at, caret_line_end == std::string::npos ? std::string::npos : caret_line_end - line_at);
  while (!message->empty() && (message->back() == '\n' || message->back() == ' ')) message->pop_back();
  return position;
}

}  // namespace

PgError MakeError(std::string_view sqlstate, std::string message, std::string_view severity) {
  PgError e;
  e.severity = std::string(severity);
  e.sqlstate = std::string(sqlstate);
  e.message = std::move(message);
  return e;
}

PgError ErrorFromStatus(const Status& status, std::string_view sql) {
  PgError e;
  e.sqlstate = std::string(SqlStateOf(status));
  e.message = status.message();
  e.position = ExtractPosition(&e.message, sql);
  if (e.message.empty()) e.message = status.ToString();
  return e;
}

}  // namespace lagoa::pg::pg
