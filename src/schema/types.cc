#include "schema/types.h"

#include <algorithm>
#include <iterator>

#include <fmt/format.h>

#include "base/assert.h"

namespace lagoa::schema {

struct Type::Children {
  std::vector<Type> element;  // LIST: exactly one (a vector because Type is incomplete here)
  std::vector<Field> fields;  // STRUCT
};

namespace {

// DuckDB 1.4 keywords that cannot be a bare STRUCT field name (reserved, type_function and
// column_name categories of duckdb_keywords()), plus lagoa's own NOT/NULL. Sorted.
constexpr std::string_view kKeywords[] = {
    "all",           "analyse",    "analyze",    "and",       "anti",         "any",
    "array",         "as",         "asc",        "asof",      "asymmetric",   "at",
    "authorization", "between",    "bigint",     "binary",    "bit",          "boolean",
    "both",          "by",         "case",       "cast",      "char",         "character",
    "check",         "coalesce",   "collate",    "collation", "column",       "columns",
    "concurrently",  "constraint", "create",     "cross",     "dec",          "decimal",
    "default",       "deferrable", "desc",       "describe",  "distinct",     "do",
    "else",          "end",        "except",     "exists",    "extract",      "false",
    "fetch",         "float",      "for",        "foreign",   "freeze",       "from",
    "full",          "generated",  "glob",       "group",     "grouping",     "grouping_id",
    "having",        "ilike",      "in",         "initially", "inner",        "inout",
    "int",           "integer",    "intersect",  "interval",  "into",         "is",
    "isnull",        "join",       "lambda",     "lateral",   "leading",      "left",
    "like",          "limit",      "map",        "national",  "natural",      "nchar",
    "none",          "not",        "notnull",    "null",      "nullif",       "numeric",
    "offset",        "on",         "only",       "or",        "order",        "out",
    "outer",         "overlaps",   "overlay",    "pivot",     "pivot_longer", "pivot_wider",
    "placing",       "position",   "positional", "precision", "primary",      "qualify",
    "real",          "references", "returning",  "right",     "row",          "select",
    "semi",          "setof",      "show",       "similar",   "smallint",     "some",
    "struct",        "substring",  "summarize",  "symmetric", "table",        "tablesample",
    "then",          "time",       "timestamp",  "to",        "trailing",     "treat",
    "trim",          "true",       "try_cast",   "union",     "unique",       "unpack",
    "unpivot",       "using",      "values",     "varchar",   "variadic",     "verbose",
    "when",          "where",      "window",     "with"};
static_assert(std::is_sorted(std::begin(kKeywords), std::end(kKeywords)));

bool IsKeyword(std::string_view name) {
  std::string lower(name);
  for (char& c : lower) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return std::binary_search(std::begin(kKeywords), std::end(kKeywords), std::string_view(lower));
}

bool IsPlainIdentifier(std::string_view name) {
  if (name.empty()) return false;
  auto letter = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
  if (!letter(name[0])) return false;
  return std::all_of(name.begin(), name.end(), [&](char c) { return letter(c) || (c >= '0' && c <= '9'); });
}

char LowerAscii(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

}  // namespace

std::string_view TypeIdName(TypeId id) {
  switch (id) {
    case TypeId::kBoolean:
      return "BOOLEAN";
    case TypeId::kInteger:
      return "INTEGER";
    case TypeId::kBigInt:
      return "BIGINT";
    case TypeId::kDouble:
      return "DOUBLE";
    case TypeId::kDecimal:
      return "DECIMAL";
    case TypeId::kVarchar:
      return "VARCHAR";
    case TypeId::kDate:
      return "DATE";
    case TypeId::kTimestamp:
      return "TIMESTAMP";
    case TypeId::kTimestampTz:
      return "TIMESTAMPTZ";
    case TypeId::kJson:
      return "JSON";
    case TypeId::kList:
      return "LIST";
    case TypeId::kStruct:
      return "STRUCT";
  }
  return "UNKNOWN";
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (LowerAscii(a[i]) != LowerAscii(b[i])) return false;
  }
  return true;
}

std::string QuoteIdentifier(std::string_view name) {
  if (IsPlainIdentifier(name) && !IsKeyword(name)) return std::string(name);
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

Type Type::Decimal(int precision, int scale) {
  LAGOA_ASSERT(precision >= 1 && precision <= kDecimalPrecisionMax);
  LAGOA_ASSERT(scale >= 0 && scale <= precision);
  Type t(TypeId::kDecimal);
  t.precision_ = static_cast<uint8_t>(precision);
  t.scale_ = static_cast<uint8_t>(scale);
  return t;
}

Type Type::List(Type element) {
  LAGOA_ASSERT(element.depth() < kTypeDepthMax);
  Type t(TypeId::kList);
  auto children = std::make_shared<Children>();
  children->element.push_back(std::move(element));
  t.children_ = std::move(children);
  return t;
}

Type Type::Struct(std::vector<Field> fields) {
  LAGOA_ASSERT(!fields.empty() && fields.size() <= kStructFieldsMax);
  for (size_t i = 0; i < fields.size(); ++i) {
    LAGOA_ASSERT(!fields[i].name.empty() && fields[i].nullable);
    LAGOA_ASSERT(fields[i].type.depth() < kTypeDepthMax);
    for (size_t j = 0; j < i; ++j) LAGOA_ASSERT(!EqualsIgnoreCase(fields[i].name, fields[j].name));
  }
  Type t(TypeId::kStruct);
  auto children = std::make_shared<Children>();
  children->fields = std::move(fields);
  t.children_ = std::move(children);
  return t;
}

const Type& Type::element() const {
  LAGOA_ASSERT(id_ == TypeId::kList);
  return children_->element.front();
}

const std::vector<Field>& Type::fields() const {
  LAGOA_ASSERT(id_ == TypeId::kStruct);
  return children_->fields;
}

int Type::depth() const {
  if (id_ == TypeId::kList) return 1 + element().depth();
  if (id_ == TypeId::kStruct) {
    int deepest = 0;
    for (const Field& f : fields()) deepest = std::max(deepest, f.type.depth());
    return 1 + deepest;
  }
  return 0;
}

std::string Type::ToSql() const {
  switch (id_) {
    case TypeId::kDecimal:
      return fmt::format("DECIMAL({},{})", precision_, scale_);
    case TypeId::kList:
      return element().ToSql() + "[]";
    case TypeId::kStruct: {
      std::string out = "STRUCT(";
      for (size_t i = 0; i < fields().size(); ++i) {
        if (i > 0) out += ", ";
        out += QuoteIdentifier(fields()[i].name);
        out += ' ';
        out += fields()[i].type.ToSql();
      }
      out += ')';
      return out;
    }
    default:
      return std::string(TypeIdName(id_));
  }
}

bool operator==(const Type& a, const Type& b) {
  if (a.id_ != b.id_ || a.precision_ != b.precision_ || a.scale_ != b.scale_) return false;
  if (a.children_ == b.children_) return true;
  if (a.id_ == TypeId::kList) return a.element() == b.element();
  if (a.id_ == TypeId::kStruct) return a.fields() == b.fields();
  return true;
}

}  // namespace lagoa::schema
