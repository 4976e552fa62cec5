// The statements a SQL client may not run (statement_policy_internal.h).
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/file_util.h"
#include "schema/schema.h"
#include "sql/sql_text.h"
#include "sql/statement_policy_internal.h"

namespace lagoa::sql::internal {
namespace {

// Settings a session may change: they change how its own statements read and show values, and
// nothing else. Every other setting is the server's (its configuration sets them).
constexpr std::array<std::string_view, 7> kSessionSettings = {
    "timezone", "calendar", "search_path", "schema", "errors_as_json", "explain_output", "lambda_syntax",
};

// Table functions that switch DuckDB's log, which every session shares.
constexpr std::array<std::string_view, 3> kRefusedFunctions = {"enable_logging", "disable_logging",
                                                               "truncate_duckdb_logs"};

std::string Lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

Status Refuse(std::string message) { return Status::PermissionDenied(std::move(message)); }

// SET [GLOBAL|SESSION|LOCAL] name …, RESET [scope] name, PRAGMA name = …, USE …, SET VARIABLE ….
Status CheckSetting(const std::vector<SqlToken>& tokens) {
  size_t at = 0;
  if (tokens.empty()) return Refuse("a SET statement lagoa cannot read; write SET name = value");
  if (tokens[0].Is("USE")) return Status::Ok();  // the session's default schema
  ++at;
  if (at < tokens.size() && tokens[at].Is("VARIABLE")) return Status::Ok();  // the session's own variables
  if (at < tokens.size() && tokens[at].Is("GLOBAL")) {
    return Refuse(
        "SET GLOBAL and RESET GLOBAL are refused: settings of the whole database are the server's configuration "
        "(sql_memory_limit, sql_threads …), shared by every client; SET changes this session only");
  }
  if (at < tokens.size() && (tokens[at].Is("SESSION") || tokens[at].Is("LOCAL"))) ++at;
  if (at >= tokens.size() || !tokens[at].IsName()) {
    return Refuse("a SET or RESET statement lagoa cannot read; write SET name = value or RESET name");
  }
  std::string name = Lower(tokens[at].text);
  if (name == "time" && at + 1 < tokens.size() && tokens[at + 1].Is("ZONE")) name = "timezone";
  if (std::find(kSessionSettings.begin(), kSessionSettings.end(), name) != kSessionSettings.end()) {
    return Status::Ok();
  }
  return Refuse(fmt::format(
      "setting \"{}\" cannot be changed by a client: it reaches the whole server, its files or its output; a "
      "session may SET {}",
      tokens[at].text, fmt::join(kSessionSettings, ", ")));
}

// The text of a plain '…' string literal token, its doubled quotes undone; nullopt for anything
// else (E'…', $$…$$, a name, an expression).
std::optional<std::string> StringLiteral(const SqlToken& token) {
  const std::string& t = token.text;
  if (token.kind != SqlToken::Kind::kQuoted || t.size() < 2 || t.front() != '\'' || t.back() != '\'') {
    return std::nullopt;
  }
  std::string value;
  for (size_t i = 1; i + 1 < t.size(); ++i) {
    value.push_back(t[i]);
    if (t[i] == '\'') ++i;
  }
  return value;
}

// A write's target: a string literal naming a place under `files_dir`.
Status CheckWriteTarget(std::string_view what, const SqlToken* target, const std::filesystem::path& files_dir) {
  const std::optional<std::string> path = target != nullptr ? StringLiteral(*target) : std::nullopt;
  if (!path) {
    return Refuse(fmt::format("{} must name its file as a string literal under the import/export folder {} ('{}/…')",
                              what, files_dir.string(), files_dir.string()));
  }
  // Relative to the server's working directory, as DuckDB reads it.
  if (files_dir.empty() || !IsPathUnder(*path, files_dir)) {
    return Refuse(fmt::format("{} may write only under the import/export folder {}; '{}' is outside it", what,
                              files_dir.empty() ? "(none is configured)" : files_dir.string(), *path));
  }
  return Status::Ok();
}

// COPY … TO 'file': the first TO outside parentheses, then the file. COPY … FROM reads, which
// DuckDB keeps inside the allowed folders.
Status CheckCopy(const std::vector<SqlToken>& tokens, const std::filesystem::path& files_dir) {
  int depth = 0;
  for (size_t i = 1; i < tokens.size(); ++i) {
    const SqlToken& token = tokens[i];
    if (token.kind == SqlToken::Kind::kSymbol && token.text == "(") ++depth;
    if (token.kind == SqlToken::Kind::kSymbol && token.text == ")") --depth;
    if (depth != 0) continue;
    if (token.Is("FROM") && i + 1 < tokens.size() && tokens[i + 1].Is("DATABASE")) {
      return Refuse("COPY FROM DATABASE is refused: lagoa's SQL clients cannot attach databases");
    }
    if (token.Is("TO"))
      return CheckWriteTarget("COPY … TO", i + 1 < tokens.size() ? &tokens[i + 1] : nullptr, files_dir);
  }
  return Status::Ok();
}

// EXPORT DATABASE [name] 'directory' [(options)].
Status CheckExport(const std::vector<SqlToken>& tokens, const std::filesystem::path& files_dir) {
  const auto literal =
      std::find_if(tokens.begin(), tokens.end(), [](const SqlToken& t) { return t.kind == SqlToken::Kind::kQuoted; });
  return CheckWriteTarget("EXPORT DATABASE", literal != tokens.end() ? &*literal : nullptr, files_dir);
}

Status CheckFunctions(const std::vector<SqlToken>& tokens) {
  for (const SqlToken& token : tokens) {
    if (token.kind != SqlToken::Kind::kWord && token.kind != SqlToken::Kind::kQuotedIdentifier) continue;
    for (std::string_view refused : kRefusedFunctions) {
      if (schema::EqualsIgnoreCase(token.text, refused)) {
        return Refuse(fmt::format("{} is refused: DuckDB's log is shared by every client of the server", refused));
      }
    }
  }
  return Status::Ok();
}

// PREPARE name [(types)] AS statement: what is prepared is checked now, as if it ran (DuckDB
// prepares SELECT, INSERT, UPDATE, DELETE and COPY so); EXECUTE then runs what was checked.
Status CheckPrepare(std::string_view statement, const std::vector<SqlToken>& tokens,
                    const std::filesystem::path& files_dir) {
  int depth = 0;
  for (size_t i = 1; i < tokens.size(); ++i) {
    const SqlToken& token = tokens[i];
    if (token.kind == SqlToken::Kind::kSymbol && token.text == "(") ++depth;
    if (token.kind == SqlToken::Kind::kSymbol && token.text == ")") --depth;
    if (depth != 0 || !token.Is("AS")) continue;
    const std::vector<SqlToken> prepared = LeadingTokens(statement.substr(token.end), SIZE_MAX);
    if (!prepared.empty() && prepared[0].Is("COPY")) return CheckCopy(prepared, files_dir);
    return CheckFunctions(prepared);
  }
  return Refuse("a PREPARE statement lagoa cannot read; write PREPARE name AS statement");
}

}  // namespace

Status CheckStatementAllowed(duckdb_statement_type type, std::string_view statement,
                             const std::filesystem::path& files_dir) {
  const bool needs_text = type == DUCKDB_STATEMENT_TYPE_SET || type == DUCKDB_STATEMENT_TYPE_COPY ||
                          type == DUCKDB_STATEMENT_TYPE_EXPORT || type == DUCKDB_STATEMENT_TYPE_PREPARE;
  if (needs_text && statement.empty()) {
    return Refuse(
        "lagoa could not tell this SET, COPY, EXPORT or PREPARE statement from the others in the text; send it alone");
  }
  switch (type) {
    case DUCKDB_STATEMENT_TYPE_ATTACH:
    case DUCKDB_STATEMENT_TYPE_DETACH:
      return Refuse(
          "ATTACH and DETACH are refused: SQL clients read lagoa's streams and tables; attach a Delta "
          "table with `lagoa table attach` or POST /v1/tables");
    case DUCKDB_STATEMENT_TYPE_LOAD:
    case DUCKDB_STATEMENT_TYPE_EXTENSION:
      return Refuse("INSTALL and LOAD are refused: lagoa runs the extensions its DuckDB ships (parquet, json, icu)");
    case DUCKDB_STATEMENT_TYPE_PRAGMA:
      return Refuse(
          "this PRAGMA is refused: it changes the whole database; PRAGMAs that read (table_info, show_tables, "
          "version …) and SET of a session setting are allowed");
    case DUCKDB_STATEMENT_TYPE_SET:
      return CheckSetting(LeadingTokens(statement, 8));
    case DUCKDB_STATEMENT_TYPE_COPY:
      return CheckCopy(LeadingTokens(statement, SIZE_MAX), files_dir);
    case DUCKDB_STATEMENT_TYPE_EXPORT:
      return CheckExport(LeadingTokens(statement, SIZE_MAX), files_dir);
    case DUCKDB_STATEMENT_TYPE_PREPARE:
      return CheckPrepare(statement, LeadingTokens(statement, SIZE_MAX), files_dir);
    default:
      return CheckFunctions(LeadingTokens(statement, SIZE_MAX));
  }
}

}  // namespace lagoa::sql::internal
