#include <fmt/format.h>

#include <cctype>
#include <cstdint>
#include <vector>

#include "sql/lake_write_internal.h"
#include "sql/sql_text.h"

namespace lagoa::sql::internal {
namespace {

// Enough tokens for the longest head: ALTER TABLE NAME ADD COLUMN IF NOT EXISTS NAME.
constexpr size_t kHeadTokens = 12;

class Head {
 public:
  explicit Head(std::string_view statement) : statement_(statement), tokens_(LeadingTokens(statement, kHeadTokens)) {}

  bool Is(size_t i, std::string_view keyword) const { return i < tokens_.size() && tokens_[i].Is(keyword); }
  bool IsSymbol(size_t i, char c) const {
    return i < tokens_.size() && tokens_[i].kind == SqlToken::Kind::kSymbol && tokens_[i].text[0] == c;
  }
  // Token i is an unqualified name (not followed by '.').
  bool IsPlainName(size_t i) const { return i < tokens_.size() && tokens_[i].IsName() && !IsSymbol(i + 1, '.'); }
  const std::string& Text(size_t i) const { return tokens_[i].text; }
  // Whether the statement has no token i (comments are no tokens).
  bool End(size_t i) const { return i >= tokens_.size(); }
  // The statement's text from token i on ("" past the last token), without comments: it is
  // embedded in other SQL (a line comment would swallow what follows it there).
  std::string RestFrom(size_t i) const {
    return i < tokens_.size() ? NormalizeSql(statement_.substr(tokens_[i].begin)) : std::string();
  }
  // The statement's text after token i, the same way.
  std::string RestAfter(size_t i) const { return NormalizeSql(statement_.substr(tokens_[i].end)); }
  // Whether, from token i on and outside parentheses, FROM comes before any TO (COPY t (a) FROM …).
  bool HasFromBeforeTo(size_t i) const {
    int depth = 0;
    for (const SqlToken& token : LeadingTokens(statement_, SIZE_MAX)) {
      if (i > 0) {
        --i;
        continue;
      }
      if (token.kind == SqlToken::Kind::kSymbol) depth += token.text == "(" ? 1 : token.text == ")" ? -1 : 0;
      if (depth != 0) continue;
      if (token.Is("TO")) return false;
      if (token.Is("FROM")) return true;
    }
    return false;
  }

