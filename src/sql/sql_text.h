// Light lexical helpers over SQL text: splitting a text into its statements, reading their leading
// keywords and tokens — for the engine, to recognize writes to lake tables (lake_write_internal.h), and for
// the PostgreSQL front door, to derive command tags ("CREATE TABLE", "BEGIN") and the transaction
// status, which the engine's StatementKind alone does not tell. Not a parser: quotes ('…', "…", E'…', $tag$…$tag$) and
// comments (--, /* */, nested) are skipped so that a ';' or keyword inside them is not taken for one. Threads: pure
// functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lagoa::sql {

// The statements of `sql`, each without its ';' and surrounding white space; empty statements
// (";;", comment-only) are dropped.
std::vector<std::string_view> SplitStatements(std::string_view sql);

// The first `count` keywords (identifier-like words) of a statement, upper-cased, after comments.
std::vector<std::string> LeadingKeywords(std::string_view statement, size_t count);

// One token of a statement: a word (keyword or plain identifier, `text` as written), a quoted
// identifier (`text` without its quotes, doubled quotes undone), a string or other quoted token,
// or one punctuation character. `begin`/`end` are byte offsets into the statement.
struct SqlToken {
  enum class Kind : uint8_t { kWord, kQuotedIdentifier, kQuoted, kSymbol };
  Kind kind;
  std::string text;
  size_t begin = 0;
  size_t end = 0;

  // A word equal to `keyword` ignoring case (`keyword` upper case).
  bool Is(std::string_view keyword) const;
  // A word or quoted identifier: a name.
  bool IsName() const { return kind == Kind::kWord || kind == Kind::kQuotedIdentifier; }
};

// The first `count` tokens of `statement`, comments and white space skipped.
std::vector<SqlToken> LeadingTokens(std::string_view statement, size_t count);

// Whether `text` holds `word` (given in lower case) anywhere, ignoring case: a cheap first look
// before reading tokens.
bool Mentions(std::string_view text, std::string_view word);

// The value of a plain '…' string literal (its doubled quotes undone), or nullopt for any other
// text (E'…', $$…$$, a name).
std::optional<std::string> PlainStringValue(std::string_view literal);

// The text of `statement` with comments removed, white space runs collapsed to one space, and
// trimmed; quoted text is kept as is. Used to recognize known client queries.
std::string NormalizeSql(std::string_view statement);

// How large a statement is where DuckDB's planning time grows fastest (README.md, "Limits"): read
// by lagoa's lexer in one pass over the text, before DuckDB's parser sees it (itself quadratic in
// the length of an OR chain). Quoted text and comments count for nothing.
struct StatementShape {
  size_t boolean_operators = 0;  // the keywords AND and OR (BETWEEN's AND included)
  size_t nesting_depth = 0;      // the deepest nesting of ( [ and {
  size_t lambda_depth = 0;       // the most lambdas (`->`, `LAMBDA`) inside one another
};
StatementShape MeasureStatement(std::string_view statement);

// `statement` with each parameter $n (outside quotes and comments) for which `types[n - 1]` is
// not empty written as CAST($n AS <that type>); other parameters are left as they are.
std::string CastParameters(std::string_view statement, const std::vector<std::string>& types);

}  // namespace lagoa::sql
