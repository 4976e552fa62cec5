// Light lexical helpers over SQL text for the PostgreSQL front door: splitting a simple-query
// text into its statements and reading their leading keywords, to derive command tags
// ("CREATE TABLE", "BEGIN") and the transaction status, which the engine's StatementKind alone
// does not tell. Not a parser: quotes ('…', "…", E'…', $tag$…$tag$) and comments (--, /* */,
// nested) are skipped so that a ';' or keyword inside them is not taken for one.
// Threads: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace lagoa::serve::pg {

// The statements of `sql`, each without its ';' and surrounding white space; empty statements
// (";;", comment-only) are dropped.
std::vector<std::string_view> SplitStatements(std::string_view sql);

// The first `count` keywords (identifier-like words) of a statement, upper-cased, after comments.
std::vector<std::string> LeadingKeywords(std::string_view statement, size_t count);

// The text of `statement` with comments removed, white space runs collapsed to one space, and
// trimmed; quoted text is kept as is. Used to recognize known client queries.
std::string NormalizeSql(std::string_view statement);

// `statement` with each parameter $n (outside quotes and comments) for which `types[n - 1]` is
// not empty written as CAST($n AS <that type>); other parameters are left as they are.
std::string CastParameters(std::string_view statement, const std::vector<std::string>& types);

}  // namespace lagoa::serve::pg
