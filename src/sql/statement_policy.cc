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

// Table functions that switch DuckDB's log, which every session shares, and those that run SQL
// given as a string (which no check here reads).
constexpr std::array<std::string_view, 5> kRefusedFunctions = {"enable_logging", "disable_logging",
                                                               "truncate_duckdb_logs", "query", "query_table"};

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
  const bool time_zone = tokens[at].Is("TIME") && at + 1 < tokens.size() && tokens[at + 1].Is("ZONE");
  const std::string_view name = time_zone ? "timezone" : std::string_view(tokens[at].text);
  const auto allowed = [&](std::string_view setting) { return schema::EqualsIgnoreCase(name, setting); };
  if (std::any_of(kSessionSettings.begin(), kSessionSettings.end(), allowed)) return Status::Ok();
  return Refuse(fmt::format(
      "setting \"{}\" cannot be changed by a client: it reaches the whole server, its files or its output; a "
      "session may SET {}",
      tokens[at].text, fmt::join(kSessionSettings, ", ")));
}

// The text of a plain '…' string literal token, its doubled quotes undone; nullopt for anything
// else (E'…', $$…$$, a name, an expression).
std::optional<std::string> StringLiteral(const SqlToken& token) {
  return token.kind == SqlToken::Kind::kQuoted ? PlainStringValue(token.text) : std::nullopt;
}

// A write's target: a string literal naming a place under `files_dir`.
// The target is tokens[at]; it must be a plain literal standing alone (not E'…' or U&'…', not
// continued by another literal), and the options after it must not move the file elsewhere.
Status CheckWriteTarget(std::string_view what, const std::vector<SqlToken>& tokens, size_t at,
                        const std::filesystem::path& files_dir) {
  const SqlToken* target = at < tokens.size() ? &tokens[at] : nullptr;
  std::optional<std::string> path = target != nullptr ? StringLiteral(*target) : std::nullopt;
  const bool prefixed = target != nullptr && at > 0 &&
                        (tokens[at - 1].kind == SqlToken::Kind::kWord || tokens[at - 1].text == "&") &&
                        tokens[at - 1].end == target->begin;
  const bool continued = at + 1 < tokens.size() && tokens[at + 1].kind == SqlToken::Kind::kQuoted;
  if (prefixed || continued) path.reset();
  for (size_t i = at + 1; path && i + 1 < tokens.size(); ++i) {
    // FILENAME_PATTERN and FILE_EXTENSION are joined onto the path as they are.
    if (!tokens[i].Is("FILENAME_PATTERN") && !tokens[i].Is("FILE_EXTENSION")) continue;
    const size_t value = tokens[i + 1].text == "=" && i + 2 < tokens.size() ? i + 2 : i + 1;
    const std::string text = tokens[value].text;
    if (text.find('/') != std::string::npos || text.find('\\') != std::string::npos ||
        text.find("..") != std::string::npos) {
      return Refuse(fmt::format("{}: {} may not hold '/', '\\' or '..'", what, tokens[i].text));
    }
  }
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
// DuckDB keeps inside the allowed folders. A COPY with neither is not one lagoa can read: refused.
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
    if (token.Is("TO")) return CheckWriteTarget("COPY … TO", tokens, i + 1, files_dir);
    if (token.Is("FROM")) return Status::Ok();
  }
  return Refuse("a COPY statement lagoa cannot read: expected COPY … FROM 'file' or COPY … TO 'file'");
}

// EXPORT DATABASE [name] 'directory' [(options)].
Status CheckExport(const std::vector<SqlToken>& tokens, const std::filesystem::path& files_dir) {
  const auto literal =
      std::find_if(tokens.begin(), tokens.end(), [](const SqlToken& t) { return t.kind == SqlToken::Kind::kQuoted; });
  return CheckWriteTarget("EXPORT DATABASE", tokens, static_cast<size_t>(literal - tokens.begin()), files_dir);
}

// A call of one of kRefusedFunctions: its name, then '('.
Status CheckFunctions(const std::vector<SqlToken>& tokens) {
  for (size_t i = 0; i + 1 < tokens.size(); ++i) {
    const SqlToken& token = tokens[i];
    if (!token.IsName() || tokens[i + 1].kind != SqlToken::Kind::kSymbol || tokens[i + 1].text != "(") continue;
    for (std::string_view refused : kRefusedFunctions) {
      if (schema::EqualsIgnoreCase(token.text, refused)) {
        return Refuse(fmt::format(
            "{}() is refused: DuckDB's log is shared by every client of the server, and SQL given as a string is "
            "not checked",
            refused));
      }
    }
  }
  return Status::Ok();
}

// EXPLAIN [ANALYZE] [(options)] statement: EXPLAIN ANALYZE runs the statement, so it is checked as
// that statement; only queries and DML may be explained.
Status CheckExplain(std::string_view statement, const std::vector<SqlToken>& tokens) {
  size_t at = 1;
  if (at < tokens.size() && tokens[at].Is("ANALYZE")) ++at;
  if (at < tokens.size() && tokens[at].kind == SqlToken::Kind::kSymbol && tokens[at].text == "(") {
    for (int depth = 0; at < tokens.size(); ++at) {  // the options' parentheses
      if (tokens[at].kind == SqlToken::Kind::kSymbol)
        depth += tokens[at].text == "(" ? 1 : tokens[at].text == ")" ? -1 : 0;
      if (depth == 0) break;
    }
    ++at;
  }
  if (at >= tokens.size()) return Refuse("an EXPLAIN statement lagoa cannot read; write EXPLAIN [ANALYZE] query");
  const std::vector<SqlToken> inner = LeadingTokens(statement.substr(tokens[at].begin), SIZE_MAX);
  static constexpr std::array<std::string_view, 8> kExplainable = {"SELECT", "WITH",   "FROM",   "VALUES",
                                                                   "TABLE",  "INSERT", "UPDATE", "DELETE"};
  const bool query = inner[0].text == "(" || std::any_of(kExplainable.begin(), kExplainable.end(),
                                                         [&](std::string_view word) { return inner[0].Is(word); });
  if (!query) return Refuse("EXPLAIN explains queries and INSERT, UPDATE and DELETE only");
  return CheckFunctions(inner);
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
  if (statement.empty()) return Refuse("lagoa could not read this statement's text; send it alone");
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
    case DUCKDB_STATEMENT_TYPE_EXPLAIN:
      return CheckExplain(statement, LeadingTokens(statement, SIZE_MAX));
    case DUCKDB_STATEMENT_TYPE_PREPARE:
      return CheckPrepare(statement, LeadingTokens(statement, SIZE_MAX), files_dir);
    default: {
      // Most statements name none of them: no tokens are read for those.
      const auto mentioned = [&](std::string_view name) { return Mentions(statement, name); };
      if (std::none_of(kRefusedFunctions.begin(), kRefusedFunctions.end(), mentioned)) return Status::Ok();
      return CheckFunctions(LeadingTokens(statement, SIZE_MAX));
    }
  }
}

}  // namespace lagoa::sql::internal
