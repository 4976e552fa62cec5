#include <fmt/format.h>
#include <simdjson.h>

#include <cstring>

#include "sql/catalog_source_internal.h"
#include "sql/sql_objects_internal.h"
#include "sql/sql_text.h"

namespace lagoa::sql::internal {
namespace {

// The query a view or macro definition holds: what follows its first AS outside parentheses
// (and a table macro's TABLE). DuckDB's table-name reader does not look inside a CREATE.
std::string_view DefiningQuery(std::string_view create) {
  int depth = 0;
  const std::vector<SqlToken> tokens = LeadingTokens(create, 64);
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (tokens[i].kind == SqlToken::Kind::kSymbol && tokens[i].text == "(") ++depth;
    if (tokens[i].kind == SqlToken::Kind::kSymbol && tokens[i].text == ")") --depth;
    if (depth != 0 || !tokens[i].Is("AS")) continue;
    const bool table = i + 1 < tokens.size() && tokens[i + 1].Is("TABLE");
    return create.substr(table ? tokens[i + 1].end : tokens[i].end);
  }
  return {};
}

// Every BASE_TABLE of a parse tree: "table", or "schema.table" outside main.
void CollectTables(simdjson::dom::element node, std::vector<std::string>& out, int depth) {
  if (depth > 256) return;  // DuckDB's parser nests far less; a bound on the recursion all the same
  if (simdjson::dom::object object; node.get(object) == simdjson::SUCCESS) {
    std::string_view type, table, schema;
    if (object["type"].get(type) == simdjson::SUCCESS && type == "BASE_TABLE" &&
        object["table_name"].get(table) == simdjson::SUCCESS) {
      if (object["schema_name"].get(schema) != simdjson::SUCCESS || schema == "main") schema = {};
      out.push_back(schema.empty() ? std::string(table) : fmt::format("{}.{}", schema, table));
    }
    for (auto [key, value] : object) CollectTables(value, out, depth + 1);
  } else if (simdjson::dom::array array; node.get(array) == simdjson::SUCCESS) {
    for (auto value : array) CollectTables(value, out, depth + 1);
  }
}

// The relations `query` names, from DuckDB's own parse tree (json_serialize_sql: parsed, not
// bound, so names of relations that exist only in other sessions are found too).
std::vector<std::string> RelationsNamed(duckdb_connection connection, const std::string& query) {
  std::vector<std::string> names;
  duck::PreparedHandle prepared;
  duck::ResultHandle result;
  if (duckdb_prepare(connection, "SELECT json_serialize_sql($1::VARCHAR)", prepared.out()) != DuckDBSuccess ||
      duckdb_bind_varchar_length(prepared.get(), 1, query.data(), query.size()) != DuckDBSuccess ||
      duckdb_execute_prepared(prepared.get(), result.get()) != DuckDBSuccess) {
    return names;
  }
  char* json = duckdb_value_varchar(result.get(), 0, 0);
  if (json == nullptr) return names;
  simdjson::dom::parser parser;
  simdjson::dom::element tree;
  bool failed = true;
  if (parser.parse(json, std::strlen(json)).get(tree) == simdjson::SUCCESS &&
      tree["error"].get(failed) == simdjson::SUCCESS && !failed) {
    CollectTables(tree["statements"], names, 0);
  }
  duckdb_free(json);
  return names;
}

}  // namespace

Result<std::unique_ptr<SqlObjectsSource>> SqlObjectsSource::Make(const std::shared_ptr<EngineShared>& shared) {
  std::unique_ptr<SqlObjectsSource> source(new SqlObjectsSource(shared));
  LAGOA_ASSIGN_OR_RETURN(source->names_, duck::Connect(shared->database.get()));
  return source;
}

SqlObjectsSource::~SqlObjectsSource() = default;

std::vector<std::string> SqlObjectsSource::Lineage(const std::string& create) const {
  const std::string query(DefiningQuery(create));
  if (query.empty()) return {};
  std::lock_guard lock(mu_);
  return RelationsNamed(names_.get(), query);
}

std::vector<catalog::Entry> SqlObjectsSource::LakeTables(catalog::Detail detail) const {
  std::vector<catalog::Entry> entries;
  if (shared_->lake_tables == nullptr) return entries;
  for (const lake::AttachedTable& table : shared_->lake_tables->List()) {
    catalog::Entry entry;
    entry.kind = catalog::kTable;
    entry.name = table.name;
    entry.definition = table.sql.empty() ? table.path.string() : table.sql;
    entry.location = catalog::FolderUri(table.path);
    if (table.attached_ms != 0) entry.created_ms = table.attached_ms;
    if (detail == catalog::Detail::kFull && !table.sql.empty()) entry.derived_from = Lineage(table.sql);
    entries.push_back(std::move(entry));
  }
  return entries;
}

std::vector<catalog::Entry> SqlObjectsSource::Entries(catalog::Detail detail) const {
  std::vector<catalog::Entry> entries = LakeTables(detail);
  if (shared_->objects == nullptr) return entries;
  for (const SqlObject& object : shared_->objects->List()) {
    catalog::Entry entry;
    entry.kind = object.kind == "view" ? catalog::kView : object.kind == "macro" ? catalog::kMacro : catalog::kSchema;
    entry.name = object.kind == "schema" || object.schema == "main" ? object.name
                                                                    : fmt::format("{}.{}", object.schema, object.name);
    entry.definition = object.sql;
    if (detail == catalog::Detail::kFull && object.kind != "schema") entry.derived_from = Lineage(object.sql);
    entries.push_back(std::move(entry));
  }
  return entries;
}

}  // namespace lagoa::sql::internal
