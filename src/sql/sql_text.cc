#include "sql/sql_text.h"

#include <algorithm>
#include <cctype>

#include "base/parse_number.h"

namespace lagoa::sql {
namespace {

bool IsIdentStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || (c & 0x80); }
bool IsIdentChar(char c) { return IsIdentStart(c) || std::isdigit(static_cast<unsigned char>(c)) || c == '$'; }
bool IsSpace(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

// If a comment or quoted token starts at `pos`, returns the position just after it (or the end
// of the text when it is unterminated); else returns `pos`.
size_t SkipQuotedOrComment(std::string_view s, size_t pos) {
  char c = s[pos];
  if (c == '-' && pos + 1 < s.size() && s[pos + 1] == '-') {
    // As DuckDB's (PostgreSQL's) scanner: a line comment ends at either line break.
    size_t end = s.find_first_of("\n\r", pos);
    return end == std::string_view::npos ? s.size() : end + 1;
  }
  if (c == '/' && pos + 1 < s.size() && s[pos + 1] == '*') {
    int depth = 0;
    size_t i = pos;
    while (i + 1 < s.size()) {
      if (s[i] == '/' && s[i + 1] == '*') {
        ++depth;
        i += 2;
      } else if (s[i] == '*' && s[i + 1] == '/') {
        i += 2;
        if (--depth == 0) return i;
      } else {
        ++i;
      }
    }
    return s.size();
  }
  if (c == '\'' || c == '"') {
    // E'…' strings may escape a quote with a backslash; doubled quotes work in all forms.
    // The E must stand alone: in LIKE'\' the quote follows a keyword, and the string is plain.
    bool backslash_escapes =
        c == '\'' && pos > 0 && (s[pos - 1] == 'E' || s[pos - 1] == 'e') && (pos < 2 || !IsIdentChar(s[pos - 2]));
    size_t i = pos + 1;
    while (i < s.size()) {
      if (backslash_escapes && s[i] == '\\') {
        i += 2;
      } else if (s[i] == c) {
        if (i + 1 < s.size() && s[i + 1] == c) {
          i += 2;
        } else {
          return i + 1;
        }
      } else {
        ++i;
      }
    }
    return s.size();
  }
  if (c == '$' && (pos == 0 || !IsIdentChar(s[pos - 1]))) {
    size_t tag_end = pos + 1;
    while (tag_end < s.size() && IsIdentChar(s[tag_end]) && s[tag_end] != '$') ++tag_end;
    if (tag_end < s.size() && s[tag_end] == '$' && (tag_end == pos + 1 || IsIdentStart(s[pos + 1]))) {
      std::string_view tag = s.substr(pos, tag_end - pos + 1);
      size_t close = s.find(tag, tag_end + 1);
      return close == std::string_view::npos ? s.size() : close + tag.size();
    }
  }
  return pos;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace

std::vector<std::string_view> SplitStatements(std::string_view sql) {
  std::vector<std::string_view> statements;
  size_t start = 0;
  bool has_content = false;  // something other than white space and comments since `start`
  size_t pos = 0;
  while (pos < sql.size()) {
    size_t skipped = SkipQuotedOrComment(sql, pos);
    if (skipped != pos) {
      if (sql[pos] != '-' && sql[pos] != '/') has_content = true;
      pos = skipped;
      continue;
    }
    if (sql[pos] == ';') {
      if (has_content) statements.push_back(Trim(sql.substr(start, pos - start)));
      start = pos + 1;
      has_content = false;
    } else if (!IsSpace(sql[pos])) {
      has_content = true;
    }
    ++pos;
  }
  if (has_content) statements.push_back(Trim(sql.substr(start)));
  return statements;
}

std::vector<std::string> LeadingKeywords(std::string_view statement, size_t count) {
  std::vector<std::string> words;
  size_t pos = 0;
  while (pos < statement.size() && words.size() < count) {
    size_t skipped = SkipQuotedOrComment(statement, pos);
    if (skipped != pos) {
      if (statement[pos] != '-' && statement[pos] != '/') break;  // a quoted token ends the keywords
      pos = skipped;
      continue;
    }
    if (IsIdentStart(statement[pos])) {
      size_t end = pos;
      while (end < statement.size() && IsIdentChar(statement[end])) ++end;
      std::string word(statement.substr(pos, end - pos));
      for (char& c : word) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      words.push_back(std::move(word));
      pos = end;
    } else if (IsSpace(statement[pos]) || statement[pos] == '(') {
      ++pos;
    } else {
      break;
    }
  }
  return words;
}

bool SqlToken::Is(std::string_view keyword) const {
  if (kind != Kind::kWord || text.size() != keyword.size()) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    if (std::toupper(static_cast<unsigned char>(text[i])) != keyword[i]) return false;
  }
  return true;
}

std::vector<SqlToken> LeadingTokens(std::string_view statement, size_t count) {
  std::vector<SqlToken> tokens;
  size_t pos = 0;
  while (pos < statement.size() && tokens.size() < count) {
    const char c = statement[pos];
    const size_t skipped = SkipQuotedOrComment(statement, pos);
    if (skipped != pos) {
      if (c == '-' || c == '/') {
        pos = skipped;
        continue;
      }
      SqlToken token{SqlToken::Kind::kQuoted, std::string(statement.substr(pos, skipped - pos)), pos, skipped};
      if (c == '"' && skipped >= pos + 2 && statement[skipped - 1] == '"') {
        token.kind = SqlToken::Kind::kQuotedIdentifier;
        token.text.clear();
        for (size_t i = pos + 1; i + 1 < skipped; ++i) {
          token.text.push_back(statement[i]);
          if (statement[i] == '"') ++i;  // "" is one quote
        }
      }
      tokens.push_back(std::move(token));
      pos = skipped;
    } else if (IsIdentStart(c)) {
      size_t end = pos;
      while (end < statement.size() && IsIdentChar(statement[end])) ++end;
      tokens.push_back({SqlToken::Kind::kWord, std::string(statement.substr(pos, end - pos)), pos, end});
      pos = end;
    } else if (IsSpace(c)) {
      ++pos;
    } else {
      tokens.push_back({SqlToken::Kind::kSymbol, std::string(1, c), pos, pos + 1});
      ++pos;
    }
  }
  return tokens;
}

StatementShape MeasureStatement(std::string_view statement) {
  StatementShape shape;
  // lambda_at[d]: a lambda starts at nesting depth d and its body is still open (it ends with the
  // bracket closing depth d). Each depth holds one lambda at a time: a second one there follows
  // the first, it is not inside it.
  std::vector<bool> lambda_at(1, false);
  size_t depth = 0;
  size_t lambdas_open = 0;
  const auto lambda_starts = [&] {
    if (lambda_at[depth]) return;
    lambda_at[depth] = true;
    shape.lambda_depth = std::max(shape.lambda_depth, ++lambdas_open);
  };
  size_t pos = 0;
  while (pos < statement.size()) {
    const size_t skipped = SkipQuotedOrComment(statement, pos);
    if (skipped != pos) {
      pos = skipped;
      continue;
    }
    const char c = statement[pos];
    if (IsIdentStart(c)) {
      size_t end = pos;
      while (end < statement.size() && IsIdentChar(statement[end])) ++end;
      const std::string_view word = statement.substr(pos, end - pos);
      const auto is = [&](std::string_view keyword) {
        return std::equal(word.begin(), word.end(), keyword.begin(), keyword.end(),
                          [](char a, char b) { return std::toupper(static_cast<unsigned char>(a)) == b; });
      };
      if (is("AND") || is("OR")) ++shape.boolean_operators;
      if (is("LAMBDA")) lambda_starts();
      pos = end;
      continue;
    }
    if (c == '(' || c == '[' || c == '{') {
      ++depth;
      shape.nesting_depth = std::max(shape.nesting_depth, depth);
      if (lambda_at.size() <= depth) lambda_at.push_back(false);
    } else if ((c == ')' || c == ']' || c == '}') && depth > 0) {
      if (lambda_at[depth]) --lambdas_open;
      lambda_at[depth] = false;
      --depth;
    } else if (c == '-' && pos + 1 < statement.size() && statement[pos + 1] == '>' &&
               (pos + 2 >= statement.size() || statement[pos + 2] != '>')) {  // `->>` is JSON's
      lambda_starts();
    }
    ++pos;
  }
  return shape;
}

std::string NormalizeSql(std::string_view statement) {
  std::string out;
  size_t pos = 0;
  bool pending_space = false;
  while (pos < statement.size()) {
    size_t skipped = SkipQuotedOrComment(statement, pos);
    if (skipped != pos) {
      if (statement[pos] == '-' || statement[pos] == '/') {
        pending_space = true;
      } else {
        if (pending_space && !out.empty()) out.push_back(' ');
        pending_space = false;
        out.append(statement.substr(pos, skipped - pos));
      }
      pos = skipped;
      continue;
    }
    if (IsSpace(statement[pos])) {
      pending_space = true;
    } else {
      if (pending_space && !out.empty()) out.push_back(' ');
      pending_space = false;
      out.push_back(statement[pos]);
    }
    ++pos;
  }
  while (!out.empty() && (out.back() == ';' || out.back() == ' ')) out.pop_back();
  return out;
}

bool Mentions(std::string_view text, std::string_view word) {
  return std::search(text.begin(), text.end(), word.begin(), word.end(),
                     [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; }) != text.end();
}

std::optional<std::string> PlainStringValue(std::string_view literal) {
  if (literal.size() < 2 || literal.front() != '\'' || literal.back() != '\'') return std::nullopt;
  std::string value;
  for (size_t i = 1; i + 1 < literal.size(); ++i) {
    value.push_back(literal[i]);
    if (literal[i] == '\'') ++i;  // '' is one quote
  }
  return value;
}

std::string CastParameters(std::string_view statement, const std::vector<std::string>& types) {
  std::string out;
  size_t pos = 0;
  while (pos < statement.size()) {
    size_t skipped = SkipQuotedOrComment(statement, pos);
    if (skipped != pos) {
      out.append(statement.substr(pos, skipped - pos));
      pos = skipped;
      continue;
    }
    const bool parameter = statement[pos] == '$' && (pos == 0 || !IsIdentChar(statement[pos - 1]));
    size_t end = pos + 1;
    while (parameter && end < statement.size() && std::isdigit(static_cast<unsigned char>(statement[end]))) ++end;
    if (end == pos + 1 || end - pos > 6) {  // not $n, or more parameters than the protocol allows
      out.append(statement.substr(pos, end - pos));
      pos = end;
      continue;
    }
    const std::string_view text = statement.substr(pos, end - pos);
    const size_t number = ParseInteger<size_t>(text.substr(1)).value_or(0);
    if (number >= 1 && number <= types.size() && !types[number - 1].empty()) {
      out += "CAST(" + std::string(text) + " AS " + types[number - 1] + ")";
    } else {
      out.append(text);
    }
    pos = end;
  }
  return out;
}

}  // namespace lagoa::sql