 private:
  std::string_view statement_;
  std::vector<SqlToken> tokens_;
};

LakeWriteText Refused(std::string table, std::string why) {
  return {LakeWriteKind::kRefused, std::move(table), false, "", "", std::move(why)};
}

// UPDATE NAME SET assignments [WHERE predicate]: the clauses split at their keywords outside
// parentheses.
LakeWriteText RecognizeUpdate(std::string_view statement, const std::string& table) {
  const std::vector<SqlToken> tokens = LeadingTokens(statement, SIZE_MAX);
  if (tokens.size() < 3 || !tokens[2].Is("SET")) {
    return Refused(table, fmt::format("UPDATE \"{}\": expected SET after the table's name (no alias)", table));
  }
  LakeWriteText write{LakeWriteKind::kUpdate, table, false, "", "", ""};
  int depth = 0;
  size_t set_end = statement.size();
  for (size_t i = 3; i < tokens.size(); ++i) {
    const SqlToken& token = tokens[i];
    if (token.kind == SqlToken::Kind::kSymbol) depth += token.text == "(" ? 1 : token.text == ")" ? -1 : 0;
    if (depth != 0) continue;
    // UPDATE … FROM comes before the WHERE (a FROM inside the condition, IS DISTINCT FROM, is fine).
    const bool from = token.Is("FROM") && !write.has_where && !tokens[i - 1].Is("DISTINCT");
    if (from || token.Is("RETURNING")) {
      return Refused(table, fmt::format("UPDATE \"{}\": {} is not supported for lake tables", table, token.text));
    }
    if (token.Is("WHERE") && !write.has_where) {
      write.has_where = true;
      set_end = token.begin;
      write.predicate = NormalizeSql(statement.substr(token.end));
    }
  }
  write.rest = NormalizeSql(statement.substr(tokens[2].end, set_end - tokens[2].end));
  return write;
}

std::optional<LakeWriteText> RecognizeCreate(const Head& h) {
  const bool or_replace = h.Is(1, "OR") && h.Is(2, "REPLACE");
  if (h.Is(1, "STREAM")) {
    const bool if_not_exists = h.Is(2, "IF") && h.Is(3, "NOT") && h.Is(4, "EXISTS");
    const size_t name = if_not_exists ? 5 : 2;
    if (!h.IsPlainName(name)) return Refused("", "CREATE STREAM: expected the stream's name (one identifier)");
    return LakeWriteText{LakeWriteKind::kCreateStream, h.Text(name), if_not_exists, h.RestAfter(name), "", ""};
  }
  const size_t table = or_replace ? 3 : 1;
  if (!h.Is(table, "TABLE")) return std::nullopt;
  size_t name = table + 1;
  const bool if_not_exists = h.Is(name, "IF") && h.Is(name + 1, "NOT") && h.Is(name + 2, "EXISTS");
  if (if_not_exists) name += 3;
  if (!h.IsPlainName(name)) return std::nullopt;
  if (or_replace && if_not_exists) {
    return Refused(h.Text(name), "CREATE OR REPLACE TABLE … IF NOT EXISTS: choose one of OR REPLACE and IF NOT EXISTS");
  }
  LakeWriteText write{LakeWriteKind::kCreateTable, h.Text(name), if_not_exists, h.RestAfter(name), "", ""};
  write.or_replace = or_replace;
  if (h.Is(name + 1, "AS")) {
    write.kind = LakeWriteKind::kCreateTableAs;
  } else if (!h.IsSymbol(name + 1, '(')) {
    return Refused(write.table, fmt::format("CREATE TABLE \"{}\": expected a column list \"(name TYPE, …)\" or "
                                            "\"AS query\" after the table's name",
                                            write.table));
  }
  return write;
}

}  // namespace

Result<MergeText> ParseMerge(std::string_view statement, const std::string& table) {
  const std::vector<SqlToken> tokens = LeadingTokens(statement, SIZE_MAX);
  const auto is = [&](size_t i, std::string_view keyword) { return i < tokens.size() && tokens[i].Is(keyword); };
  const auto symbol = [&](size_t i, char c) {
    return i < tokens.size() && tokens[i].kind == SqlToken::Kind::kSymbol && tokens[i].text[0] == c;
  };
  const auto name = [&](size_t i) { return i < tokens.size() && tokens[i].IsName(); };
  const auto expected = [&](size_t i, std::string_view what) {
    return Status::InvalidArgument(fmt::format("MERGE INTO \"{}\": expected {}, found {}", table, what,
                                               i < tokens.size() ? "`" + tokens[i].text + "`" : "the end"));
  };
  // An optional [AS] alias at i that is not one of `stops`; advances i past it.
  const auto alias = [&](size_t& i, std::initializer_list<std::string_view> stops) -> std::optional<std::string> {
    if (is(i, "AS")) {
      if (!name(i + 1)) return std::nullopt;
      i += 2;
      return tokens[i - 1].text;
    }
    if (!name(i)) return std::nullopt;
    for (std::string_view stop : stops) {
      if (is(i, stop)) return std::nullopt;
    }
    return tokens[i++].text;
  };
  MergeText merge;
  size_t i = 3;  // MERGE INTO NAME
  if (is(i, "AS") && !name(i + 1)) return expected(i + 1, "the table's alias after AS");
  merge.target_alias = alias(i, {"USING"}).value_or(table);
  if (!is(i, "USING")) return expected(i, "USING and the source after the table");
  ++i;
  if (symbol(i, '(')) {
    const size_t open = i;
    for (int depth = 0; i < tokens.size(); ++i) {
      if (symbol(i, '(')) ++depth;
      if (symbol(i, ')') && --depth == 0) break;
    }
    if (i >= tokens.size()) return expected(i, "`)` closing the source query");
    merge.source_query = NormalizeSql(statement.substr(tokens[open].end, tokens[i].begin - tokens[open].end));
    ++i;
  } else if (name(i)) {
    const size_t first = i;
    while (symbol(i + 1, '.') && name(i + 2)) i += 2;
    merge.source_alias = tokens[i].text;
    merge.source_query =
        "SELECT * FROM " + std::string(statement.substr(tokens[first].begin, tokens[i].end - tokens[first].begin));
    ++i;
  } else {
    return expected(i, "the source after USING: a table's name or a query in parentheses");
  }
  if (is(i, "AS") && !name(i + 1)) return expected(i + 1, "the source's alias after AS");
  if (std::optional<std::string> source_alias = alias(i, {"ON", "USING"})) merge.source_alias = *source_alias;
  if (!is(i, "ON") && !is(i, "USING")) return expected(i, "ON condition or USING (columns) after the source");
  merge.match = NormalizeSql(statement.substr(tokens[i].begin));
  if (is(i, "USING")) {
    if (!symbol(++i, '(')) return expected(i, "`(` and the columns to match on after USING");
    do {
      if (!name(++i)) return expected(i, "a column's name in USING (…)");
      merge.keys.push_back(tokens[i].text);
    } while (symbol(++i, ','));
    if (!symbol(i++, ')')) return expected(i - 1, "`)` or `,` in USING (…)");
  }
  int depth = 0;
  for (; i < tokens.size(); ++i) {
    if (tokens[i].kind == SqlToken::Kind::kSymbol) depth += tokens[i].text == "(" ? 1 : tokens[i].text == ")" ? -1 : 0;
    if (depth != 0) continue;
    if (is(i, "RETURNING")) {
      return Status::InvalidArgument(
          fmt::format("MERGE INTO \"{}\": RETURNING is not supported for lake tables", table));
    }
    if (is(i, "BY") && is(i + 1, "SOURCE")) merge.by_source = true;
  }
  return merge;
}

std::optional<LakeWriteText> RecognizeLakeWrite(std::string_view statement,
                                                const std::function<bool(std::string_view)>& is_lake_table,
                                                const std::function<bool(std::string_view)>& is_stream) {
  const Head h(statement);
  if (is_stream && h.Is(0, "INSERT") && h.Is(1, "INTO") && h.IsPlainName(2) && is_stream(h.Text(2))) {
    return LakeWriteText{LakeWriteKind::kInsertStream, h.Text(2), false, h.RestAfter(2), "", ""};
  }
  const size_t changed = h.Is(0, "UPDATE") ? 1 : h.Is(0, "DELETE") && h.Is(1, "FROM") ? 2 : 0;
  if (is_stream && changed > 0 && h.IsPlainName(changed) && is_stream(h.Text(changed))) {
    return Refused(h.Text(changed), fmt::format("stream \"{}\" is append-only: its events are never updated or deleted "
                                                "(INSERT appends events)",
                                                h.Text(changed)));
  }
  const auto lake = [&](size_t i) { return h.IsPlainName(i) && is_lake_table(h.Text(i)); };
  if (h.Is(0, "CREATE")) return RecognizeCreate(h);
  if (h.Is(0, "INSERT") && h.Is(1, "INTO") && lake(2)) {
    return LakeWriteText{LakeWriteKind::kInsert, h.Text(2), false, h.RestAfter(2), "", ""};
  }
  if (h.Is(0, "COPY") && lake(1)) {
    // COPY NAME [(columns)] TO … reads the table: DuckDB's (and the statement policy's).
    if (!h.HasFromBeforeTo(2)) return std::nullopt;
    return LakeWriteText{LakeWriteKind::kCopyFrom, h.Text(1), false, h.RestAfter(1), "", ""};
  }
  if (h.Is(0, "DELETE") && h.Is(1, "FROM") && lake(2)) {
    LakeWriteText write{LakeWriteKind::kDelete, h.Text(2), false, "", "", ""};
    if (h.Is(3, "WHERE")) {
      write.has_where = true;
      write.rest = h.RestAfter(3);
    } else if (!h.End(3)) {
      return Refused(write.table, fmt::format("DELETE FROM \"{}\": only a WHERE clause may follow the table's name "
                                              "(no alias, USING or RETURNING)",
                                              write.table));
    }
    return write;
  }
  if (h.Is(0, "MERGE") && h.Is(1, "INTO") && lake(2)) {
    return LakeWriteText{LakeWriteKind::kMerge, h.Text(2), false, h.RestFrom(0), "", ""};
  }
  if (h.Is(0, "TRUNCATE")) {
    const size_t name = h.Is(1, "TABLE") ? 2 : 1;
    if (lake(name)) return LakeWriteText{LakeWriteKind::kDelete, h.Text(name), false, "", "", ""};
    return std::nullopt;
  }
  if (h.Is(0, "UPDATE") && lake(1)) return RecognizeUpdate(statement, h.Text(1));
  if (h.Is(0, "ALTER") && h.Is(1, "TABLE") && lake(2)) {
    size_t at = 3;
    if (!h.Is(at++, "ADD")) {
      return Refused(h.Text(2), fmt::format("ALTER TABLE \"{}\": lake tables support only ADD COLUMN", h.Text(2)));
    }
    if (h.Is(at, "COLUMN")) ++at;
    LakeWriteText write{LakeWriteKind::kAddColumn, h.Text(2), false, "", "", ""};
    if (h.Is(at, "IF") && h.Is(at + 1, "NOT") && h.Is(at + 2, "EXISTS")) {
      write.if_exists = true;
      at += 3;
    }
    write.rest = h.RestFrom(at);
    return write;
  }
  if (h.Is(0, "DROP") && h.Is(1, "STREAM")) {
    const bool if_exists = h.Is(2, "IF") && h.Is(3, "EXISTS");
    const size_t name = if_exists ? 4 : 2;
    if (!h.IsPlainName(name) || !h.End(name + 1)) {
      return Refused("", "DROP STREAM: expected one stream's name");
    }
    return LakeWriteText{LakeWriteKind::kDropStream, h.Text(name), if_exists, "", "", ""};
  }
  if (h.Is(0, "DROP") && h.Is(1, "TABLE")) {
    const bool if_exists = h.Is(2, "IF") && h.Is(3, "EXISTS");
    const size_t name = if_exists ? 4 : 2;
    if (!lake(name)) return std::nullopt;
    if (!h.End(name + 1)) {
      return Refused(h.Text(name), "DROP TABLE of a lake table: name one table, without CASCADE or RESTRICT");
    }
    return LakeWriteText{LakeWriteKind::kDropTable, h.Text(name), if_exists, "", "", ""};
  }
  return std::nullopt;
}

}  // namespace lagoa::sql::internal
