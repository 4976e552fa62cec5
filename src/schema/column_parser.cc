// ParseType and ParseColumns: a small recursive-descent parser over DuckDB-style type names.
// Recursion is bounded by kTypeDepthMax, checked before descending.
#include <simdjson.h>

#include <fmt/format.h>

#include "schema/schema.h"

namespace lagoa::schema {
namespace {

constexpr std::string_view kExpectedTypes =
    "BOOLEAN, INTEGER, BIGINT, DOUBLE, DECIMAL(p,s), VARCHAR, DATE, TIMESTAMP, TIMESTAMPTZ, JSON, LIST(T) or "
    "T[], STRUCT(name T, ...)";

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
  return out;
}

bool IsIdentStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsIdentChar(char c) { return IsIdentStart(c) || (c >= '0' && c <= '9') || c == '$'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

struct Token {
  enum class Kind { kEnd, kIdent, kQuoted, kNumber, kPunct, kBad };
  Kind kind = Kind::kEnd;
  size_t pos = 0;         // byte offset of the token's first character
  std::string_view text;  // as written
  std::string value;      // kQuoted: the name without quotes; kIdent/kNumber/kPunct: the text
};

class ColumnParser {
 public:
  explicit ColumnParser(std::string_view text) : text_(text) {}

  Result<Type> ParseStandaloneType() {
    LAGOA_ASSIGN_OR_RETURN(Type type, ParseTypeAt(0, "", /*top_level=*/true));
    Token t = Peek();
    if (t.kind != Token::Kind::kEnd)
      return Error(t.pos, fmt::format("expected the end of the type, found {}", Describe(t)));
    return type;
  }

  Result<std::vector<Field>> ParseColumnList() {
    std::vector<Field> fields;
    std::vector<size_t> positions;
    if (Peek().kind == Token::Kind::kEnd) return fields;
    while (true) {
      Token name = Next();
      if (name.kind != Token::Kind::kIdent && name.kind != Token::Kind::kQuoted) {
        return Error(name.pos, fmt::format("expected a column name, found {}", Describe(name)));
      }
      if (Status s = ValidateFieldName(name.value); !s.ok()) return Error(name.pos, s.message());
      Field field;
      field.name = name.value;
      LAGOA_ASSIGN_OR_RETURN(field.type, ParseTypeAt(0, field.name, true));
      Token t = Next();
      if (t.kind == Token::Kind::kIdent && Upper(t.text) == "NOT") {
        Token null = Next();
        if (null.kind != Token::Kind::kIdent || Upper(null.text) != "NULL") {
          return Error(null.pos,
                       fmt::format("expected NULL after NOT in column \"{}\", found {}", field.name, Describe(null)));
        }
        field.nullable = false;
        t = Next();
      } else if (t.kind == Token::Kind::kIdent && Upper(t.text) == "NULL") {
        t = Next();
      }
      for (size_t i = 0; i < fields.size(); ++i) {
        if (EqualsIgnoreCase(fields[i].name, field.name)) {
          return Error(name.pos, fmt::format("duplicate column name \"{}\" (the same as column \"{}\" at character "
                                             "{}; names are case-insensitive)",
                                             field.name, fields[i].name, positions[i] + 1));
        }
      }
      if (fields.size() == kColumnsMax) {
        return Error(name.pos, fmt::format("more than {} columns", kColumnsMax));
      }
      fields.push_back(std::move(field));
      positions.push_back(name.pos);
      if (t.kind == Token::Kind::kEnd) break;
      if (t.kind != Token::Kind::kPunct || t.text != ",") {
        return Error(t.pos, fmt::format("expected \",\" or NOT NULL after the type of column \"{}\", found {}",
                                        fields.back().name, Describe(t)));
      }
    }
    return fields;
  }

 private:
  // `column` names the column or field the type belongs to (for messages); empty for ParseType.
  Result<Type> ParseTypeAt(int depth, std::string_view column, bool top_level) {
    Token t = Next();
    if (t.kind != Token::Kind::kIdent) {
      if (!column.empty()) {
        return Error(t.pos, fmt::format("expected a type after {} name \"{}\", found {}",
                                        top_level ? "column" : "field", column, Describe(t)));
      }
      return Error(t.pos, fmt::format("expected a type, found {}", Describe(t)));
    }
    LAGOA_ASSIGN_OR_RETURN(Type type, ParseBaseType(t, depth));
    // T[]: any number of list suffixes.
    while (PeekPunct("[")) {
      Token open = Next();
      Token close = Next();
      if (close.kind != Token::Kind::kPunct || close.text != "]") {
        return Error(close.pos,
                     fmt::format("expected \"]\" after \"[\" (T[] is a list of T), found {}", Describe(close)));
      }
      if (type.depth() + 1 > kTypeDepthMax) return TooDeep(open.pos);
      type = Type::List(std::move(type));
    }
    return type;
  }

  Result<Type> ParseBaseType(const Token& t, int depth) {
    std::string name = Upper(t.text);
    if (name == "BOOLEAN" || name == "BOOL" || name == "LOGICAL") return Type::Boolean();
    if (name == "INTEGER" || name == "INT" || name == "INT4" || name == "INT32" || name == "SIGNED") {
      return Type::Integer();
    }
    if (name == "BIGINT" || name == "INT8" || name == "INT64" || name == "LONG") return Type::BigInt();
    if (name == "DOUBLE" || name == "FLOAT8") {
      if (name == "DOUBLE" && PeekWord("PRECISION")) Next();
      return Type::Double();
    }
    if (name == "DECIMAL" || name == "NUMERIC" || name == "DEC") return ParseDecimalParameters(t);
    if (name == "VARCHAR" || name == "STRING" || name == "TEXT" || name == "CHAR" || name == "BPCHAR") {
      if (PeekPunct("(")) {
        return Error(Peek().pos, fmt::format("{} takes no length: lagoa, like DuckDB, does not limit text length; "
                                             "write VARCHAR",
                                             t.text));
      }
      return Type::Varchar();
    }
    if (name == "DATE") return Type::Date();
    if (name == "TIMESTAMP" || name == "DATETIME") {
      if (name == "TIMESTAMP" && (PeekWord("WITH") || PeekWord("WITHOUT"))) return ParseTimeZoneSuffix();
      return Type::Timestamp();
    }
    if (name == "TIMESTAMPTZ") return Type::TimestampTz();
    if (name == "JSON") return Type::Json();
    if (name == "LIST") return ParseList(t, depth);
    if (name == "STRUCT") return ParseStruct(t, depth);
    if (name == "FLOAT" || name == "FLOAT4" || name == "REAL") {
      return Error(t.pos, fmt::format("type \"{}\" (a 4-byte float in DuckDB) is not supported; use DOUBLE", t.text));
    }
    if (name == "TINYINT" || name == "SMALLINT" || name == "INT1" || name == "INT2" || name == "SHORT" ||
        name == "HUGEINT" || name == "INT128" || name == "UTINYINT" || name == "USMALLINT" || name == "UINTEGER" ||
        name == "UBIGINT" || name == "UHUGEINT") {
      return Error(t.pos, fmt::format("type \"{}\" is not supported; use INTEGER, BIGINT or DECIMAL(38,0)", t.text));
    }
    return Error(t.pos, fmt::format("unknown type \"{}\"; expected one of {}", t.text, kExpectedTypes));
  }

  Result<Type> ParseTimeZoneSuffix() {
    Token with = Next();
    bool without = Upper(with.text) == "WITHOUT";
    Token time = Next();
    if (time.kind != Token::Kind::kIdent || Upper(time.text) != "TIME") {
      return Error(time.pos, fmt::format("expected TIME ZONE after {}, found {}", with.text, Describe(time)));
    }
    Token zone = Next();
    if (zone.kind != Token::Kind::kIdent || Upper(zone.text) != "ZONE") {
      return Error(zone.pos, fmt::format("expected ZONE after TIME, found {}", Describe(zone)));
    }
    return without ? Type::Timestamp() : Type::TimestampTz();
  }

  Result<Type> ParseDecimalParameters(const Token& name) {
    if (!PeekPunct("(")) return Type::Decimal(18, 3);  // DuckDB's default
    Next();
    LAGOA_ASSIGN_OR_RETURN(int precision, ParseSmallNumber("the DECIMAL precision"));
    int scale = 0;
    Token t = Next();
    if (t.kind == Token::Kind::kPunct && t.text == ",") {
      LAGOA_ASSIGN_OR_RETURN(scale, ParseSmallNumber("the DECIMAL scale"));
      t = Next();
    }
    if (t.kind != Token::Kind::kPunct || t.text != ")") {
      return Error(t.pos, fmt::format("expected \")\" to close {}(, found {}", name.text, Describe(t)));
    }
    if (precision < 1 || precision > kDecimalPrecisionMax) {
      return Error(name.pos, fmt::format("DECIMAL precision must be between 1 and {}, found {}", kDecimalPrecisionMax,
                                         precision));
    }
    if (scale > precision) {
      return Error(name.pos,
                   fmt::format("DECIMAL scale must be between 0 and the precision {}, found {}", precision, scale));
    }
    return Type::Decimal(precision, scale);
  }

  Result<int> ParseSmallNumber(std::string_view what) {
    Token t = Next();
    if (t.kind != Token::Kind::kNumber) {
      return Error(t.pos, fmt::format("expected {} (a number), found {}", what, Describe(t)));
    }
    if (t.text.size() > 4) return Error(t.pos, fmt::format("{} {} is too large", what, t.text));
    int value = 0;
    for (char c : t.text) value = value * 10 + (c - '0');
    return value;
  }

  Result<Type> ParseList(const Token& name, int depth) {
    Token open = Next();
    if (open.kind != Token::Kind::kPunct || open.text != "(") {
      return Error(open.pos, fmt::format("expected \"(\" after {}, found {}", name.text, Describe(open)));
    }
    if (depth + 1 > kTypeDepthMax) return TooDeep(name.pos);
    LAGOA_ASSIGN_OR_RETURN(Type element, ParseTypeAt(depth + 1, "", false));
    Token close = Next();
    if (close.kind != Token::Kind::kPunct || close.text != ")") {
      return Error(close.pos, fmt::format("expected \")\" to close LIST(, found {}", Describe(close)));
    }
    if (element.depth() + 1 > kTypeDepthMax) return TooDeep(name.pos);
    return Type::List(std::move(element));
  }

  Result<Type> ParseStruct(const Token& name, int depth) {
    Token open = Next();
    if (open.kind != Token::Kind::kPunct || open.text != "(") {
      return Error(open.pos, fmt::format("expected \"(\" after {}, found {}", name.text, Describe(open)));
    }
    if (depth + 1 > kTypeDepthMax) return TooDeep(name.pos);
    std::vector<Field> fields;
    while (true) {
      Token field_name = Next();
      if (field_name.kind != Token::Kind::kIdent && field_name.kind != Token::Kind::kQuoted) {
        return Error(field_name.pos, fmt::format("expected a STRUCT field name, found {}", Describe(field_name)));
      }
      if (Status s = ValidateFieldName(field_name.value); !s.ok()) return Error(field_name.pos, s.message());
      for (const Field& f : fields) {
        if (EqualsIgnoreCase(f.name, field_name.value)) {
          return Error(field_name.pos, fmt::format("duplicate STRUCT field name \"{}\" (names are case-insensitive)",
                                                   field_name.value));
        }
      }
      if (fields.size() == kStructFieldsMax) {
        return Error(field_name.pos, fmt::format("a STRUCT has at most {} fields", kStructFieldsMax));
      }
      Field field;
      field.name = field_name.value;
      LAGOA_ASSIGN_OR_RETURN(field.type, ParseTypeAt(depth + 1, field.name, false));
      fields.push_back(std::move(field));
      Token t = Next();
      if (t.kind == Token::Kind::kPunct && t.text == ")") break;
      if (t.kind == Token::Kind::kIdent && (Upper(t.text) == "NOT" || Upper(t.text) == "NULL")) {
        return Error(t.pos, "NOT NULL is only allowed on top-level columns; STRUCT fields are always nullable");
      }
      if (t.kind != Token::Kind::kPunct || t.text != ",") {
        return Error(t.pos, fmt::format("expected \",\" or \")\" after STRUCT field \"{}\", found {}",
                                        fields.back().name, Describe(t)));
      }
    }
    for (const Field& f : fields) {
      if (f.type.depth() + 1 > kTypeDepthMax) return TooDeep(name.pos);
    }
    return Type::Struct(std::move(fields));
  }

  Status TooDeep(size_t pos) {
    return Error(pos, fmt::format("types nest deeper than {} levels of LIST and STRUCT", kTypeDepthMax));
  }

  static Status Error(size_t pos, std::string_view message) {
    return Status::InvalidArgument(fmt::format("at character {}: {}", pos + 1, message));
  }

  static std::string Describe(const Token& t) {
    if (t.kind == Token::Kind::kEnd) return "the end of the text";
    if (t.kind == Token::Kind::kBad && t.value == "unterminated") return "a quoted name without its closing quote";
    std::string_view text = t.text.size() > 40 ? t.text.substr(0, 40) : t.text;
    if (t.kind == Token::Kind::kQuoted) return std::string(text);
    return fmt::format("\"{}\"", text);
  }

  bool PeekPunct(std::string_view p) {
    Token t = Peek();
    return t.kind == Token::Kind::kPunct && t.text == p;
  }
  bool PeekWord(std::string_view upper) {
    Token t = Peek();
    return t.kind == Token::Kind::kIdent && Upper(t.text) == upper;
  }

  Token Peek() {
    size_t saved = pos_;
    Token t = Next();
    pos_ = saved;
    return t;
  }

  Token Next() {
    while (pos_ < text_.size() &&
           (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' || text_[pos_] == '\r')) {
      ++pos_;
    }
    Token t;
    t.pos = pos_;
    if (pos_ >= text_.size()) return t;
    size_t start = pos_;
    char c = text_[pos_];
    if (IsIdentStart(c)) {
      while (pos_ < text_.size() && IsIdentChar(text_[pos_])) ++pos_;
      t.kind = Token::Kind::kIdent;
    } else if (IsDigit(c)) {
      while (pos_ < text_.size() && IsDigit(text_[pos_])) ++pos_;
      t.kind = Token::Kind::kNumber;
    } else if (c == '"') {
      ++pos_;
      t.kind = Token::Kind::kBad;
      while (pos_ < text_.size()) {
        if (text_[pos_] == '"') {
          if (pos_ + 1 < text_.size() && text_[pos_ + 1] == '"') {
            t.value += '"';
            pos_ += 2;
            continue;
          }
          ++pos_;
          t.kind = Token::Kind::kQuoted;
          break;
        }
        t.value += text_[pos_++];
      }
      t.text = text_.substr(start, pos_ - start);
      if (t.kind == Token::Kind::kBad) t.value = "unterminated";
      return t;
    } else if (c == '(' || c == ')' || c == ',' || c == '[' || c == ']') {
      ++pos_;
      t.kind = Token::Kind::kPunct;
    } else {
      // One UTF-8 character, so the message shows it whole.
      ++pos_;
      while (pos_ < text_.size() && (static_cast<unsigned char>(text_[pos_]) & 0xC0) == 0x80) ++pos_;
      t.kind = Token::Kind::kBad;
    }
    t.text = text_.substr(start, pos_ - start);
    if (t.kind != Token::Kind::kQuoted) t.value = std::string(t.text);
    return t;
  }

  std::string_view text_;
  size_t pos_ = 0;
};

Status CheckText(std::string_view text) {
  if (!simdjson::validate_utf8(text.data(), text.size())) return Status::InvalidArgument("the text is not valid UTF-8");
  return Status::Ok();
}

}  // namespace

Result<Type> ParseType(std::string_view text) {
  LAGOA_RETURN_IF_ERROR(CheckText(text));
  return ColumnParser(text).ParseStandaloneType();
}

Result<std::vector<Field>> ParseColumns(std::string_view sql) {
  LAGOA_RETURN_IF_ERROR(CheckText(sql));
  return ColumnParser(sql).ParseColumnList();
}

std::string ColumnsToSql(const std::vector<Field>& fields) {
  std::string out;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) out += ", ";
    out += QuoteIdentifier(fields[i].name);
    out += ' ';
    out += fields[i].type.ToSql();
    if (!fields[i].nullable) out += " NOT NULL";
  }
  return out;
}

}  // namespace lagoa::schema
