#include "sql/file_skipping_internal.h"

#include <simdjson.h>

#include <cstdint>

#include "duck/connection.h"
#include "duck/handles.h"
#include "schema/schema.h"

namespace lagoa::sql::internal {
namespace {

using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::object;

std::string_view Text(element node, const char* key) {
  std::string_view text;
  return node[key].get(text) == simdjson::SUCCESS ? text : std::string_view();
}

bool IsNull(element node, const char* key) {
  element child;
  return node[key].get(child) != simdjson::SUCCESS || child.is_null();
}

// The kinds of table reference DuckDB serializes ("type" of a from_table); "SUBQUERY" is also the
// class of a subquery expression.
bool IsTableReference(std::string_view type) {
  return type == "BASE_TABLE" || type == "SUBQUERY" || type == "JOIN" || type == "TABLE_FUNCTION" ||
         type == "EXPRESSION_LIST" || type == "CTE" || type == "PIVOT" || type == "SHOW_REF" || type == "COLUMN_DATA" ||
         type == "DELIM_GET" || type == "BOUND_TABLE_REF";
}

// How many table references and subqueries `node` holds, at any depth.
int CountReads(element node) {
  int reads = 0;
  if (node.is_object()) {
    if (IsTableReference(Text(node, "type")) || Text(node, "class") == "SUBQUERY") ++reads;
    for (auto [key, child] : object(node)) reads += CountReads(child);
  } else if (node.is_array()) {
    for (element child : array(node)) reads += CountReads(child);
  }
  return reads;
}

// A constant's value as the pruner's text, and what it compares with like the pruner does.
std::optional<std::pair<std::string, LiteralKind>> Literal(element node) {
  const std::string_view cls = Text(node, "class");
  std::string_view cast_to;
  if (cls == "CAST") {
    bool try_cast = false;
    if (node["try_cast"].get(try_cast) != simdjson::SUCCESS || try_cast) return std::nullopt;
    cast_to = Text(node["cast_type"], "id");
    if (cast_to != "DATE" && cast_to != "TIMESTAMP WITH TIME ZONE") return std::nullopt;
    node = node["child"];
  } else if (cls != "CONSTANT") {
    return std::nullopt;
  }
  if (Text(node, "class") != "CONSTANT") return std::nullopt;
  element value = node["value"];
  bool is_null = true;
  if (value["is_null"].get(is_null) != simdjson::SUCCESS || is_null) return std::nullopt;
  const std::string_view type = Text(value["type"], "id");
  if (cast_to.empty() && (type == "TINYINT" || type == "SMALLINT" || type == "INTEGER" || type == "BIGINT")) {
    int64_t number = 0;
    if (value["value"].get(number) != simdjson::SUCCESS) return std::nullopt;
    return std::pair(std::to_string(number), LiteralKind::kInteger);
  }
  if (type != "VARCHAR") return std::nullopt;
  std::string_view text;
  if (value["value"].get(text) != simdjson::SUCCESS) return std::nullopt;
  // A string literal is cast to the column's type by DuckDB: which kind it is depends on its form.
  const bool date_form = text.size() == 10;
  if (cast_to == "DATE" || (cast_to.empty() && date_form)) {
    if (!date_form) return std::nullopt;
    return std::pair(std::string(text), LiteralKind::kDate);
  }
  // A timestamp with its offset: ends in Z or ±HH, ±HHMM, ±HH:MM after the time of day.
  const size_t time = text.find_first_of("Tt ");
  const size_t sign = text.find_last_of("+-");
  const bool zulu = !text.empty() && (text.back() == 'Z' || text.back() == 'z');
  if (time == std::string_view::npos || (!zulu && (sign == std::string_view::npos || sign < time))) {
    return std::nullopt;
  }
  if (!schema::ParseTimestampMicros(text).ok()) return std::nullopt;
  return std::pair(std::string(text), LiteralKind::kTimestampTz);
}

// The column `node` names, when it is a column of the table called `table` aliased `alias`.
std::optional<std::string> Column(element node, std::string_view table, std::string_view alias) {
  if (Text(node, "class") != "COLUMN_REF") return std::nullopt;
  array names;
  if (node["column_names"].get(names) != simdjson::SUCCESS) return std::nullopt;
  std::vector<std::string_view> parts;
  for (element part : names) {
    std::string_view text;
    if (part.get(text) != simdjson::SUCCESS) return std::nullopt;
    parts.push_back(text);
  }
  if (parts.size() == 1) return std::string(parts[0]);
  if (parts.size() != 2) return std::nullopt;
  const std::string_view qualifier = alias.empty() ? table : alias;
  if (!schema::EqualsIgnoreCase(parts[0], qualifier)) return std::nullopt;
  return std::string(parts[1]);
}

std::optional<lake::CompareOp> Op(std::string_view type, bool flipped) {
  using lake::CompareOp;
  if (type == "COMPARE_EQUAL") return CompareOp::kEqual;
  if (type == "COMPARE_LESSTHAN") return flipped ? CompareOp::kGreater : CompareOp::kLess;
  if (type == "COMPARE_LESSTHANOREQUALTO") return flipped ? CompareOp::kGreaterOrEqual : CompareOp::kLessOrEqual;
  if (type == "COMPARE_GREATERTHAN") return flipped ? CompareOp::kLess : CompareOp::kGreater;
  if (type == "COMPARE_GREATERTHANOREQUALTO") return flipped ? CompareOp::kLessOrEqual : CompareOp::kGreaterOrEqual;
  return std::nullopt;
}

// The predicates of one condition of the WHERE's AND, appended to `out`; others add nothing.
void Collect(element node, std::string_view table, std::string_view alias, std::vector<SkipPredicate>* out) {
  const std::string_view cls = Text(node, "class");
  if (cls == "CONJUNCTION" && Text(node, "type") == "CONJUNCTION_AND") {
    array children;
    if (node["children"].get(children) != simdjson::SUCCESS) return;
    for (element child : children) Collect(child, table, alias, out);
    return;
  }
  if (cls == "COMPARISON") {
    for (bool flipped : {false, true}) {
      std::optional<std::string> column = Column(node[flipped ? "right" : "left"], table, alias);
      auto literal = Literal(node[flipped ? "left" : "right"]);
      std::optional<lake::CompareOp> op = Op(Text(node, "type"), flipped);
      if (!column || !literal || !op) continue;
      out->push_back({{*column, *op, literal->first}, literal->second});
      return;
    }
    return;
  }
  if (cls == "BETWEEN") {
    std::optional<std::string> column = Column(node["input"], table, alias);
    auto lower = Literal(node["lower"]);
    auto upper = Literal(node["upper"]);
    if (!column) return;
    if (lower) out->push_back({{*column, lake::CompareOp::kGreaterOrEqual, lower->first}, lower->second});
    if (upper) out->push_back({{*column, lake::CompareOp::kLessOrEqual, upper->first}, upper->second});
  }
}

}  // namespace

std::optional<std::string> SerializedSelect(duckdb_connection connection, const std::string& sql) {
  const std::string query = "SELECT json_serialize_sql(" + duck::SqlStringLiteral(sql) + ")";
  duck::ResultHandle result;
  std::optional<std::string> json;
  if (duckdb_query(connection, query.c_str(), result.get()) == DuckDBSuccess && duckdb_row_count(result.get()) == 1) {
    char* text = duckdb_value_varchar(result.get(), 0, 0);
    if (text != nullptr) json = text;
    duckdb_free(text);
  }
  return json;
}

std::optional<SkipFilter> SkipFilterOf(std::string_view serialized) {
  simdjson::dom::parser parser;
  element root;
  if (parser.parse(serialized.data(), serialized.size(), true).get(root) != simdjson::SUCCESS) return std::nullopt;
  bool error = true;
  array statements;
  if (root["error"].get(error) != simdjson::SUCCESS || error ||
      root["statements"].get(statements) != simdjson::SUCCESS || statements.size() != 1) {
    return std::nullopt;
  }
  element node = statements.at(0)["node"];
  if (Text(node, "type") != "SELECT_NODE" || !IsNull(node, "sample") || IsNull(node, "where_clause"))
    return std::nullopt;
  element from = node["from_table"];
  if (Text(from, "type") != "BASE_TABLE" || !IsNull(from, "sample") || !IsNull(from, "at_clause") ||
      !Text(from, "schema_name").empty() || !Text(from, "catalog_name").empty()) {
    return std::nullopt;
  }
  // `FROM t AS x(a, b)` renames columns by position: a name in the WHERE may be another column.
  array column_aliases;
  if (from["column_name_alias"].get(column_aliases) != simdjson::SUCCESS || column_aliases.size() != 0) {
    return std::nullopt;
  }
  // The one table reference is from_table: no join, CTE, subquery or second read anywhere.
  if (CountReads(node) != 1) return std::nullopt;
  array cte_map;
  if (node["cte_map"]["map"].get(cte_map) != simdjson::SUCCESS || cte_map.size() != 0) return std::nullopt;
  SkipFilter filter;
  filter.table = std::string(Text(from, "table_name"));
  if (filter.table.empty()) return std::nullopt;
  Collect(node["where_clause"], filter.table, Text(from, "alias"), &filter.predicates);
  if (filter.predicates.empty()) return std::nullopt;
  return filter;
}

bool Applies(const SkipPredicate& predicate, const schema::Type* type) {
  if (type == nullptr) return false;
  switch (predicate.kind) {
    case LiteralKind::kInteger:
      return type->id() == schema::TypeId::kInteger || type->id() == schema::TypeId::kBigInt;
    case LiteralKind::kDate:
      return type->id() == schema::TypeId::kDate;
    case LiteralKind::kTimestampTz:
      return type->id() == schema::TypeId::kTimestampTz;
  }
  return false;
}

}  // namespace lagoa::sql::internal
